"""The demo's portal: the ``patient`` account (Priya Sharma) looks after her own record at
KTM and her daughter's, linked at the desk by the clinic's receptionist. Once: nothing
happens when the account already looks after a record there."""

from __future__ import annotations

from clinicflow.accounts.demo import demo_actor
from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.patients.models import Patient
from clinicflow.portal import services
from clinicflow.portal.models import PatientLink, Relationship

#: Per clinic code: the portal account, and whose records it looks after (name, relationship).
FAMILIES = {
    "KTM": (
        "patient",
        [(("Priya", "Sharma"), Relationship.SELF), (("Anjali", "Rai"), Relationship.CHILD)],
    ),
}


def load_demo_portal(*, receptionist: User, clinic: Clinic) -> int:
    """Link the clinic's demo portal account to its family's records; how many were linked."""
    family = FAMILIES.get(clinic.code)
    if family is None:
        return 0
    username, members = family
    account = User.objects.filter(username=username).first()
    if account is None or PatientLink.objects.for_clinic(clinic).filter(user=account).exists():
        return 0
    desk = demo_actor(receptionist, clinic)
    linked = 0
    for (given, family_name), relationship in members:
        patient = (
            Patient.objects.for_clinic(clinic)
            .filter(given_name=given, family_name=family_name)
            .order_by("mrn")
            .first()
        )
        if patient is None:
            continue
        services.link_at_desk(
            actor=desk, patient=patient, account=account.username, relationship=relationship
        )
        linked += 1
    return linked
