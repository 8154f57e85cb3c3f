"""The navbar's bell: how many of one's notices are unread (one COUNT, only where the bell is
drawn)."""

from __future__ import annotations

from typing import Any

from django import template

from clinicflow.core.actor import Actor
from clinicflow.notifications.notices import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notices(context: Any) -> int:
    actor = context.get("actor")
    return unread_count(actor) if isinstance(actor, Actor) else 0
