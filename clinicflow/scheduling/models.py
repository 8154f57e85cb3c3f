"""Doctors' profiles, when they work, and the appointments booked with them."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Audited, ClinicOwned


class Specialization(Audited, ClinicOwned):
    """A clinic's own list: General Physician, Cardiologist, Pediatrician…"""

    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="specialization_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


def photo_path(practitioner: Practitioner, filename: str) -> str:
    """A random name under the clinic's private folder; the given name is never used."""
    return (
        f"practitioners/{practitioner.clinic_id}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1]}"
    )


def doctor_name(first_name: str, last_name: str) -> str:
    """How a practitioner is named to patients and staff: "Dr Sita Karki"."""
    return " ".join(part for part in ("Dr", first_name, last_name) if part)


class Practitioner(Audited, ClinicOwned):
    """A doctor's profile in one clinic."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="practitioner_profiles"
    )
    specialization = models.ForeignKey(
        Specialization, on_delete=models.PROTECT, related_name="practitioners"
    )
    department = models.CharField(_("department"), max_length=80, blank=True)
    qualifications = models.CharField(_("qualifications"), max_length=200, blank=True)
    registration_number = models.CharField(_("licence number"), max_length=40, blank=True)
    bio = models.TextField(_("about"), blank=True)
    consultation_fee = models.DecimalField(
        _("consultation fee"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    follow_up_fee = models.DecimalField(
        _("follow-up fee"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    follow_up_days = models.PositiveSmallIntegerField(
        _("follow-up valid for (days)"), default=7, validators=[MaxValueValidator(365)]
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"),
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
    )
    is_active = models.BooleanField(_("takes appointments"), default=True)
    #: A JPEG or PNG checked by content, stored privately; shown (with its thumbnail) only
    #: through the photo view, and only while the doctor is active.
    photo = models.FileField(_("photo"), upload_to=photo_path, max_length=200, blank=True)
    photo_thumbnail = models.FileField(upload_to=photo_path, max_length=200, blank=True)
    #: The secret of the doctor's calendar feed URL; a new one revokes the old (empty: none).
    calendar_token = models.CharField(max_length=64, blank=True, db_index=True)

    audit_secrets: ClassVar[tuple[str, ...]] = ("calendar_token",)

    class Meta:
        ordering = ["user__first_name", "user__last_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "user"], name="practitioner_one_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=5, slot_minutes__lte=240),
                name="practitioner_slot_length",
            ),
            models.CheckConstraint(
                condition=models.Q(consultation_fee__gte=0, follow_up_fee__gte=0),
                name="practitioner_fees_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return doctor_name(self.user.first_name, self.user.last_name)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class AvailabilityRule(Audited, ClinicOwned):
    """A stretch of working hours on a weekday, in the clinic's local time. A break is the gap
    between two rules of one day (09:00–13:00 and 14:00–17:00 is a day with a lunch break);
    extra hours on one date are a rule valid on that date only."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="rules")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="rule_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="rule_weekday_range"
            ),
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="rule_valid_range",
            ),
        ]
        indexes = [
            models.Index(fields=["practitioner", "weekday"], name="rule_practitioner_day_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class TimeOff(Audited, ClinicOwned):
    """Leave of one doctor, or (without a doctor) a clinic-wide holiday; part of a day makes a
    shorter day."""

    practitioner = models.ForeignKey(
        Practitioner, null=True, blank=True, on_delete=models.PROTECT, related_name="time_off"
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=120)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="time_off_ends_after_start",
            )
        ]
        indexes = [
            models.Index(fields=["clinic", "starts_at", "ends_at"], name="time_off_range_idx")
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.starts_at:%Y-%m-%d})"


