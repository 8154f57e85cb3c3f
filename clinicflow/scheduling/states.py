"""The appointment's life: which moves are legal, and what each is called."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinicflow.scheduling.models import AppointmentStatus as S

#: From each state, the states it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.REQUESTED: frozenset({S.BOOKED, S.CANCELLED}),
    S.BOOKED: frozenset({S.CHECKED_IN, S.CANCELLED, S.NO_SHOW}),
    S.CHECKED_IN: frozenset({S.IN_CONSULTATION, S.CANCELLED}),
    S.IN_CONSULTATION: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.NO_SHOW: frozenset(),
}

#: States whose appointment may still be moved to another time.
MOVABLE = frozenset({S.REQUESTED, S.BOOKED})

#: The button that makes each move.
VERBS: dict[str, Promise] = {
    S.BOOKED: _("Confirm"),
    S.CHECKED_IN: _("Check in"),
    S.IN_CONSULTATION: _("Start consultation"),
    S.COMPLETED: _("Complete"),
    S.CANCELLED: _("Cancel"),
    S.NO_SHOW: _("Mark no-show"),
}


#: Starting and completing the consultation are the clinician's moves (the queue's "call in"
#: and "finish"); every other move is the front desk's managing of the appointment.
CLINICIAN_MOVES = frozenset({S.IN_CONSULTATION, S.COMPLETED})


def action_for(to_status: str) -> str:
    """The policy action a move to ``to_status`` takes, beyond managing the appointment."""
    return "frontdesk.see_patients" if to_status in CLINICIAN_MOVES else "appointments.manage"


def may_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())
