"""Template filters of the lab's results."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from clinicflow.lab import ranges

register = template.Library()


@register.filter
def applied_range(stored: Any) -> str:
    """A result's stored ``applied_range`` as a report prints it: "3.5–5.0", "≤ 200"."""
    return ranges.shown(stored)


@register.filter
def flag_badge(result: Any) -> str:
    """A result's flag as a coloured badge carrying its letter and word (colour is never
    the only signal), and the delta-check mark with the previous value. Drawn here rather
    than by an included template: a ten-year trend table draws it on every row."""
    parts = []
    if result.flag:
        tone = "text-bg-danger" if result.is_critical else "text-bg-warning"
        parts.append(
            format_html(
                '<span class="badge {}" title="{}" data-testid="result-flag" data-flag="{}">'
                '{}<span class="visually-hidden"> {}</span></span>',
                tone,
                result.get_flag_display(),
                result.flag,
                result.flag,
                result.get_flag_display(),
            )
        )
    if result.delta_flagged:
        parts.append(
            format_html(
                '<span class="badge text-bg-info" data-testid="delta-flag" title="{}">'
                "Δ {} {}</span>",
                _("Changed beyond the delta limit since the previous result"),
                _("was"),
                f"{result.previous_value.normalize():f}"
                if result.previous_value is not None
                else "",
            )
        )
    return mark_safe(" ".join(parts))  # noqa: S308  (each part escaped by format_html)
