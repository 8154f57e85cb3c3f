"""Lists built once: filter, page by key (no COUNT over a big table, no OFFSET), render as a
page or an HTMX fragment, and export as streamed CSV. A list view is a declaration:

    class AuditListView(FilteredListView):
        policy_action = "audit.view"
        model = AuditEvent
        filterset_class = AuditEventFilter
        template_name = "core/audit_list.html"
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.functional import Promise
from django.views.generic import TemplateView
from openpyxl import Workbook

from clinicflow.core import policy
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction
from clinicflow.core.text import without_control_characters


@dataclass(frozen=True)
class KeysetPage:
    items: list[Any]
    next_cursor: str | None
    cursor: str | None
    #: The link's cursor was not one a page gave out: this is the first page instead (the
    #: pager says so).
    cursor_refused: bool = False

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def keyset_page(
    queryset: QuerySet[Any],
    *,
    cursor: str | None,
    size: int,
    key: str = "pk",
    descending: bool = True,
) -> KeysetPage:
    """One page of rows ordered by a unique ``key``, starting after ``cursor``. Two pages of any
    size cost the same: one query, ``size + 1`` rows."""
    ordering = f"-{key}" if descending else key
    qs = queryset.order_by(ordering)
    refused = False
    if cursor:
        try:
            qs = qs.filter(**{f"{key}__{'lt' if descending else 'gt'}": cursor})
        except (ValueError, TypeError, ValidationError):  # a hand-edited link: from the top
            cursor, refused = None, True
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = str(getattr(rows[-1], key))
    return KeysetPage(items=rows, next_cursor=next_cursor, cursor=cursor, cursor_refused=refused)


class FilteredListView(TemplateView):
    """A filtered, keyset-paged list of what the actor may see. For an HTMX request only the
    ``#results`` partial of the same template is rendered."""

    policy_action: ClassVar[str]
    model: ClassVar[type[Model]]
    filterset_class: ClassVar[Any] = None
    page_size: ClassVar[int] = 0
    page_key: ClassVar[str] = "pk"
    page_descending: ClassVar[bool] = True
    select_related: ClassVar[tuple[str, ...]] = ()

    def base_queryset(self) -> QuerySet[Any]:
        actor = self.request.actor  # type: ignore[attr-defined]
        qs = policy.restrict(actor, self.policy_action, self.model._default_manager.all())
        return qs.select_related(*self.select_related) if self.select_related else qs

    def filtered(self) -> tuple[QuerySet[Any], Any]:
        qs = self.base_queryset()
        if self.filterset_class is None:
            return qs, None
        filterset = self.filterset_class(self.request.GET, queryset=qs, request=self.request)
        return (filterset.qs if filterset.is_valid() else qs.none()), filterset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        qs, filterset = self.filtered()
        page = keyset_page(
            qs,
            cursor=self.request.GET.get("after") or None,
            size=self.page_size or settings.CLINICFLOW_LIST_PAGE_SIZE,
            key=self.page_key,
            descending=self.page_descending,
        )
        params = self.request.GET.copy()
        params.pop("after", None)
        context.update(filter=filterset, page=page, query_string=params.urlencode())
        return context

    def get_template_names(self) -> list[str]:
        names = super().get_template_names()
        if getattr(self.request, "htmx", False):
            return [f"{name}#results" for name in names]
        return names


@dataclass(frozen=True)
class Column:
    header: str | Promise
    value: Callable[[Any], Any]


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(
    filename: str, columns: Iterable[Column], rows: Iterable[Any]
) -> StreamingHttpResponse:
    """A CSV download written row by row, so a large export never sits in memory (under ASGI,
    ``core.handlers`` sends it chunk by chunk)."""
    columns = list(columns)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([c.header for c in columns])
        for row in rows:
            yield writer.writerow([_csv_safe(c.value(row)) for c in columns])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_safe(value: Any) -> str:
    """Text that a spreadsheet will not run as a formula (CSV injection). A number is data
    as it is: a negative quantity stays ``-15``, not ``'-15``. Control characters are left
    out: refused at input now, they may still be stored from before, and an Excel file cannot
    hold them at all (one would break the export for everyone)."""
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else without_control_characters(str(value))
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def excel_file(filename: str, columns: Iterable[Column], rows: Iterable[Any]) -> FileResponse:
    """An .xlsx download: openpyxl's write-only workbook keeps one row in memory at a time,
    spooled to a temporary file that is then streamed."""
    columns = list(columns)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([str(c.header) for c in columns])
    for row in rows:
        sheet.append([_cell(c.value(row)) for c in columns])
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    book.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _cell(value: Any) -> Any:
    """A value a spreadsheet shows as data: text is never a formula, times lose their zone."""
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, date | int | float | Decimal) or value is None:
        return value
    return _csv_safe(value)


class ExportView(FilteredListView):
    """The same filtered rows as the list, as streamed CSV or Excel (``fmt`` from the URL);
    the export itself is audited."""

    columns: ClassVar[list[Column]]
    filename: ClassVar[str]

    def get(  # type: ignore[override]  # a download streams instead of rendering
        self, request: HttpRequest, *args: Any, fmt: str = "csv", **kwargs: Any
    ) -> HttpResponseBase:
        qs, _filterset = self.filtered()
        record(
            AuditAction.EXPORT,
            object_type=self.model._meta.label_lower,
            object_repr=f"{fmt.upper()} of {self.model._meta.verbose_name_plural}",
            changes={"filters": {k: v for k, v in request.GET.items() if v}, "format": fmt},
        )
        name = f"{self.filename}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{fmt}"
        rows = qs.order_by(f"{'-' if self.page_descending else ''}{self.page_key}")
        if fmt == "xlsx":
            return excel_file(name, self.columns, rows.iterator(chunk_size=2000))
        return stream_csv(name, self.columns, rows.iterator(chunk_size=2000))


def export_urls(view: type[ExportView], prefix: str, name: str) -> list[Any]:
    """``<prefix>.csv`` and ``<prefix>.xlsx`` routes of one export view."""
    from django.urls import path

    return [
        path(f"{prefix}.{fmt}", view.as_view(), {"fmt": fmt}, name=f"{name}{suffix}")
        for fmt, suffix in (("csv", ""), ("xlsx", "_xlsx"))
    ]
