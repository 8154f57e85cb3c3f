"""A family member's visit today as the portal shows it: the token, where they stand, how many
are before them and about how long that is, from the doctor's own pace today.

"Before them" is whom the doctor would call first: ``frontdesk``'s order (priority, then the
time in the queue, then the token) over the patients still waiting for that doctor or for any
doctor (for a patient waiting for any doctor: everyone still waiting). The pace is the median
of the doctor's consultations finished today (called in to done), or ``DEFAULT_MINUTES``
until there are ``PACE_SAMPLE`` of them.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from clinicflow.frontdesk.models import OPEN_STATUSES, QueueEntry, QueueStatus

DEFAULT_MINUTES = 10
PACE_SAMPLE = 3
#: Statuses of a patient not yet called in.
NOT_CALLED = (QueueStatus.WAITING, QueueStatus.VITALS, QueueStatus.READY)


@dataclass(frozen=True)
class Today:
    entry: QueueEntry
    ahead: int
    wait_minutes: int
    pace_minutes: int

    @property
    def called(self) -> bool:
        return self.entry.status == QueueStatus.WITH_DOCTOR


def today_for(patient: Any, *, now: Any = None) -> Today | None:
    """The patient's open visit in today's queue, where it stands; None without one."""
    now = now or timezone.now()
    day = timezone.localtime(now, patient.clinic.zone).date()
    entries = QueueEntry.objects.for_clinic(patient.clinic).filter(day=day)
    entry = (
        entries.filter(patient=patient, status__in=OPEN_STATUSES)
        .select_related("practitioner__user")
        .order_by("queue_time")
        .first()
    )
    if entry is None:
        return None
    pace = pace_minutes(entries, entry.practitioner_id)
    if entry.status not in NOT_CALLED:
        return Today(entry, 0, 0, pace)
    # A doctor calls their own patients and the unassigned ones; an unassigned patient may be
    # called by any doctor, after everyone who came before.
    same_queue = Q()
    if entry.practitioner_id is not None:
        same_queue = Q(practitioner__isnull=True) | Q(practitioner_id=entry.practitioner_id)
    earlier = (
        Q(priority__lt=entry.priority)
        | Q(priority=entry.priority, queue_time__lt=entry.queue_time)
        | Q(priority=entry.priority, queue_time=entry.queue_time, token__lt=entry.token)
    )
    ahead = entries.filter(same_queue, earlier, status__in=NOT_CALLED).exclude(pk=entry.pk).count()
    return Today(entry, ahead, ahead * pace, pace)


def pace_minutes(entries: Any, practitioner_id: Any) -> int:
    """The doctor's median minutes per patient today (called in to done)."""
    if practitioner_id is None:
        return DEFAULT_MINUTES
    done = entries.filter(
        practitioner_id=practitioner_id,
        status=QueueStatus.DONE,
        called_at__isnull=False,
        finished_at__isnull=False,
    ).values_list("called_at", "finished_at")
    minutes = [(end - start).total_seconds() / 60 for start, end in done]
    if len(minutes) < PACE_SAMPLE:
        return DEFAULT_MINUTES
    return max(1, round(statistics.median(minutes)))
