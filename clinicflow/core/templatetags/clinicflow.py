"""Template helpers of the shared layout: Bootstrap fields with accessible errors, the
policy asked from a template (``may``, ``on``) and dates with their Bikram Sambat day
(``with_bs``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms, template
from django.db.models import Model
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.safestring import SafeString

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.bsdates import to_bs
from clinicflow.core.navigation import action_at

register = template.Library()


def _css_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


@register.simple_tag
def widget(field: forms.BoundField, **attrs: Any) -> SafeString:
    """The field's input with Bootstrap's class, ``aria-invalid`` and its help/error ids."""
    css = _css_class(field.field.widget)
    if field.errors:
        css += " is-invalid"
        attrs["aria-invalid"] = "true"
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_help")
    if field.errors:
        described.append(f"{field.auto_id}_errors")
    if described:
        attrs["aria-describedby"] = " ".join(described)
    existing = field.field.widget.attrs.get("class", "")
    attrs["class"] = f"{existing} {css}".strip()
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(field: forms.BoundField) -> bool:
    return isinstance(field.field.widget, forms.CheckboxSelectMultiple)


class Permission:
    """The answer to "may the actor take this action?", which can be narrowed to one object
    with ``|on``. True or false as the policy says; a template never decides on its own.

    The action is a policy action (``"clinical.write"``) or the address of a page, which
    stands for the action of the view behind it: a link a domain hands over (a chart timeline
    entry) is shown as a link only to those who may follow it."""

    def __init__(self, actor: Actor | None, action: str) -> None:
        self.actor = actor
        self.action = action_at(action) if action.startswith("/") else action

    def __bool__(self) -> bool:
        if not isinstance(self.actor, Actor) or self.action is None:
            return False
        return policy.allows(self.actor, self.action)

    def on(self, obj: Model | None) -> bool:
        if obj is None or not isinstance(self.actor, Actor) or self.action is None:
            return False
        return policy.allows_object(self.actor, self.action, obj)

    def __repr__(self) -> str:
        return f"<Permission {self.action}: {bool(self)}>"


@register.filter
def may(actor: Any, action: str) -> Permission:
    """The one way a template asks the policy whether to show an action:
    ``{% if actor|may:"frontdesk.check_in" %}`` (this action at all),
    ``{% if actor|may:"clinical.write"|on:encounter %}`` (this action on this object) and
    ``{% if actor|may:entry.url %}`` (the page at this address)."""
    return Permission(actor if isinstance(actor, Actor) else None, str(action))


@register.filter
def on(permission: Permission, obj: Model | None) -> bool:
    """Narrow ``actor|may:"action"`` to one object: the clinic and the object rule count."""
    if not isinstance(permission, Permission):
        raise template.TemplateSyntaxError('"on" narrows actor|may:"action" to an object.')
    return permission.on(obj)


#: How a day is shown beside its BS date: as the pages write it elsewhere ("6 Dec 2026").
DAY_FORMAT = "j M Y"


@register.filter
def with_bs(value: date | datetime | None, clinic: Any) -> str:
    """The day as the pages show it and, for a clinic in Nepal, its Bikram Sambat date beside
    it: ``{{ invoice.issued_on|with_bs:clinic }}`` gives "6 Dec 2026 · 20 Mangsir 2083 BS".

    A datetime counts on the clinic's calendar (its zone), not the server's. Plain text, so the
    template escapes it; an empty string for no date, and the AD day alone outside the range
    of the BS calendar."""
    if not isinstance(value, date):
        return ""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            zone = getattr(clinic, "zone", None) or timezone.get_current_timezone()
            value = value.astimezone(zone)
        value = value.date()
    shown = str(date_filter(value, DAY_FORMAT))
    if getattr(clinic, "country", None) != "NP":
        return shown
    try:
        bs = to_bs(value)
    except ValueError:
        return shown
    return f"{shown} · {bs.format()} BS"
