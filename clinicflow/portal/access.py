"""Which patients a portal account may see, and which of them the portal is showing.

``patients_of`` is the one answer: every portal view fetches records through it (with
``access_member``) and the policy's ``ManagedByAccount`` rule asks it too, so a patient or a
family manager never reaches another patient's record: a page given any other id answers 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, QuerySet
from django.http import Http404, HttpRequest

from clinicflow.accounts.models import Membership
from clinicflow.core import policy
from clinicflow.core.access import actor_of
from clinicflow.core.roles import Role
from clinicflow.patients.models import Patient
from clinicflow.portal.models import ACTIVE, PatientLink, Relationship

#: The session's choice of family member (a patient's id, checked on every request).
SESSION_KEY = "portal.patient"


def patients_of(user: Any, clinic: Any) -> QuerySet[Patient]:
    """The active records ``user`` looks after in ``clinic`` (their own and their family's)
    through a link not removed; none for anyone else (anonymous, no clinic)."""
    if clinic is None or not getattr(user, "is_authenticated", False):
        # Nobody's rows: a set known empty needs no clinic to be scoped to.
        return Patient.objects.all_clinics().none()
    links = (
        PatientLink.objects.for_clinic(clinic).filter(ACTIVE).filter(user=user).values("patient")
    )
    # A staff account is never a portal account too (in the same query, no round trip).
    staff = Membership.objects.filter(user=user, is_active=True).exclude(role=Role.PATIENT)
    return (
        Patient.objects.for_clinic(clinic)
        .filter(pk__in=links, is_active=True)
        .exclude(Exists(staff))
    )


def family_of(user: Any, clinic: Any) -> list[PatientLink]:
    """The account's links to the records ``patients_of`` answers, their own first."""
    if clinic is None:
        return []
    links = (
        PatientLink.objects.for_clinic(clinic)
        .filter(ACTIVE)
        .filter(user=user, patient__in=patients_of(user, clinic).values("pk"))
        .select_related("patient")
    )
    return sorted(
        links,
        key=lambda link: (link.relationship != Relationship.SELF, link.patient.given_name),
    )


def access_member(request: HttpRequest, pk: Any, action: str = "portal.family") -> Patient:
    """One record the signed-in account looks after, or 404 (missing and "not yours" alike)."""
    actor = actor_of(request)
    queryset = policy.restrict(actor, action, patients_of(actor.user, actor.clinic))
    try:
        found: Patient = queryset.get(pk=pk)
    except (Patient.DoesNotExist, ValueError, ValidationError) as exc:
        # A missing or malformed id (a form's empty or edited field) is a 404 like any other.
        raise Http404 from exc
    return found


def selected_member(
    request: HttpRequest, family: list[PatientLink] | None = None
) -> Patient | None:
    """The family member the portal is showing: the session's choice while the account still
    looks after them, else the account's own record, else its first; None without any.
    ``family``: the account's ``family_of``, when the caller has it already."""
    actor = actor_of(request)
    if family is None:
        family = family_of(actor.user, actor.clinic)
    if not family:
        return None
    chosen = request.session.get(SESSION_KEY)
    for link in family:
        if str(link.patient_id) == chosen:
            return link.patient
    request.session.pop(SESSION_KEY, None)
    return family[0].patient


def select_member(request: HttpRequest, patient: Patient) -> None:
    """Show ``patient`` from now on (already fetched through ``access_member``)."""
    request.session[SESSION_KEY] = str(patient.pk)
