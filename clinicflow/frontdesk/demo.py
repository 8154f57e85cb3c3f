"""Demo rooms and token prefixes for the demo doctors, and one waiting-room screen link."""

from __future__ import annotations

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.frontdesk.models import BoardLink, DoctorDesk
from clinicflow.frontdesk.services import create_board_link, set_desk
from clinicflow.scheduling.models import Practitioner

#: username → (room, token prefix)
DESKS = {"doc001": ("1", "G"), "doc002": ("2", "C"), "doc003": ("3", "P"), "doc004": ("4", "O")}


def load_demo_desks(*, manager: User) -> BoardLink:
    """Rooms for the demo doctors of the manager's clinic (once) and its board link."""
    actor = actor_for(manager)
    assert actor.clinic is not None
    if not DoctorDesk.objects.for_clinic(actor.clinic).exists():
        doctors = Practitioner.objects.for_clinic(actor.clinic).select_related("user", "clinic")
        for doctor in doctors.filter(user__username__in=DESKS):
            room, prefix = DESKS[doctor.user.username]
            set_desk(actor=actor, practitioner=doctor, room=room, token_prefix=prefix)
    link = BoardLink.objects.for_clinic(actor.clinic).filter(revoked_at__isnull=True).first()
    return link or create_board_link(actor=actor, name="Waiting room")
