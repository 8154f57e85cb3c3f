"""The day's queue: who has arrived, with which token, how urgent, where they are now; the
vitals taken on the way; and the private links of the waiting-room screens."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Audited, ClinicOwned


class Priority(models.IntegerChoices):
    """Triage colour; a lower number is seen first."""

    EMERGENCY = 1, _("Emergency")
    URGENT = 2, _("Urgent")
    FOLLOW_UP = 3, _("Follow-up")
    ROUTINE = 4, _("Routine")


#: The colour each priority wears on every screen (Bootstrap contextual names).
PRIORITY_COLOURS = {
    Priority.EMERGENCY: "danger",
    Priority.URGENT: "warning",
    Priority.FOLLOW_UP: "info",
    Priority.ROUTINE: "success",
}


class QueueStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    VITALS = "vitals", _("With the nurse")
    READY = "ready", _("Ready for the doctor")
    WITH_DOCTOR = "with_doctor", _("With the doctor")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")
    LEFT = "left", _("Left without being seen")


#: Entries still in the clinic's queue.
OPEN_STATUSES = (
    QueueStatus.WAITING,
    QueueStatus.VITALS,
    QueueStatus.READY,
    QueueStatus.WITH_DOCTOR,
)


class TokenCounter(ClinicOwned):
    """The last token given in a clinic on a day. Locked while a token is taken, in the same
    transaction as the queue entry's insert, so tokens are never skipped or repeated."""

    day = models.DateField()
    last_token = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "day"], name="token_counter_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.last_token}"


class DoctorDesk(Audited, ClinicOwned):
    """Where a doctor receives the queue: the room the board sends patients to and the prefix
    of the tokens given for them ("C-12")."""

    practitioner = models.OneToOneField(
        "scheduling.Practitioner", on_delete=models.PROTECT, related_name="desk"
    )
    room = models.CharField(_("room"), max_length=20, blank=True)
    token_prefix = models.CharField(
        _("token prefix"),
        max_length=4,
        blank=True,
        help_text=_("Letters put before this doctor's tokens, e.g. C for cardiology."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(token_prefix__regex=r"^[A-Z]{0,4}$"), name="desk_prefix_letters"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner}: {self.room}"


class QueueEntry(Audited, ClinicOwned):
    """One visit of the day, from arrival to leaving: a registered patient or an anonymous
    walk-in (name and phone only, registrable later without losing the visit)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    day = models.DateField(_("day"))
    token = models.PositiveIntegerField(_("token"))
    token_prefix = models.CharField(max_length=4, blank=True)
    patient = models.ForeignKey(
        "patients.Patient",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue_entries",
    )
    walk_in_name = models.CharField(_("name"), max_length=120, blank=True)
    walk_in_phone = models.CharField(_("phone"), max_length=32, blank=True)
    appointment = models.OneToOneField(
        "scheduling.Appointment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue_entry",
    )
    practitioner = models.ForeignKey(
        "scheduling.Practitioner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="queue_entries",
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.ROUTINE
    )
    reason = models.CharField(_("reason for the visit"), max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=QueueStatus.choices, default=QueueStatus.WAITING
    )
    status_reason = models.CharField(max_length=200, blank=True)
    #: Booked patients queue by their appointment time, walk-ins by arrival.
    queue_time = models.DateTimeField()
    room = models.CharField(max_length=20, blank=True)
    arrived_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    vitals_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    audit_exclude: ClassVar[tuple[str, ...]] = ("queue_time",)

    #: Not stored: set by a service that hands the visit to another doctor, so the live
    #: screens it leaves (the previous doctor's, or every doctor's when it was unassigned)
    #: hear of it too.
    handed_over: bool = False
    previous_practitioner_id: int | None = None

    def hand_over(self, practitioner: Any) -> None:
        """Give the visit to ``practitioner`` (saved by the caller), remembering the previous
        doctor for the live screens."""
        self.handed_over, self.previous_practitioner_id = True, self.practitioner_id
        self.practitioner = practitioner

    class Meta:
        ordering = ["priority", "queue_time", "token"]
        verbose_name_plural = "queue entries"
        constraints = [
            models.UniqueConstraint(fields=["clinic", "day", "token"], name="queue_token_unique"),
            models.CheckConstraint(condition=Q(token__gt=0), name="queue_token_positive"),
            models.CheckConstraint(
                condition=Q(patient__isnull=False) | ~Q(walk_in_name=""),
                name="queue_entry_names_someone",
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=4), name="queue_priority_known"
            ),
            # One open visit per patient at a time, and one patient in a doctor's room.
            models.UniqueConstraint(
                fields=["clinic", "day", "patient"],
                condition=Q(status__in=OPEN_STATUSES),
                name="queue_one_open_visit_per_patient",
            ),
            models.UniqueConstraint(
                fields=["practitioner"],
                condition=Q(status=QueueStatus.WITH_DOCTOR),
                name="queue_one_patient_with_doctor",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "day", "status"], name="queue_day_status_idx"),
            models.Index(fields=["patient", "day"], name="queue_patient_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.token_label} {self.display_name}"

    @property
    def token_label(self) -> str:
        return f"{self.token_prefix}-{self.token}" if self.token_prefix else str(self.token)

    @property
    def display_name(self) -> str:
        return self.patient.full_name if self.patient is not None else self.walk_in_name

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def colour(self) -> str:
        return PRIORITY_COLOURS[Priority(self.priority)]


class QueueChange(ClinicOwned):
    """The entry's history, append-only: every move, priority change and reassignment."""

    entry = models.ForeignKey(QueueEntry, on_delete=models.PROTECT, related_name="changes")
    # The states' choices give every history its words ("With the nurse", not "vitals").
    from_status = models.CharField(max_length=20, blank=True, choices=QueueStatus.choices)
    to_status = models.CharField(max_length=20, choices=QueueStatus.choices)
    note = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_from_status_display() or '∅'} → {self.get_to_status_display()}"


