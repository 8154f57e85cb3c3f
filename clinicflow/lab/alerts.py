"""Who the lab tells, of what: the ordering doctor when a test's results are released or
amended, and of every critical value, which they must acknowledge. An alert nobody
acknowledges within the clinic's minutes escalates to the clinic's managers (the beat's
``lab.escalate_alerts``); an order without a doctor of the clinic (an outside prescription)
escalates at once. Everyone told is kept on the alert, with when and why."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.models import User
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.core.roles import Role
from clinicflow.lab import configuration, messages
from clinicflow.lab.models import CriticalAlert, OrderedTest, Result
from clinicflow.notifications import notices

DOCTOR, ESCALATION = "doctor", "escalation"


def _order_url(ordered_test: OrderedTest) -> str:
    return reverse("lab:order", args=[ordered_test.order_id])


def _tell(alert: CriticalAlert, user_ids: Iterable[Any], why: str) -> None:
    """In-app, through the notifications app (``messages.CRITICAL``: urgent, not optional);
    the notice's key is the alert's, so each person hears of an alert once."""
    people = list(User.objects.filter(pk__in=list(user_ids)))
    if not people:
        return
    result = alert.result
    messages.critical(
        clinic=alert.clinic,
        alert_key=str(alert.pk),
        people=people,
        values={
            "parameter": result.parameter.name,
            "value": result.display,
            "flag": result.get_flag_display().lower(),
            "patient": str(alert.patient),
            "note": " Escalated: not acknowledged in time." if why == ESCALATION else "",
        },
        url=reverse("lab:alert", args=[alert.pk]),
    )
    at = timezone.now().isoformat()
    alert.told = [
        *alert.told,
        *({"user": str(p.pk), "name": str(p), "at": at, "as": why} for p in people),
    ]


def raise_for(results: Iterable[Result]) -> list[CriticalAlert]:
    """An alert for each critical result that has none yet, told to the ordering doctor at
    once (to the managers, when the order has no doctor of the clinic). Inside the caller's
    transaction: the alert exists exactly when the result does."""
    raised = []
    for result in results:
        if (
            not result.is_critical
            or CriticalAlert.objects.for_clinic(result.clinic_id).filter(result=result).exists()
        ):
            continue
        order = result.ordered_test.order
        alert = CriticalAlert.objects.create(
            clinic_id=result.clinic_id,
            result=result,
            patient_id=result.patient_id,
            doctor_id=order.ordering_doctor_id,
        )
        if order.ordering_doctor_id:
            _tell(alert, [order.ordering_doctor_id], DOCTOR)
        else:
            _escalate(alert)
        alert.save(update_fields=["told", "escalated_at"])
        raised.append(alert)
    return raised


def _escalate(alert: CriticalAlert) -> None:
    managers = notices.recipients_with_roles(alert.clinic, [Role.MANAGER])
    alert.escalated_at = timezone.now()
    _tell(alert, managers, ESCALATION)


def open_alerts(clinic: Any) -> QuerySet[CriticalAlert]:
    return CriticalAlert.objects.for_clinic(clinic).filter(acknowledged_at=None)


def overdue(clinic: Any, now: datetime | None = None) -> QuerySet[CriticalAlert]:
    minutes = configuration.settings_of(clinic).escalate_after_minutes
    now = now or timezone.now()
    return open_alerts(clinic).filter(
        escalated_at=None, raised_at__lte=now - timedelta(minutes=minutes)
    )


@transaction.atomic
def escalate_overdue(clinic: Any, now: datetime | None = None) -> int:
    """Escalate every alert of ``clinic`` left unacknowledged past the clinic's minutes.
    Locked rows, skipped when another run holds them: each alert escalates once."""
    rows = list(
        overdue(clinic, now)
        .select_related("result__parameter", "patient")
        .select_for_update(skip_locked=True, of=("self",))
    )
    for alert in rows:
        _escalate(alert)
        alert.save(update_fields=["told", "escalated_at"])
    return len(rows)


@transaction.atomic
def acknowledge(*, actor: Actor, alert: CriticalAlert, action_taken: str) -> CriticalAlert:
    """The doctor (or, once escalated, a manager) says they know and what was done."""
    clinic = policy.require(actor, "lab.alerts.acknowledge")
    row = CriticalAlert.objects.for_clinic(clinic).select_for_update().get(pk=alert.pk)
    managing = bool(actor.roles & {Role.MANAGER, Role.ADMIN})
    if not managing and row.doctor_id != actor.user.pk:
        raise DomainError("This alert is for another doctor's patient.", code="not_yours")
    if row.acknowledged_at is not None:
        raise Conflict(f"Already acknowledged by {row.acknowledged_by}.")
    action_taken = action_taken.strip()
    if not action_taken:
        raise DomainError("Say what was done about the critical value.", field="action_taken")
    row.acknowledged_at, row.acknowledged_by = timezone.now(), actor.user
    row.action_taken = action_taken[:300]
    row.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
    return row


def _tell_doctor(ordered_test: OrderedTest, key: str, title: str) -> None:
    doctor = ordered_test.order.ordering_doctor_id
    if doctor is None:
        return
    notices.raise_notice(
        clinic=ordered_test.clinic,
        recipient=doctor,
        kind="lab.result",
        key=key,
        title=title,
        url=_order_url(ordered_test),
    )


def released(ordered_test: OrderedTest) -> None:
    patient = ordered_test.order.patient
    _tell_doctor(
        ordered_test,
        f"lab.released:{ordered_test.pk}",
        f"Results ready: {ordered_test.test.name} for {patient}",
    )


def amended(result: Result) -> None:
    ordered_test = result.ordered_test
    _tell_doctor(
        ordered_test,
        f"lab.amended:{result.pk}",
        f"Result amended: {result.parameter.name} of {ordered_test.test.name} for "
        f"{ordered_test.order.patient} ({result.amend_reason})",
    )
