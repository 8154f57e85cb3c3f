"""The API's shared settings: keyset paging and one error shape. Named in REST_FRAMEWORK
settings, so this module imports only what DRF can load before its views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.response import Response

from clinicflow.core.errors import DomainError


class DefaultPagination(CursorPagination):
    """Keyset paging: every page costs the same, however deep. A cursor that is not one this
    API gave out (hand-edited or forged) is a 400 with a plain message, never a 500."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = "This page link is not valid: start again from the first page."

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._queryset = queryset  # decode_cursor checks a cursor's position against it
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Any) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._refused() from None
        if cursor is not None and cursor.position is not None:
            if "\x00" in str(cursor.position):  # the database cannot compare it
                raise self._refused()
            key = self.ordering[0].lstrip("-")
            try:
                # The filter the page will apply, built (not run): a position the key cannot
                # hold (text for a number, say) fails here.
                self._queryset.filter(**{f"{key}__gt": cursor.position})
            except (ValueError, TypeError, DjangoValidationError):
                raise self._refused() from None
        return cursor

    def _refused(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Domain refusals become 400/409 with the person-readable message, never a 500."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.field:
            body["field"] = exc.field
        body.update(exc.payload)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        return Response({"detail": " ".join(exc.messages), "code": "invalid"}, status=400)
    return drf_exception_handler(exc, context)
