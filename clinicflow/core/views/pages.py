"""The public face, the dashboard, and moving between clinics."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core.access import actor_of, requires
from clinicflow.core.dashboards import dashboard_for, home_context
from clinicflow.core.errors import DomainError
from clinicflow.core.services import switch_clinic
from clinicflow.core.tasks import HEARTBEAT_CACHE_KEY


@requires("site.home")
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:dashboard")
    return render(request, "core/home.html")


@requires("site.health")
def health(request: HttpRequest) -> JsonResponse:
    """For monitors: is the database there, the cache, and is beat still beating?"""
    checks: dict[str, Any] = {}
    status = 200
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
        status = 503
    try:
        cache.set("clinicflow:health", "ok", 10)
        checks["cache"] = "ok" if cache.get("clinicflow:health") == "ok" else "unavailable"
    except Exception:
        checks["cache"] = "unavailable"
        status = 503
    beat = cache.get(HEARTBEAT_CACHE_KEY)
    checks["beat_last_seen"] = beat
    return JsonResponse(checks, status=status)


@requires("dashboard.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    dashboard = dashboard_for(actor)
    return render(
        request,
        dashboard.template,
        {"dashboard": dashboard, "now": timezone.now(), **home_context(request, actor)},
    )


@requires("clinic.switch")
@require_POST
def clinic_switch(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    try:
        clinic = switch_clinic(
            request=request, actor=actor, clinic_id=request.POST.get("clinic", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You are now working in %(clinic)s.") % {"clinic": clinic.name})
    # Always to the dashboard: the page you were on belongs to the clinic you just left.
    return redirect("core:dashboard")
