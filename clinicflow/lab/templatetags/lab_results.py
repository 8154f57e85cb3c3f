"""Template filters of the lab's results."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import template
from django.conf import settings
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import is_aware, localtime
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
        word = result.get_flag_display()
        parts.append(
            format_html(
                '<span class="badge {}" title="{}" data-testid="result-flag" data-flag="{}">'
                '{}<span class="visually-hidden"> {}</span></span>',
                tone,
                word,
                result.flag,
                result.flag,
                word,
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


def _collected(value: datetime, months: dict[int, str]) -> str:
    """``value|date:"j M Y H:i"`` in the page's timezone, as the template's filter writes it,
    without parsing the format again for every row (``months``: the month names met so far,
    translated once)."""
    local = localtime(value) if settings.USE_TZ and is_aware(value) else value
    month = months.get(local.month)
    if month is None:
        month = months[local.month] = str(MONTHS_3[local.month]).title()
    return f"{local.day} {month} {local.year:04d} {local.hour:02d}:{local.minute:02d}"


@register.simple_tag
def trend_rows(rows: Iterable[Any]) -> SafeString:
    """The trend table's rows (``trend_views.TrendRow``: a result and its applied range):
    when collected, the value, its flag and the range it was flagged against. Drawn here
    rather than by the template's loop: a ten-year trend has 120 rows and more, and the
    loop's four look-ups and filters per row were most of the page's time."""
    months: dict[int, str] = {}
    return mark_safe(  # noqa: S308  (each row escaped by format_html)
        "".join(
            format_html(
                '\n    <tr data-testid="lab-trend-row"><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{}</td></tr>\n  ",
                _collected(row.result.collected_at, months),
                row.result.display,
                flag_badge(row.result),
                row.applied.display if row.applied else "",
            )
            for row in rows
        )
    )
