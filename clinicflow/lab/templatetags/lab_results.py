"""Template filters of the lab's results."""

from __future__ import annotations

from typing import Any

from django import template

from clinicflow.lab import ranges

register = template.Library()


@register.filter
def applied_range(stored: Any) -> str:
    """A result's stored ``applied_range`` as a report prints it: "3.5–5.0", "≤ 200"."""
    return ranges.shown(stored)
