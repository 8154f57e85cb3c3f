"""Patients' reviews of their visits: written once per completed visit (by the patient's
portal account), hidden or shown again by a manager with the reason, and the average of the
visible ones per doctor for the public directory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.scheduling.models import Appointment, AppointmentStatus, VisitReview

WRITE = "portal.reviews"
MODERATE = "reviews.moderate"


@dataclass(frozen=True)
class Rating:
    average: float
    count: int


def _rating(value: Any, field: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 5:
        raise DomainError(_("Choose from 1 to 5 stars."), field=field)
    return number


@transaction.atomic
def write_review(
    *,
    actor: Actor,
    appointment: Appointment,
    doctor_rating: Any,
    clinic_rating: Any,
    comment: str = "",
) -> VisitReview:
    """The patient's review of one completed visit (a record their account looks after).
    Rules: the visit is completed; one review per visit (a second, even at the same moment, is
    refused by the database's unique constraint); ratings 1–5.
    Errors: ``DomainError`` (not completed, a rating out of range); ``Conflict`` (reviewed)."""
    clinic = policy.require(actor, WRITE, appointment)
    doctor = _rating(doctor_rating, "doctor_rating")
    place = _rating(clinic_rating, "clinic_rating")
    visit = Appointment.objects.for_clinic(clinic).select_for_update().get(pk=appointment.pk)
    if visit.status != AppointmentStatus.COMPLETED:
        raise DomainError(_("You can review a visit once it is completed."))
    if VisitReview.objects.for_clinic(clinic).filter(appointment=visit).exists():
        raise Conflict(_("This visit is already reviewed. Thank you!"))
    review = VisitReview(
        clinic=clinic,
        appointment=visit,
        patient_id=visit.patient_id,
        practitioner_id=visit.practitioner_id,
        doctor_rating=doctor,
        clinic_rating=place,
        comment=comment.strip()[:1000],
        written_by=actor.user,
    )
    try:
        with transaction.atomic():
            review.save(force_insert=True)
    except IntegrityError:
        raise Conflict(_("This visit is already reviewed. Thank you!")) from None
    return review


@transaction.atomic
def hide_review(*, actor: Actor, review: VisitReview, reason: str) -> VisitReview:
    """A manager hides a review from the directory, saying why (kept, never deleted).
    Errors: ``DomainError`` (no reason, already hidden)."""
    clinic = policy.require(actor, MODERATE, review)
    if not reason.strip():
        raise DomainError(_("Say why the review is hidden."), field="reason")
    found = VisitReview.objects.for_clinic(clinic).select_for_update().get(pk=review.pk)
    if found.hidden_at is not None:
        raise DomainError(_("This review is already hidden."))
    found.hidden_at = timezone.now()
    found.hidden_by = actor.user
    found.hidden_reason = reason.strip()[:200]
    found.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return found


@transaction.atomic
def show_review(*, actor: Actor, review: VisitReview) -> VisitReview:
    """A manager shows a hidden review again."""
    clinic = policy.require(actor, MODERATE, review)
    found = VisitReview.objects.for_clinic(clinic).select_for_update().get(pk=review.pk)
    found.hidden_at = None
    found.hidden_by = None
    found.hidden_reason = ""
    found.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
    return found


def ratings(clinic: Any, practitioner_ids: Iterable[Any]) -> dict[Any, Rating]:
    """The average doctor rating and count of the visible reviews of these doctors (one
    query); doctors without any are left out."""
    rows = (
        VisitReview.objects.for_clinic(clinic)
        .filter(practitioner_id__in=list(practitioner_ids), hidden_at__isnull=True)
        .values("practitioner_id")
        .annotate(average=Avg("doctor_rating"), count=Count("pk"))
        .order_by()
    )
    return {
        row["practitioner_id"]: Rating(round(float(row["average"]), 1), row["count"])
        for row in rows
    }


def reviewable(clinic: Any, patient: Any) -> QuerySet[Appointment]:
    """The patient's completed visits not reviewed yet, newest first."""
    return (
        Appointment.objects.for_clinic(clinic)
        .filter(patient=patient, status=AppointmentStatus.COMPLETED, review__isnull=True)
        .select_related("practitioner__user")
        .order_by("-starts_at")
    )
