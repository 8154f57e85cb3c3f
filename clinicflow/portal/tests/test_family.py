"""The family: the switcher keeps the chosen member in the session, checked on every request;
a portal account never reaches anyone else's record through any portal address."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.portal.access import SESSION_KEY, patients_of
from clinicflow.portal.models import PatientLink

pytestmark = pytest.mark.django_db


def test_patients_of_answers_the_accounts_own_family_only(
    family, other_family, clinic, priya, anjali, stranger
):
    assert set(patients_of(family, clinic)) == {priya, anjali}
    assert set(patients_of(other_family, clinic)) == {stranger}


def test_the_home_shows_the_own_record_first_and_switches_to_the_child(
    family, priya, anjali, sign_in
):
    client = sign_in(family)
    home = client.get(reverse("core:dashboard"))
    assert home.context["member"] == priya
    assert b'data-testid="selected-member"' in home.content
    switched = client.post(reverse("portal:select", args=[anjali.pk]))
    assert switched.status_code == 302
    assert client.get(reverse("core:dashboard")).context["member"] == anjali
    assert client.session[SESSION_KEY] == str(anjali.pk)


def test_an_unlinked_patient_cannot_be_selected(family, priya, stranger, sign_in):
    client = sign_in(family)
    assert client.post(reverse("portal:select", args=[stranger.pk])).status_code == 404
    assert SESSION_KEY not in client.session
    assert client.get(reverse("core:dashboard")).context["member"] == priya


def test_a_selection_that_is_no_longer_linked_falls_back_to_the_own_record(
    family, priya, anjali, sign_in
):
    client = sign_in(family)
    client.post(reverse("portal:select", args=[anjali.pk]))
    PatientLink.objects.for_clinic(anjali.clinic).filter(patient=anjali).update(
        removed_at="2026-01-01T00:00:00Z"
    )
    assert client.get(reverse("core:dashboard")).context["member"] == priya


def test_reading_a_members_details_is_an_audited_read(family, anjali, sign_in):
    page = sign_in(family).get(reverse("portal:member", args=[anjali.pk]))
    assert page.status_code == 200
    assert anjali.mrn in page.content.decode()
    read = AuditEvent.objects.for_clinic(anjali.clinic).get(
        action=AuditAction.VIEW, object_id=str(anjali.pk)
    )
    assert read.actor == family
    assert read.changes["via"] == "portal"


def test_the_account_stops_looking_after_a_member(family, anjali, sign_in):
    client = sign_in(family)
    assert client.get(reverse("portal:remove", args=[anjali.pk])).status_code == 200
    assert client.post(reverse("portal:remove", args=[anjali.pk])).status_code == 302
    ended = PatientLink.objects.for_clinic(anjali.clinic).get(patient=anjali)
    assert ended.removed_at is not None
    assert ended.removed_by == family
    assert client.get(reverse("portal:member", args=[anjali.pk])).status_code == 404


def _portal_routes(stranger_id):
    """Every portal address that names a patient, with the stranger's id."""
    from clinicflow.portal.urls import urlpatterns

    named = []
    for pattern in urlpatterns:
        converters = getattr(pattern.pattern, "converters", {})
        if "pk" in converters and type(converters["pk"]).__name__ == "UUIDConverter":
            named.append(reverse(f"portal:{pattern.name}", args=[stranger_id]))
    return named


def test_every_portal_address_given_another_patients_id_is_a_404_and_changes_nothing(
    family, other_family, stranger, priya, sign_in
):
    client = sign_in(family)
    addresses = _portal_routes(stranger.pk)
    assert len(addresses) >= 4
    links_before = list(PatientLink.objects.all_clinics().order_by("pk").values())
    events_before = AuditEvent.objects.all_clinics().count()
    for address in addresses:
        for method in (client.get, client.post):
            response = method(address, {"account": "patient", "relationship": "self"})
            # The desk's address is not the patient's at all (403); the rest do not know him.
            expected = 403 if "/desk/" in address else 404
            assert response.status_code in (expected, 405), (address, response.status_code)
            assert stranger.full_name not in response.content.decode()
            assert stranger.mrn not in response.content.decode()
    assert list(PatientLink.objects.all_clinics().order_by("pk").values()) == links_before
    # Only the refusals of the desk's address were written to the trail.
    written = AuditEvent.objects.all_clinics().order_by("pk")[events_before:]
    assert {e.action for e in written} <= {AuditAction.PERMISSION_DENIED}
    assert SESSION_KEY not in client.session
    assert client.get(reverse("core:dashboard")).context["member"] == priya


def test_the_family_page_and_home_cost_the_same_queries_for_two_and_six_members(
    settings, family, register, sign_in, committed_chains
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from clinicflow.portal.models import Relationship
    from clinicflow.portal.tests.conftest import link

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal-family-queries",
        }
    }
    client = sign_in(family)
    client.get(reverse("portal:family"))
    committed_chains()

    def cost() -> tuple[int, int]:
        counts = []
        for name in ("portal:family", "core:dashboard"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse(name)).status_code == 200
            counts.append(len(queries))
        return counts[0], counts[1]

    two = cost()
    for n in range(4):
        child = register(given_name=f"Child{n}", family_name="Sharma", phone="")
        link(family, child, Relationship.CHILD)
    assert cost() == two
