"""One's own account: profile and active sessions."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.accounts.forms import ProfileForm
from clinicflow.accounts.selectors import live_sessions
from clinicflow.accounts.services.profile import PROFILE_FIELDS, profile_fields, update_profile
from clinicflow.accounts.services.sessions import end_own_session
from clinicflow.core.access import requires
from clinicflow.core.errors import DomainError


@requires("account.profile")
def profile(request: HttpRequest) -> HttpResponse:
    fields = profile_fields(request.user)  # type: ignore[arg-type]
    form = ProfileForm(request.POST or None, instance=request.user, fields=fields)
    if request.method == "POST" and form.is_valid():
        try:
            update_profile(user=request.user, changes=form.cleaned_data)  # type: ignore[arg-type]
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, _("Your details were saved."))
            return redirect("accounts:profile")
    return render(
        request, "accounts/profile.html", {"form": form, "contact_here": fields == PROFILE_FIELDS}
    )


@requires("account.sessions")
def sessions(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "accounts/sessions.html",
        {
            "sessions": live_sessions(request.user),  # type: ignore[arg-type]
            "current_key": request.session.session_key,
        },
    )


@requires("account.sessions")
@require_POST
def session_end(request: HttpRequest, session_id: str) -> HttpResponse:
    try:
        ended = end_own_session(user=request.user, session_id=session_id)  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("accounts:sessions")
    if ended.session_key == request.session.session_key:
        return redirect("accounts:login")
    messages.success(request, _("That session was signed out."))
    return redirect("accounts:sessions")
