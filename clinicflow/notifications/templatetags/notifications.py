"""The navbar's bell: how many of one's notices are unread (one COUNT when the cached figure
has gone, none otherwise); an event kind's name for the delivery log."""

from __future__ import annotations

from typing import Any

from django import template

from clinicflow.core.actor import Actor
from clinicflow.notifications import events
from clinicflow.notifications.notices import unread_badge

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notices(context: Any) -> int:
    actor = context.get("actor")
    return unread_badge(actor) if isinstance(actor, Actor) else 0


@register.filter
def event_label(key: str) -> str:
    """An event kind's name as people read it (the delivery log's filter offers the same), or
    the key itself for a kind no longer registered."""
    try:
        return events.kind_of(key).label
    except KeyError:
        return key
