"""What the portal adds elsewhere: its message kind (the one-time code), the patient's home
(the dashboard of the patient role), its sidebar entries, the desk's panel on the chart for
linking accounts, and moving links when duplicate records are merged."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicflow.core import dashboards, navigation, policy
from clinicflow.core.access import actor_of
from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role
from clinicflow.patients import merging, panels
from clinicflow.patients.models import Patient
from clinicflow.portal import messages
from clinicflow.portal.access import family_of, selected_member
from clinicflow.portal.models import ACTIVE, LinkedVia, PatientLink, Relationship

#: The portal's pages in the sidebar. Later pages (booking, records, bills, medicines,
#: reviews) add their own entries here, each shown only to those whose policy opens it.
NAVIGATION = [
    navigation.Entry(_("My family"), "portal:family", "bi-people", order=5),
    navigation.Entry(_("Book a visit"), "portal:book", "bi-calendar-plus", order=6),
    navigation.Entry(_("My visit today"), "portal:today", "bi-hourglass-split", order=7),
    navigation.Entry(_("Appointments"), "portal:appointments", "bi-calendar-check", order=8),
    navigation.Entry(_("Records"), "portal:records", "bi-folder2-open", order=9),
    navigation.Entry(_("Bills"), "portal:bills", "bi-receipt", order=10),
    navigation.Entry(_("Medicines"), "portal:medicines", "bi-capsule", order=11),
    navigation.Entry(_("Rate a visit"), "portal:reviews", "bi-star", order=12),
    navigation.Entry(_("Messages and account"), "portal:preferences", "bi-gear", order=13),
    navigation.Entry(
        _("Online booking"), "portal:booking_settings", "bi-phone", "administration", 30
    ),
    navigation.Entry(
        _("Patient portal"), "portal:portal_settings", "bi-person-badge", "administration", 31
    ),
    navigation.Entry(
        _("Reviews of visits"), "portal:review_moderation", "bi-star-half", "reports", 60
    ),
]


def home(request: HttpRequest) -> dict[str, Any]:
    """The patient's home: who the portal is showing, and the family to switch to."""
    actor = actor_of(request)
    family = family_of(actor.user, actor.clinic)
    return {"member": selected_member(request, family), "family": family}


def desk_panel(patient: Patient, actor: Actor) -> panels.Panel | None:
    """For the desk: the accounts that look after this record, and linking one."""
    if not policy.allows_object(actor, "portal.desk_link", patient):
        return None
    from clinicflow.portal.forms import DeskLinkForm

    links = (
        PatientLink.objects.for_clinic(patient.clinic)
        .filter(ACTIVE)
        .filter(patient=patient)
        .select_related("user", "linked_by")
    )
    return panels.Panel(
        "portal/_desk_panel.html", {"patient": patient, "links": links, "form": DeskLinkForm()}
    )


def move_links(duplicate: Patient, survivor: Patient) -> int:
    """A merge: the duplicate's accounts look after the survivor instead when that was proved
    for the person (at the desk after checking ID, by a code to the record's own phone or
    e-mail, or by an address the account proved that the survivor's record also holds). A
    link nobody proved (a record the account typed in itself: its registration, or a family
    member it added) ends instead, as does a link of an account that already looks after the
    survivor (or a second "own" account): else inventing a relative under a stranger's name
    and birth date, which the desk then merges as the same person, would hand over the
    stranger's chart. The desk links such an account again after checking ID."""
    clinic = duplicate.clinic
    survivors = PatientLink.objects.for_clinic(clinic).filter(ACTIVE).filter(patient=survivor)
    managing = set(survivors.values_list("user_id", flat=True))
    has_own = survivors.filter(relationship=Relationship.SELF).exists()
    moved = 0
    links = (
        PatientLink.objects.for_clinic(clinic)
        .select_for_update()
        .filter(patient=duplicate)
        .select_related("user")
    )
    for link in links:
        if link.is_active and (
            link.user_id in managing
            or (link.relationship == Relationship.SELF and has_own)
            or not _proved_for(link, survivor)
        ):
            link.removed_at = timezone.now()
            link.save(update_fields=["removed_at"])
            continue
        link.patient = survivor
        link.save(update_fields=["patient"])
        moved += 1
    return moved


def _proved_for(link: PatientLink, survivor: Patient) -> bool:
    if link.linked_via in (LinkedVia.DESK, LinkedVia.CODE):
        return True
    user = link.user
    same_phone = bool(user.verified_phone) and user.verified_phone == survivor.phone
    same_email = bool(user.email) and user.email.lower() == (survivor.email or "").lower()
    return same_phone or same_email


def register() -> None:
    messages.register()
    navigation.register(*NAVIGATION)
    dashboards.register_home(Role.PATIENT, "portal/home.html", home)
    panels.register_panel("portal.accounts", desk_panel)
    merging.register_mover("portal.links", move_links)
