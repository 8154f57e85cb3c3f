"""What a move of an appointment led to, in words for the person who made it ("Checked in:
token A-12. Please wait for Dr Sharma at room 3."). Scheduling knows the new state; a domain
that acts on a move (the front desk gives a checked-in patient a token) registers a notice
that says what it did. The first notice with something to say is the one shown."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from clinicflow.scheduling.models import Appointment
from clinicflow.scheduling.models import AppointmentStatus as S

#: Takes the appointment just moved; returns what came of it, or None (nothing to add).
Notice = Callable[[Appointment], str | None]
_NOTICES: dict[str, Notice] = {}

#: What scheduling itself says once the appointment is in each state.
DONE: dict[str, Promise] = {
    S.REQUESTED: _("The appointment is requested."),
    S.BOOKED: _("The appointment is confirmed."),
    S.CHECKED_IN: _("Checked in."),
    S.IN_CONSULTATION: _("The consultation has started."),
    S.COMPLETED: _("The appointment is completed."),
    S.CANCELLED: _("The appointment was cancelled."),
    S.NO_SHOW: _("The appointment was marked as a no-show."),
}


def register_notice(name: str, notice: Notice) -> None:
    _NOTICES[name] = notice


def after_move(appointment: Appointment) -> str:
    """The message for the appointment just moved to its current state."""
    for notice in _NOTICES.values():
        said = notice(appointment)
        if said:
            return said
    return str(DONE[appointment.status])
