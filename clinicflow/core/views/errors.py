"""Error pages that show no internals: a plain message and a way back."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def _page(request: HttpRequest, template: str, status: int) -> HttpResponse:
    # No context from the failed view: nothing of the object or the error reaches the page.
    return render(request, template, status=status)


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, "errors/403.html", 403)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    return _page(request, "errors/404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _page(request, "errors/500.html", 500)
