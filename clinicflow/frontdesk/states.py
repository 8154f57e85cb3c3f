"""The queue entry's life, and the appointment state that follows each step."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinicflow.frontdesk.models import QueueStatus as Q
from clinicflow.scheduling.models import AppointmentStatus as A

#: From each state, the states it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    Q.WAITING: frozenset({Q.VITALS, Q.READY, Q.WITH_DOCTOR, Q.CANCELLED, Q.LEFT}),
    Q.VITALS: frozenset({Q.READY, Q.WITH_DOCTOR, Q.CANCELLED, Q.LEFT}),
    Q.READY: frozenset({Q.VITALS, Q.WITH_DOCTOR, Q.CANCELLED, Q.LEFT}),
    Q.WITH_DOCTOR: frozenset({Q.DONE}),
    Q.DONE: frozenset(),
    Q.CANCELLED: frozenset(),
    Q.LEFT: frozenset(),
}

#: Entries a doctor may call in, in queue order.
CALLABLE = (Q.WAITING, Q.READY)

#: Moves that need a reason.
NEEDS_REASON = frozenset({Q.CANCELLED, Q.LEFT})

#: The appointment's state while its queue entry is in each state.
APPOINTMENT_STATE: dict[str, str] = {
    Q.WAITING: A.CHECKED_IN,
    Q.VITALS: A.CHECKED_IN,
    Q.READY: A.CHECKED_IN,
    Q.WITH_DOCTOR: A.IN_CONSULTATION,
    Q.DONE: A.COMPLETED,
    Q.CANCELLED: A.CANCELLED,
    Q.LEFT: A.CANCELLED,
}

#: The entry's state when its appointment moves on outside the queue.
ENTRY_STATE: dict[str, str] = {
    A.IN_CONSULTATION: Q.WITH_DOCTOR,
    A.COMPLETED: Q.DONE,
    A.CANCELLED: Q.CANCELLED,
}

#: The timestamp each state sets when entered.
STAMPS: dict[str, str] = {
    Q.VITALS: "vitals_at",
    Q.READY: "ready_at",
    Q.WITH_DOCTOR: "called_at",
    Q.DONE: "finished_at",
    Q.CANCELLED: "finished_at",
    Q.LEFT: "finished_at",
}

#: The button that makes each move.
VERBS: dict[str, Promise] = {
    Q.VITALS: _("To vitals"),
    Q.READY: _("Ready"),
    Q.WITH_DOCTOR: _("Call in"),
    Q.DONE: _("Finish"),
    Q.CANCELLED: _("Cancel"),
    Q.LEFT: _("Left"),
}


def may_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())
