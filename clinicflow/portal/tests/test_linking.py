"""Linking an existing record: MRN and birth date, a code to the phone or e-mail on the record
(never one the person typed), and only that code links. Right and wrong details look alike."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinicflow.notifications.models import Message
from clinicflow.portal.models import LinkedVia, OneTimeCode, PatientLink, Relationship
from clinicflow.portal.tests.conftest import as_seen, code_sent_to, link

pytestmark = pytest.mark.django_db


@pytest.fixture
def priya_signed_in(patient, priya, sign_in):
    link(patient, priya)
    return sign_in(patient)


def _ask(client, patient, capture, **changes):
    data = {
        "mrn": patient.mrn.lower(),
        "birth_date": str(patient.birth_date),
        "relationship": Relationship.CHILD,
        **changes,
    }
    with capture(execute=True), CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("portal:link"), data)
    return response, len(queries)


def test_a_parent_links_her_child_with_the_code_sent_to_the_childs_record(
    priya_signed_in, patient, anjali, django_capture_on_commit_callbacks
):
    client = priya_signed_in
    asked, _q = _ask(client, anjali, django_capture_on_commit_callbacks)
    assert asked.status_code == 302
    assert asked["Location"] == reverse("portal:link_code")
    sent = Message.objects.all_clinics().get(event="portal.code")
    assert sent.to == anjali.phone
    assert sent.patient_id == anjali.pk
    done = client.post(reverse("portal:link_code"), {"code": code_sent_to(anjali.phone)})
    assert done.status_code == 302
    assert done["Location"] == reverse("portal:family")
    made = PatientLink.objects.for_clinic(anjali.clinic).get(patient=anjali)
    assert (made.user, made.relationship, made.linked_via) == (
        patient,
        Relationship.CHILD,
        LinkedVia.CODE,
    )
    # The portal now shows the child.
    assert client.get(reverse("core:dashboard")).context["member"] == anjali


def test_wrong_details_get_exactly_the_same_answer_as_right_ones(
    settings, priya_signed_in, anjali, django_capture_on_commit_callbacks
):
    # Queries are counted with a cache of this test's own: on Redis, another worker emptying
    # the shared cache would cost a request a few more reads at random.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal-enumeration",
        }
    }
    client = priya_signed_in
    # A first request fills the per-process caches (the account's access, the audit chain).
    _ask(client, anjali, django_capture_on_commit_callbacks, mrn="KTM-888888")
    right, right_queries = _ask(client, anjali, django_capture_on_commit_callbacks)
    right_page = as_seen(client.get(reverse("portal:link_code")))
    wrong, wrong_queries = _ask(
        client, anjali, django_capture_on_commit_callbacks, birth_date="2018-07-16"
    )
    wrong_page = as_seen(client.get(reverse("portal:link_code")))
    assert (right.status_code, right["Location"]) == (wrong.status_code, wrong["Location"])
    assert right_queries == wrong_queries
    assert right_page == wrong_page
    unknown, unknown_queries = _ask(
        client, anjali, django_capture_on_commit_callbacks, mrn="KTM-999999"
    )
    assert (unknown.status_code, unknown["Location"], unknown_queries) == (
        right.status_code,
        right["Location"],
        right_queries,
    )
    # Only the right details sent anything, and only to the record's own phone.
    assert list(Message.objects.all_clinics().values_list("to", flat=True)) == [anjali.phone]
    assert OneTimeCode.objects.count() == 4


def test_a_code_sent_for_wrong_details_never_links(
    priya_signed_in, anjali, django_capture_on_commit_callbacks
):
    client = priya_signed_in
    _ask(client, anjali, django_capture_on_commit_callbacks, birth_date="2018-07-16")
    for guess in ("000000", "123456"):
        page = client.post(reverse("portal:link_code"), {"code": guess})
        assert page.status_code == 400
        assert "not right" in page.content.decode()
    assert not PatientLink.objects.for_clinic(anjali.clinic).filter(patient=anjali).exists()


def test_a_wrong_code_does_not_link(priya_signed_in, anjali, django_capture_on_commit_callbacks):
    client = priya_signed_in
    _ask(client, anjali, django_capture_on_commit_callbacks)
    right = code_sent_to(anjali.phone)
    page = client.post(reverse("portal:link_code"), {"code": f"{(int(right) + 1) % 1_000_000:06d}"})
    assert page.status_code == 400
    assert not PatientLink.objects.for_clinic(anjali.clinic).filter(patient=anjali).exists()


def test_an_address_typed_by_the_person_is_never_used(
    priya_signed_in, anjali, django_capture_on_commit_callbacks
):
    client = priya_signed_in
    _ask(
        client,
        anjali,
        django_capture_on_commit_callbacks,
        address="+9779800000000",
        phone="+9779800000000",
        email="me@example.org",
    )
    assert list(Message.objects.all_clinics().values_list("to", flat=True)) == [anjali.phone]


def test_a_record_with_only_an_e_mail_gets_the_code_by_e_mail(
    priya_signed_in, register, django_capture_on_commit_callbacks
):
    child = register(
        given_name="Kiran", family_name="Sharma", birth_date=date(2015, 1, 1), email="k@ex.org"
    )
    _ask(priya_signed_in, child, django_capture_on_commit_callbacks)
    sent = Message.objects.all_clinics().get(event="portal.code")
    assert (sent.channel, sent.to) == ("email", "k@ex.org")


def test_another_accounts_own_record_cannot_be_linked_as_ones_own(
    priya_signed_in, other_family, stranger, django_capture_on_commit_callbacks
):
    client = priya_signed_in
    _ask(client, stranger, django_capture_on_commit_callbacks, relationship=Relationship.SELF)
    page = client.post(reverse("portal:link_code"), {"code": code_sent_to(stranger.phone)})
    assert page.status_code == 409
    assert "choose how you are related" in page.content.decode()
    assert PatientLink.objects.for_clinic(stranger.clinic).filter(patient=stranger).count() == 1
