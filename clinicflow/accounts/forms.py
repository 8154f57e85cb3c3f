"""Forms of sign-in, one's own account, and staff management. Forms only parse input;
services decide and write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django_filters
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login

from clinicflow.accounts.lockout import report_failed_password
from clinicflow.accounts.models import Membership, User
from clinicflow.accounts.selectors import search_staff
from clinicflow.accounts.services.credentials import confirmed_device
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.forms import ClinicFlowForm, ClinicFlowModelForm, PlainTextFields
from clinicflow.core.roles import ROLE_PRECEDENCE, STAFF_ROLES, Role

LOCKED_MESSAGE = _(
    "This account is locked after too many failed sign-ins. Try again in 15 minutes, "
    "or ask your clinic's manager to unlock it."
)


class SignInForm(PlainTextFields, AuthenticationForm):
    """Username or e-mail, password, and — for people who enrolled one — a code from their
    authenticator app."""

    username = forms.CharField(
        label=_("Username or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    otp_token = forms.CharField(
        label=_("Authentication code"),
        required=False,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9 ]*"}
        ),
        help_text=_("Only if you enrolled an authenticator app."),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("That username or e-mail and password do not match."),
        "locked": LOCKED_MESSAGE,
        "otp_required": _("Enter the 6-digit code from your authenticator app."),
        "otp_invalid": _("That authentication code is not right."),
    }

    def clean(self) -> dict[str, Any]:
        try:
            cleaned = super().clean()
        except ValidationError:
            if getattr(self.request, "axes_locked_out", False):
                raise ValidationError(self.error_messages["locked"], code="locked") from None
            raise
        user = self.get_user()
        device = confirmed_device(user) if user else None
        if device is not None:
            token = (cleaned.get("otp_token") or "").replace(" ", "")
            if not token:
                raise ValidationError(self.error_messages["otp_required"], code="otp_required")
            if not device.verify_token(token):
                report_failed_password(self.request, user.username)
                raise ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
            self.verified_device = device
        return cleaned

    def complete_login(self, request: Any) -> None:
        device = getattr(self, "verified_device", None)
        if device is not None:
            otp_login(request, device)


class PasswordChangeForm(ClinicFlowForm):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters; not a common password; not only digits."),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("new_password") != cleaned.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return cleaned


class TokenForm(ClinicFlowForm):
    token = forms.CharField(
        label=_("Code from the app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ConfirmPasswordForm(ClinicFlowForm):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ProfileForm(ClinicFlowModelForm):
    """One's own details: only the ``fields`` this account may change here
    (``services.profile.profile_fields``)."""

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone"]

    def __init__(self, *args: Any, fields: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in set(self.fields) - set(fields):
            del self.fields[name]


def _role_choices(*, may_grant_manager: bool) -> list[tuple[str, Any]]:
    return [
        (role.value, role.label)
        for role in ROLE_PRECEDENCE
        if role in STAFF_ROLES and (may_grant_manager or role != Role.MANAGER)
    ]


class StaffForm(ClinicFlowForm):
    """A person's details and roles. ``creating`` adds the username and a temporary password."""

    username = forms.CharField(label=_("Username"), max_length=150)
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    job_title = forms.CharField(
        label=_("Job title"),
        max_length=120,
        required=False,
        help_text=_("e.g. Cardiologist, Staff nurse."),
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles in this clinic"), widget=forms.CheckboxSelectMultiple
    )
    password = forms.CharField(
        label=_("Temporary password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Changed by the person at their first sign-in. Leave empty to e-mail them a link "
            "to choose their own."
        ),
    )

    def __init__(self, *args: Any, creating: bool, may_grant_manager: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        roles = self.fields["roles"]
        assert isinstance(roles, forms.MultipleChoiceField)
        roles.choices = _role_choices(may_grant_manager=may_grant_manager)
        if not creating:
            del self.fields["username"]
            del self.fields["password"]


class TemporaryPasswordForm(ClinicFlowForm):
    password = forms.CharField(
        label=_("Temporary password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class StaffFilter(ClinicFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    role = django_filters.ChoiceFilter(
        choices=[(r.value, r.label) for r in ROLE_PRECEDENCE if r in STAFF_ROLES],
        method="filter_role",
        label=_("Role"),
        empty_label=_("Any role"),
    )
    status = django_filters.ChoiceFilter(
        choices=[("active", _("Active")), ("inactive", _("Inactive"))],
        method="filter_status",
        label=_("Status"),
        empty_label=_("Active or not"),
    )

    class Meta:
        model = User
        fields: list[str] = []

    def filter_q(self, queryset: Any, name: str, value: str) -> Any:
        return search_staff(queryset, value)

    def _active_here(self, **lookup: Any) -> Any:
        clinic = self.request.actor.clinic
        return Membership.objects.filter(
            clinic=clinic, is_active=True, user__is_active=True, **lookup
        ).values("user")

    def filter_role(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(pk__in=self._active_here(role=value))

    def filter_status(self, queryset: Any, name: str, value: str) -> Any:
        active = self._active_here(role__in=STAFF_ROLES)
        if value == "active":
            return queryset.filter(pk__in=active)
        return queryset.exclude(pk__in=active)


class AccountPasswordResetForm(PlainTextFields, PasswordResetForm):
    """Django's reset form, also for people who were created without a password and are
    choosing their first one through the e-mailed link."""

    def get_users(self, email: str) -> Iterator[Any]:
        return (
            user
            for user in User.objects.filter(email__iexact=email.strip(), is_active=True)
            if user.email
        )
