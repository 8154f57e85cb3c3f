"""Template filters of the lab's results."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from html import escape
from typing import Any

from django import template
from django.conf import settings
from django.utils.dates import MONTHS_3
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone, is_aware
from django.utils.translation import gettext as _

from clinicflow.lab import ranges
from clinicflow.lab.models import Flag

register = template.Library()

#: A flag's word ("High", "Critical low"), translated when drawn.
_FLAG_WORDS = dict(Flag.choices)


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
        # What get_flag_display() says, without hashing every (lazy) choice on each call.
        word = str(_FLAG_WORDS.get(result.flag, result.flag))
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


def _collected(value: datetime, zone: tzinfo | None, months: dict[int, str]) -> str:
    """``value|date:"j M Y H:i"`` in the page's timezone (``zone``; None: as it is), as the
    template's filter writes it, without parsing the format again for every row
    (``months``: the month names met so far, translated once)."""
    local = value.astimezone(zone) if zone is not None and is_aware(value) else value
    month = months.get(local.month)
    if month is None:
        month = months[local.month] = str(MONTHS_3[local.month]).title()
    return f"{local.day} {month} {local.year:04d} {local.hour:02d}:{local.minute:02d}"


@register.simple_tag
def trend_rows(rows: Iterable[Any]) -> SafeString:
    """The trend table's rows (``trend_views.TrendRow``: a value and its applied range):
    when collected, the value (and the outside lab that measured it), its flag and the range
    it was flagged against. Drawn here
    rather than by the template's loop: a ten-year trend has 120 rows and more, and the
    loop's four look-ups and filters per row were most of the page's time. Each text is
    escaped as the template would (``html.escape``, what Django's ``escape`` applies)."""
    zone = get_current_timezone() if settings.USE_TZ else None
    months: dict[int, str] = {}
    ranges_shown: dict[int, str] = {}  # rows mostly share one AppliedRange object
    drawn = []
    for row in rows:
        result, applied = row, row.applied
        shown = ""
        if applied is not None:
            shown = ranges_shown.get(id(applied), "")
            if not shown:
                shown = ranges_shown[id(applied)] = escape(applied.display)
        badge = flag_badge(result) if result.flag or result.delta_flagged else ""
        collected = escape(_collected(result.collected_at, zone, months))
        value = escape(result.display)
        if result.outside_lab:
            outside = _("outside lab: %(lab)s") % {"lab": escape(result.outside_lab)}
            value += f' <span class="small text-muted" data-testid="outside-lab">{outside}</span>'
        drawn.append(
            f'\n    <tr data-testid="lab-trend-row"><td>{collected}</td>'
            f"<td>{value}</td><td>{badge}</td><td>{shown}</td></tr>\n  "
        )
    return mark_safe("".join(drawn))  # noqa: S308  (every text escaped above)
