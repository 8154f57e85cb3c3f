"""The API's shared settings: keyset paging and one error shape. Named in REST_FRAMEWORK
settings, so this module imports only what DRF can load before its views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from clinicflow.core.errors import DomainError


class DefaultPagination(CursorPagination):
    """Keyset paging: every page costs the same, however deep."""

    ordering = "-pk"
    page_size_query_param = "page_size"
    max_page_size = 200


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