class ObservationFlag(models.TextChoices):
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")
    HIGH = "high", _("High")
    CRITICAL_LOW = "critical_low", _("Critically low")
    CRITICAL_HIGH = "critical_high", _("Critically high")


class ObservationStatus(models.TextChoices):
    FINAL = "final", _("Final")
    ENTERED_IN_ERROR = "entered_in_error", _("Entered in error")


class Observation(Audited, ClinicOwned):
    """One measured value (FHIR Observation): LOINC code, value, UCUM unit and a flag against
    the normal range. Vitals taken together share ``taken_at``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="observations"
    )
    entry = models.ForeignKey(
        QueueEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="observations"
    )
    code = models.CharField(_("LOINC code"), max_length=16)
    name = models.CharField(max_length=60)
    value = models.DecimalField(max_digits=8, decimal_places=2)
    unit = models.CharField(_("UCUM unit"), max_length=16)
    flag = models.CharField(
        max_length=16, choices=ObservationFlag.choices, default=ObservationFlag.NORMAL
    )
    status = models.CharField(
        max_length=20, choices=ObservationStatus.choices, default=ObservationStatus.FINAL
    )
    taken_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-taken_at", "code"]
        indexes = [
            models.Index(fields=["patient", "-taken_at"], name="observation_patient_time_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.value} {self.unit}"

    @property
    def is_abnormal(self) -> bool:
        return self.flag != ObservationFlag.NORMAL


class BoardLink(Audited, ClinicOwned):
    """A private, revocable link that opens the clinic's waiting-room token board without a
    sign-in (a TV in the waiting room)."""

    name = models.CharField(_("screen"), max_length=60, default="Waiting room")
    token = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    revoked_at = models.DateTimeField(null=True, blank=True)

    audit_secrets: ClassVar[tuple[str, ...]] = ("token",)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name
