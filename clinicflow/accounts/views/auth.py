"""Signing in and out, passwords, and the second factor."""

from __future__ import annotations

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from clinicflow.accounts.forms import (
    AccountPasswordResetForm,
    ConfirmPasswordForm,
    PasswordChangeForm,
    SignInForm,
    TokenForm,
)
from clinicflow.accounts.models import User
from clinicflow.accounts.readiness import requires_two_factor
from clinicflow.accounts.services import credentials
from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError


class SignInView(auth_views.LoginView):
    policy_action = "auth.login"
    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        response = super().form_valid(form)  # a new session key; the session record starts
        form.complete_login(self.request)
        return response


class SignOutView(auth_views.LogoutView):
    policy_action = "auth.logout"
    template_name = "accounts/logged_out.html"


class PasswordResetView(auth_views.PasswordResetView):
    policy_action = "auth.password_reset"
    form_class = AccountPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    policy_action = "auth.password_reset"
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    policy_action = "auth.password_reset"
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        credentials.password_was_reset(form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    policy_action = "auth.password_reset"
    template_name = "accounts/password_reset_complete.html"


@requires("auth.password_change")
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            credentials.change_password(
                request=request,
                user=actor_of(request).user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(
                request, _("Your password was changed. Your other sessions were signed out.")
            )
            return redirect("core:dashboard")
    return render(request, "accounts/password_change.html", {"form": form})


@requires("auth.two_factor")
def two_factor(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app (start, then confirm with a code), or remove it."""
    actor = actor_of(request)
    user: User = actor.user
    operation = request.POST.get("operation") if request.method == "POST" else None
    token_form = TokenForm(request.POST if operation == "confirm" else None)
    remove_form = ConfirmPasswordForm(request.POST if operation == "remove" else None)
    pending = None

    if operation == "start":
        try:
            pending = credentials.start_totp_enrolment(user)
        except DomainError as exc:
            messages.error(request, exc.message)
    elif operation == "confirm" and token_form.is_valid():
        try:
            credentials.confirm_totp(user=user, token=token_form.cleaned_data["token"])
        except DomainError as exc:
            token_form.add_error("token", exc.message)
            pending = credentials.pending_device(user)
        else:
            messages.success(request, _("Your authenticator app is set up."))
            return redirect("accounts:two_factor")
    elif operation == "remove" and remove_form.is_valid():
        try:
            credentials.remove_totp(
                request=request, user=user, password=remove_form.cleaned_data["password"]
            )
        except DomainError as exc:
            remove_form.add_error("password", exc.message)
        else:
            messages.success(request, _("Your authenticator app was removed."))
            return redirect("accounts:two_factor")

    return render(
        request,
        "accounts/two_factor.html",
        {
            "device": credentials.confirmed_device(user),
            "pending": pending,
            "qr": segno.make(pending.config_url).svg_data_uri(scale=4) if pending else None,
            "token_form": token_form,
            "remove_form": remove_form,
            "required": requires_two_factor(actor),
        },
    )
