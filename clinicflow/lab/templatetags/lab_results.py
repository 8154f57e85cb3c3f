"""Template filters of the lab's results."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from html import escape
from typing import Any
from urllib.parse import quote

from django import template
from django.conf import settings
from django.urls import reverse
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


def _local(value: datetime, zone: tzinfo | None) -> datetime:
    return value.astimezone(zone) if zone is not None and is_aware(value) else value


def _day(local: datetime, months: dict[int, str]) -> str:
    """``|date:"j M Y"`` of a time already in the page's zone (``months``: the month names
    met so far, translated once)."""
    month = months.get(local.month)
    if month is None:
        month = months[local.month] = str(MONTHS_3[local.month]).title()
    return f"{local.day} {month} {local.year:04d}"


def _collected(value: datetime, zone: tzinfo | None, months: dict[int, str]) -> str:
    """``value|date:"j M Y H:i"`` in the page's timezone (``zone``; None: as it is), as the
    template's filter writes it, without parsing the format again for every row."""
    local = _local(value, zone)
    return f"{_day(local, months)} {local.hour:02d}:{local.minute:02d}"


def _outside(result: Any) -> str:
    """The outside lab that measured a value, after it (nothing for our own lab's)."""
    if not result.outside_lab:
        return ""
    outside = _("outside lab: %(lab)s") % {"lab": escape(result.outside_lab)}
    return f' <span class="small text-muted" data-testid="outside-lab">{outside}</span>'


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
        value = escape(result.display) + _outside(result)
        drawn.append(
            f'\n    <tr data-testid="lab-trend-row"><td>{collected}</td>'
            f"<td>{value}</td><td>{badge}</td><td>{shown}</td></tr>\n  "
        )
    return mark_safe("".join(drawn))  # noqa: S308  (every text escaped above)


#: A parameter's code in its trend's address, for a page that links many: the address is
#: worked out once with this in the code's place (letters only: the address's quoting leaves
#: it as it is).
_CODE_MARK = "CODEMARK"
#: What ``reverse`` leaves unquoted in an address (``django.urls.resolvers``).
_ADDRESS_SAFE = "!$&'()*+,;=" + "/~:@"


def _trend_link(template: str, patient: Any, code: str) -> str:
    """The trend's address of ``code``, as ``{% url 'lab:trend' patient code %}`` writes it."""
    if "/" in code or not code:  # no trend address has one: let reverse() refuse it
        return reverse("lab:trend", args=[patient, code])
    return template.replace(_CODE_MARK, quote(code, safe=_ADDRESS_SAFE))


@register.simple_tag
def latest_rows(patient: Any, results: Iterable[Any]) -> SafeString:
    """The Results panel's rows (``chart.latest_values``): the parameter, linking to its
    trend, its latest value with unit, flag and the outside lab that measured it, and the
    day. Drawn here rather than by the template's loop, where the panel spent most of its
    time (a link, a date format and a dozen look-ups per row); escaped as the template
    would."""
    zone = get_current_timezone() if settings.USE_TZ else None
    months: dict[int, str] = {}
    link = reverse("lab:trend", args=[patient, _CODE_MARK])
    drawn = []
    for result in results:
        parameter = result.parameter
        code = escape(parameter.code)
        href = escape(_trend_link(link, patient, parameter.code))
        value = f"{escape(result.display)} {escape(parameter.unit_label)} {flag_badge(result)}"
        day = escape(_day(_local(result.collected_at, zone), months))
        drawn.append(
            f'\n      <tr data-testid="lab-latest" data-code="{code}">\n'
            f'        <td><a href="{href}">{escape(parameter.name)}</a></td>\n'
            f"        <td>{value}{_outside(result)}</td>\n"
            f"        <td>{day}</td>\n      </tr>"
        )
    return mark_safe("".join(drawn))  # noqa: S308  (every text escaped above)
