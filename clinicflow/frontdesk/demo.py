"""Demo rooms and token prefixes for the demo doctors, and one waiting-room screen link."""

from __future__ import annotations

from clinicflow.accounts.demo import demo_actor
from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.frontdesk.models import BoardLink, DoctorDesk
from clinicflow.frontdesk.services import create_board_link, set_desk
from clinicflow.scheduling.models import Practitioner

#: Per clinic code: username → (room, token prefix).
DESKS: dict[str, dict[str, tuple[str, str]]] = {
    "KTM": {"doc001": ("1", "G"), "doc002": ("2", "C"), "doc003": ("3", "P"), "doc004": ("4", "O")},
    "PKR": {"doc001": ("1", "G")},
}


def load_demo_desks(*, manager: User, clinic: Clinic | None = None) -> BoardLink:
    """Rooms for the demo doctors of ``clinic`` (the manager's first clinic when none is
    named; once) and its waiting-room board link (made when it has none)."""
    actor = demo_actor(manager, clinic)
    assert actor.clinic is not None
    if not DoctorDesk.objects.for_clinic(actor.clinic).exists():
        desks = DESKS.get(actor.clinic.code, {})
        doctors = Practitioner.objects.for_clinic(actor.clinic).select_related("user", "clinic")
        for doctor in doctors.filter(user__username__in=desks):
            room, prefix = desks[doctor.user.username]
            set_desk(actor=actor, practitioner=doctor, room=room, token_prefix=prefix)
    link = BoardLink.objects.for_clinic(actor.clinic).filter(revoked_at__isnull=True).first()
    return link or create_board_link(actor=actor, name="Waiting room")
