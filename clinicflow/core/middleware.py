"""Request-wide handling: a request id and the audit context that says who and from where; query
parameters no database can use; responses that browsers must not keep."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _

from clinicflow.core import policy
from clinicflow.core.access import is_api_view, view_action
from clinicflow.core.audit.context import audit_context
from clinicflow.core.logging import request_id_var


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        try:
            with audit_context(request=request, request_id=request_id):
                response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class NulParameterMiddleware:
    """A query parameter holding a NUL character is a bad request, answered here for every page
    and API route: no database stores or compares text with NUL in it (PostgreSQL refuses it),
    so a search or filter would otherwise fail with a 500."""

    message = _(
        "The address holds a NUL character (%00), which no search or filter can use: remove it "
        "and try again."
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not any("\x00" in name + "".join(values) for name, values in request.GET.lists()):
            return None
        if is_api_view(view_func):
            return JsonResponse({"detail": str(self.message), "code": "invalid"}, status=400)
        return render(request, "errors/400.html", {"message": self.message}, status=400)


class PrivateResponsesMiddleware:
    """Every response that may carry patient data tells browsers and proxies not to keep it
    (``Cache-Control: private, no-store``): a chart, an export or a document left in a shared
    computer's cache is a leak. That is every response to a signed-in person, and every answer
    of a route that is not public (an API route, or a page whose policy action is not public),
    unless the view set its own ``Cache-Control``. Public pages keep theirs; static files are
    served before this runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Cache-Control" not in response and _may_carry_private_data(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


def _may_carry_private_data(request: HttpRequest) -> bool:
    actor = getattr(request, "actor", None)
    if actor is not None and actor.is_authenticated:
        return True
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    if is_api_view(match.func):
        return True
    action = view_action(match.func, match)
    try:
        return action is None or policy.rule_for(action).audience is not policy.Audience.PUBLIC
    except policy.UnknownAction:
        return True