class ScheduleVersion(models.Model):
    """A stamp of one doctor's working hours: a new value whenever any of their rules or time
    off (or a clinic-wide holiday of their clinic) is inserted, changed or deleted. Database
    triggers write it (migration 0008, PostgreSQL and SQLite), so a bulk ``update()``,
    ``bulk_create``, raw SQL and the admin all change it; no Python code does. The cached
    slot grid (:mod:`clinicflow.scheduling.slots`) is keyed by it.

    A new stamp is never an old one again, even after a rollback (a sequence on PostgreSQL, a
    random 64-bit number on SQLite): a grid cached inside a transaction that rolled back is
    never found under a later change's stamp."""

    practitioner = models.OneToOneField(
        Practitioner,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="schedule_version",
    )
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.practitioner_id}@{self.version}"


class AppointmentStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    IN_CONSULTATION = "in_consultation", _("In consultation")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


#: Appointments that hold their time: no other active one may overlap them.
ACTIVE_STATUSES = (
    AppointmentStatus.REQUESTED,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_CONSULTATION,
)


class AppointmentKind(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    VIDEO = "video", _("Video")


class Appointment(Audited, ClinicOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments"
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    kind = models.CharField(
        _("type"), max_length=10, choices=AppointmentKind.choices, default=AppointmentKind.IN_PERSON
    )
    reason = models.CharField(_("reason for the visit"), max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    status_reason = models.CharField(max_length=200, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    #: When the patient said they will come (an SMS reply to a reminder).
    patient_confirmed_at = models.DateTimeField(
        _("confirmed by the patient"), null=True, blank=True
    )
    #: While set, an online booking is held for its booking fee until then: it waits as
    #: "requested" (so its time stays taken: an active status under the database's overlap
    #: guard) and the payment confirms it; unpaid by then, the release sweep cancels it.
    payment_due_by = models.DateTimeField(_("to be paid by"), null=True, blank=True)
    documents = models.ManyToManyField(
        "patients.PatientDocument",
        through="AppointmentDocument",
        related_name="appointments",
        blank=True,
    )

    active_statuses: ClassVar[tuple[str, ...]] = tuple(ACTIVE_STATUSES)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="appointment_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="cancelled") | ~models.Q(status_reason=""),
                name="appointment_cancel_has_reason",
            ),
            # Only a requested booking waits for its payment (the desk cannot confirm it
            # around the payment, and a cancelled one holds nothing).
            models.CheckConstraint(
                condition=models.Q(payment_due_by__isnull=True) | models.Q(status="requested"),
                name="appointment_held_is_requested",
            ),
        ]
        indexes = [
            models.Index(fields=["practitioner", "starts_at"], name="appointment_doctor_time_idx"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_time_idx"),
            models.Index(fields=["clinic", "starts_at"], name="appointment_clinic_time_idx"),
            # Free slots and the booking check ask only for the active appointments of one
            # doctor (or patient) in a window; the full indexes above would walk every past
            # appointment before the window's end (decades of them in a busy clinic).
            models.Index(
                fields=["practitioner", "starts_at", "ends_at"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="appointment_doctor_active_idx",
            ),
            models.Index(
                fields=["patient", "starts_at", "ends_at"],
                condition=models.Q(status__in=ACTIVE_STATUSES),
                name="appointment_patient_active_idx",
            ),
            # The release sweep reads only the bookings held for payment.
            models.Index(
                fields=["payment_due_by"],
                condition=models.Q(payment_due_by__isnull=False),
                name="appointment_held_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} with {self.practitioner} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class AppointmentChange(ClinicOwned):
    """The appointment's history, append-only: every status change and every move."""

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="changes")
    # The states' choices give every history its words ("Checked in", not "checked_in"):
    # ``get_from_status_display`` and ``get_to_status_display``.
    from_status = models.CharField(max_length=20, blank=True, choices=AppointmentStatus.choices)
    to_status = models.CharField(max_length=20, choices=AppointmentStatus.choices)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '∅'} → {self.get_to_status_display()}"


class AppointmentReminder(ClinicOwned):
    """A reminder sent for an appointment at a time: the reminder sweep writes one before it
    tells the patient, so a sweep run twice (or on two beat instances) reminds once, and a
    moved appointment is reminded again of its new time."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="reminders", db_index=False
    )
    starts_at = models.DateTimeField()
    hours_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "starts_at", "hours_before"], name="reminder_once"
            ),
        ]


class AppointmentDocument(Audited, ClinicOwned):
    """A document of the patient attached to one of their appointments (a referral, earlier
    results). The document stays the patient's; the link says who attached it and when.
    A database trigger refuses a link whose document is of another patient or clinic."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="document_links"
    )
    document = models.ForeignKey(
        "patients.PatientDocument", on_delete=models.PROTECT, related_name="appointment_links"
    )
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    attached_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["attached_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "document"], name="appointment_document_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} on {self.appointment_id}"


#: How long an unpaid online booking may be held, in minutes: long enough to open a wallet
#: and pay, short enough that a time nobody pays for is soon free again.
HOLD_MINUTES = (5, 120)


class OnlineBookingSettings(Audited, ClinicOwned):
    """How patients book in the portal at one clinic: how far ahead and how soon before the
    time, whether the desk must confirm an online booking (it waits as "requested"), and until
    how many hours before the time the patient may still cancel or move it online, and
    whether the doctor's fee is paid online as the patient books (the time is then held so
    many minutes for the payment, which confirms it). A clinic without a row has the
    defaults."""

    enabled = models.BooleanField(_("patients may book online"), default=True)
    days_ahead = models.PositiveSmallIntegerField(
        _("how far ahead (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    min_notice_hours = models.PositiveSmallIntegerField(
        _("at least this many hours before the time"),
        default=2,
        validators=[MaxValueValidator(24 * 14)],
    )
    needs_confirmation = models.BooleanField(_("the desk confirms online bookings"), default=True)
    change_until_hours = models.PositiveSmallIntegerField(
        _("cancel or move online until (hours before)"),
        default=24,
        validators=[MaxValueValidator(24 * 14)],
    )
    fee_paid_online = models.BooleanField(_("the booking fee is paid online"), default=False)
    payment_hold_minutes = models.PositiveSmallIntegerField(
        _("an unpaid booking is held for (minutes)"),
        default=15,
        validators=[MinValueValidator(HOLD_MINUTES[0]), MaxValueValidator(HOLD_MINUTES[1])],
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic"], name="online_booking_one_per_clinic"),
            models.CheckConstraint(
                condition=models.Q(
                    payment_hold_minutes__gte=HOLD_MINUTES[0],
                    payment_hold_minutes__lte=HOLD_MINUTES[1],
                ),
                name="online_booking_hold_range",
            ),
            models.CheckConstraint(
                condition=models.Q(days_ahead__gte=1, days_ahead__lte=365),
                name="online_booking_days_ahead_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Online booking of {self.clinic_id}"


class VisitReview(Audited, ClinicOwned):
    """A patient's rating of a completed visit: the doctor and the clinic, 1 to 5, with an
    optional comment; one per visit (a database constraint). A manager may hide one, with the
    reason; only visible reviews count in the directory's average."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="review")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="reviews"
    )
    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="reviews")
    doctor_rating = models.PositiveSmallIntegerField(
        _("the doctor"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    clinic_rating = models.PositiveSmallIntegerField(
        _("the clinic"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), max_length=1000, blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    hidden_reason = models.CharField(_("why hidden"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(doctor_rating__gte=1, doctor_rating__lte=5),
                name="review_doctor_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(clinic_rating__gte=1, clinic_rating__lte=5),
                name="review_clinic_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=models.Q(hidden_at__isnull=True) | ~models.Q(hidden_reason=""),
                name="review_hidden_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["practitioner"],
                condition=models.Q(hidden_at__isnull=True),
                name="review_visible_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.doctor_rating}/{self.clinic_rating} for {self.appointment_id}"

    @property
    def is_visible(self) -> bool:
        return self.hidden_at is None
