"""The clinic: ClinicFlow's tenant. Every clinical and financial row belongs to one."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import date, datetime
from functools import cache
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicflow.core.audit.queryset import AuditedManager
from clinicflow.core.models.base import Audited

CLINIC_CODE_PATTERN = r"^[A-Z][A-Z0-9]{1,7}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"


@cache
def _known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str) -> None:
    if value not in _known_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone."), params={"value": value})


def default_timezone() -> str:
    return str(settings.CLINICFLOW_DEFAULT_TIMEZONE)


def default_currency() -> str:
    return str(settings.CLINICFLOW_DEFAULT_CURRENCY)


def default_country() -> str:
    return str(settings.CLINICFLOW_DEFAULT_COUNTRY)


class Clinic(Audited, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(
        _("code"),
        max_length=8,
        unique=True,
        validators=[
            RegexValidator(
                CLINIC_CODE_PATTERN,
                _("2–8 capital letters or digits, starting with a letter (e.g. KTM)."),
            )
        ],
        help_text=_("Short code used in record numbers, e.g. KTM in KTM-000123."),
    )
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, default=default_timezone, validators=[validate_timezone]
    )
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default=default_currency,
        validators=[RegexValidator(CURRENCY_PATTERN, _("A three-letter ISO 4217 code."))],
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        default=default_country,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("A two-letter ISO 3166 code, e.g. NP."))],
        help_text=_("Phone numbers without a country code are read as this country's."),
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("idle sign-out after (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(5), MaxValueValidator(480)],
        help_text=_("Empty: the platform default."),
    )
    require_two_factor_for_managers = models.BooleanField(
        _("require a second factor for managers"), default=False
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    objects = AuditedManager()

    #: The clinic's own rows are reached from the clinic itself.
    clinic_path: ClassVar[str] = "pk"

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=CLINIC_CODE_PATTERN), name="clinic_code_format"
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=CURRENCY_PATTERN),
                name="clinic_currency_format",
            ),
            models.CheckConstraint(
                condition=models.Q(country__regex=r"^[A-Z]{2}$"), name="clinic_country_format"
            ),
            models.CheckConstraint(
                condition=models.Q(idle_timeout_minutes__isnull=True)
                | models.Q(idle_timeout_minutes__gte=5, idle_timeout_minutes__lte=480),
                name="clinic_idle_timeout_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def audit_clinic_id(self) -> uuid.UUID:
        """A clinic's own changes belong in its own trail (its manager reads them there)."""
        return self.pk

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def local_date(self, at: datetime | None = None) -> date:
        """The clinic's calendar day at ``at`` (now by default)."""
        return timezone.localtime(at or timezone.now(), self.zone).date()
