"""People and their places: users, their roles per clinic, staff limits, and sign-in sessions."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db import models
from django.db.models.functions import Lower, Now
from django.utils.translation import gettext_lazy as _

from clinicflow.accounts.devices import describe_user_agent
from clinicflow.core.audit.queryset import AuditedManager, AuditedQuerySet
from clinicflow.core.models import Audited, ClinicOwned
from clinicflow.core.roles import STAFF_ROLES, Role


class UserManager(BaseUserManager.from_queryset(AuditedQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username=(username or "").lower())

    def create_user(self, username: str, password: str | None = None, **fields: Any) -> User:
        """Low-level constructor for fixtures and commands; staff are created by services."""
        email = fields.pop("email", "")
        user: User = self.model(
            username=username.lower(), email=self.normalize_email(email).lower(), **fields
        )
        user.set_password(password) if password else user.set_unusable_password()
        user.save(using=self._db)
        return user


class User(Audited, AbstractBaseUser):
    """A person who signs in: staff of one or more clinics, a patient, or a platform admin.

    What they may do is never a flag on the user: it comes from their memberships (roles per
    clinic) through the access policy.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @/./+/-/_ only; stored in lower case."),
    )
    email = models.EmailField(_("e-mail"), blank=True)
    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    #: The mobile number (E.164) this account proved with a one-time code; the one number
    #: signing in by code opens it with, so no two accounts may hold it. ``phone`` above is
    #: only a contact detail, typed freely (a desk phone may serve several staff).
    verified_phone = models.CharField(
        _("verified mobile number"), max_length=16, blank=True, editable=False
    )
    job_title = models.CharField(
        _("job title"), max_length=120, blank=True, help_text=_("e.g. Cardiologist, Staff nurse.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    must_change_password = models.BooleanField(
        _("must change password at next sign-in"), default=False
    )
    date_joined = models.DateTimeField(auto_now_add=True, db_default=Now())

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["first_name"]

    audit_exclude = ("last_login",)
    audit_secrets = ("password",)
    #: A user belongs to the clinics they hold a role in.
    clinic_path: ClassVar[str] = "memberships__clinic"

    class Meta:
        ordering = ["first_name", "last_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(username=Lower("username")), name="user_username_lowercase"
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=_("Another account already uses this e-mail."),
            ),
            models.UniqueConstraint(
                fields=["verified_phone"],
                condition=~models.Q(verified_phone=""),
                name="user_verified_phone_unique",
                violation_error_message=_("Another account already uses this mobile number."),
            ),
            models.CheckConstraint(
                condition=models.Q(verified_phone="") | models.Q(verified_phone__startswith="+"),
                name="user_verified_phone_e164",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.username

    @property
    def audit_clinic_id(self) -> Any:
        """A person's changes go in the trail of the one clinic they work in; someone of
        several clinics, or none, belongs to the platform trail."""
        if self.pk is None:
            return None
        clinics = set(
            Membership.objects.filter(user=self, is_active=True, clinic__isnull=False)
            .values_list("clinic_id", flat=True)
            .distinct()[:2]
        )
        return clinics.pop() if len(clinics) == 1 else None

    @cached_property
    def is_platform_admin(self) -> bool:
        return self.is_active and self.memberships.filter(role=Role.ADMIN, is_active=True).exists()

    # Django's admin site asks these; the answer comes from the platform-admin role alone.
    @property
    def is_staff(self) -> bool:
        return self.is_platform_admin

    @property
    def is_superuser(self) -> bool:
        return self.is_platform_admin

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return self.is_platform_admin

    def has_perms(self, perm_list: Any, obj: Any = None) -> bool:
        return self.is_platform_admin

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_platform_admin


class Membership(Audited, models.Model):
    """One role held by one person in one clinic (or, for the platform admin, in none)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    clinic = models.ForeignKey(
        "core.Clinic",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    status_reason = models.CharField(
        _("reason for the last status change"), max_length=200, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    objects = AuditedManager()

    class Meta:
        ordering = ["clinic__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic", "role"], name="membership_unique_role_per_clinic"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(clinic__isnull=True),
                name="membership_unique_platform_role",
            ),
            # The platform admin holds no clinic; every other role holds exactly one.
            models.CheckConstraint(
                condition=(models.Q(role=Role.ADMIN) & models.Q(clinic__isnull=True))
                | (~models.Q(role=Role.ADMIN) & models.Q(clinic__isnull=False)),
                name="membership_admin_iff_no_clinic",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]), name="membership_role_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "role", "is_active"], name="membership_count_idx")
        ]

    def __str__(self) -> str:
        where = self.clinic.code if self.clinic_id and self.clinic else "platform"
        return f"{self.user} — {self.get_role_display()} @ {where}"

    @property
    def audit_clinic_id(self) -> Any:
        return self.clinic_id


class StaffLimit(Audited, ClinicOwned):
    """The most active staff of one role a clinic may have (seed 001's max doctors, …)."""

    role = models.CharField(
        _("role"), max_length=20, choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES]
    )
    max_active = models.PositiveIntegerField(_("at most"))

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "role"], name="staff_limit_unique_role"),
            models.CheckConstraint(
                condition=models.Q(role__in=sorted(r.value for r in STAFF_ROLES)),
                name="staff_limit_staff_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: at most {self.max_active}"


class UserSession(models.Model):
    """One signed-in browser: what the person sees on their sessions page, and what lets the
    server end it (sign-out elsewhere, deactivation, password change, timeouts)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(db_default=Now())
    last_seen_at = models.DateTimeField(db_default=Now())
    ip = models.CharField(max_length=45, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="user_session_live_idx")]

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    @property
    def device(self) -> str:
        return describe_user_agent(self.user_agent)
