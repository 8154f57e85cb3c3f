"""A clinic's portal settings pages, for its managers: one shape (``settings_page``) serves
online booking (``booking_views.booking_settings``) and the portal's own settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.core.forms import ClinicFlowForm
from clinicflow.portal import adolescents
from clinicflow.portal.forms import PortalSettingsForm


def settings_page(
    request: HttpRequest,
    *,
    current: Any,
    form_class: type[ClinicFlowForm],
    fields: tuple[str, ...],
    save: Callable[..., Any],
    saved: str,
    page: dict[str, Any],
) -> HttpResponse:
    """The current values of ``fields`` in a form; a valid form is saved by ``save`` (a
    service given the actor and the cleaned data; a field the form left out keeps its value),
    its refusal shown at the field. ``page``: the page's ``heading``, ``intro`` and
    ``testid``."""
    initial = {name: getattr(current, name) for name in fields}
    form = form_class(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                given = {k: v for k, v in form.cleaned_data.items() if v is not None}
                save(actor=actor_of(request), **given)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = 400
            else:
                messages.success(request, saved)
                return redirect(request.path)
        else:
            status = 400
    return render(request, "portal/clinic_settings.html", {**page, "form": form}, status=status)


@requires(adolescents.SETTINGS)
def portal_settings(request: HttpRequest) -> HttpResponse:
    return settings_page(
        request,
        current=adolescents.settings_of(actor_of(request).clinic),
        form_class=PortalSettingsForm,
        fields=("adolescents_own_account", "adolescent_from_age"),
        save=adolescents.update_settings,
        saved=_("Portal settings saved."),
        page={
            "heading": _("Patient portal"),
            "intro": _(
                "Who may hold their own portal account. A parent or guardian who looks after a "
                "record keeps seeing it; reception removes their link at the desk if the "
                "patient asks."
            ),
            "testid": "portal-settings",
        },
    )
