"""The patient changes a record's phone, e-mail or postal address. A new phone or e-mail counts
only once the code sent to it comes back; the old one is told; on the account's own record the
account's sign-in phone or e-mail changes too. Never for a record the account does not look
after, never by staff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.core.models import AuditEvent
from clinicflow.core.roles import Role
from clinicflow.notifications.models import Message
from clinicflow.portal import codes, contact
from clinicflow.portal.models import OneTimeCode
from clinicflow.portal.tests.conftest import PRIYA_PHONE, code_sent_to, link
from tests.concurrency import at_once
from tests.factories import member

URL = "/portal/profile/contact/"
CODE_URL = "/portal/profile/contact/code/"
NEW_PHONE = "+9779812345678"


def _ask(client, patient, address="9812345678", ip="127.0.0.1"):
    return client.post(URL, {"patient": str(patient.pk), "address": address}, REMOTE_ADDR=ip)


def _told_changed(address: str) -> bool:
    return Message.objects.all_clinics().filter(event="portal.contact_changed", to=address).exists()


@pytest.mark.django_db
def test_a_new_phone_counts_once_its_code_comes_back_and_the_old_one_is_told(
    family, sign_in, priya
):
    client = sign_in(family)
    page = client.get(f"{URL}?patient={priya.pk}")
    assert page.status_code == 200
    assert AuditEvent.objects.filter(action="view", changes__part="contact details").exists()
    asked = _ask(client, priya)
    assert asked.status_code == 302
    assert asked["Location"] == CODE_URL
    priya.refresh_from_db()
    assert priya.phone == PRIYA_PHONE  # nothing changed yet
    done = client.post(CODE_URL, {"code": code_sent_to(NEW_PHONE)})
    assert done.status_code == 302
    priya.refresh_from_db()
    family.refresh_from_db()
    assert priya.phone == NEW_PHONE
    # Priya's record is the account's own: its sign-in number is the new one too.
    assert (family.phone, family.verified_phone) == (NEW_PHONE, NEW_PHONE)
    assert _told_changed(PRIYA_PHONE)
    change = AuditEvent.objects.filter(action="update", object_id=str(priya.pk)).latest("pk")
    assert change.changes["phone"] == [PRIYA_PHONE, NEW_PHONE]


@pytest.mark.django_db
def test_a_childs_new_e_mail_changes_the_childs_record_only(family, sign_in, anjali):
    client = sign_in(family)
    _ask(client, anjali, "Anjali.Rai@Example.org")
    client.post(CODE_URL, {"code": code_sent_to("anjali.rai@example.org")})
    anjali.refresh_from_db()
    family.refresh_from_db()
    assert anjali.email == "anjali.rai@example.org"
    assert family.email != "anjali.rai@example.org"
    assert not _told_changed("")  # the record had no e-mail: nobody to tell


@pytest.mark.django_db
def test_the_preferences_page_links_to_the_contact_page(family, sign_in, priya):
    page = sign_in(family).get("/portal/preferences/").content.decode()
    assert f"{URL}?patient={priya.pk}" in page


@pytest.mark.django_db
def test_a_wrong_code_changes_nothing(family, sign_in, priya):
    client = sign_in(family)
    _ask(client, priya)
    right = code_sent_to(NEW_PHONE)
    wrong = "000000" if right != "000000" else "111111"
    page = client.post(CODE_URL, {"code": wrong})
    assert page.status_code == 400
    assert "not right" in page.content.decode()
    priya.refresh_from_db()
    assert priya.phone == PRIYA_PHONE


@pytest.mark.django_db
def test_an_expired_code_changes_nothing(family, sign_in, priya):
    client = sign_in(family)
    _ask(client, priya)
    OneTimeCode.objects.filter(address=NEW_PHONE).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    page = client.post(CODE_URL, {"code": code_sent_to(NEW_PHONE)})
    assert "expired" in page.content.decode()
    priya.refresh_from_db()
    assert priya.phone == PRIYA_PHONE


@pytest.mark.django_db
def test_codes_asked_for_one_address_are_limited(family, sign_in, priya):
    client = sign_in(family)
    for _ in range(codes.SEND_PER_ADDRESS.limit):
        assert _ask(client, priya).status_code == 302
    page = _ask(client, priya)
    assert page.status_code == 429
    assert "Too many codes" in page.content.decode()


@pytest.mark.django_db
def test_codes_one_account_asks_for_are_limited_whatever_the_addresses(family, sign_in, priya):
    """A signed-in account cannot send codes to any number it likes by asking each a new
    address (the per-address limit never trips) from new IPs."""
    client = sign_in(family)
    for n in range(codes.PER_ACCOUNT.limit):
        assert _ask(client, priya, f"98123456{n:02d}", ip=f"10.0.0.{n}").status_code == 302
    page = _ask(client, priya, "9812345699", ip="10.0.1.1")
    assert page.status_code == 429
    assert OneTimeCode.objects.filter(purpose="contact").count() == codes.PER_ACCOUNT.limit


@pytest.mark.django_db
def test_codes_typed_are_limited(family, sign_in, priya):
    client = sign_in(family)
    _ask(client, priya)
    for _ in range(codes.MAX_ATTEMPTS):
        client.post(CODE_URL, {"code": "000001"})
    page = client.post(CODE_URL, {"code": code_sent_to(NEW_PHONE)})
    assert page.status_code == 400
    priya.refresh_from_db()
    assert priya.phone == PRIYA_PHONE


@pytest.mark.django_db
def test_bad_input_gets_a_clear_message_and_no_code(family, sign_in, priya):
    page = _ask(sign_in(family), priya, "not a phone")
    assert page.status_code == 400
    assert not OneTimeCode.objects.filter(purpose="contact").exists()
    same = _ask(sign_in(family), priya, PRIYA_PHONE)
    assert "already the record" in same.content.decode()


@pytest.mark.django_db
def test_another_accounts_number_gets_the_usual_page_no_code_and_a_notice(
    family, sign_in, priya, clinic
):
    member(Role.PATIENT, clinic, username="other", verified_phone=NEW_PHONE, phone=NEW_PHONE)
    client = sign_in(family)
    asked = _ask(client, priya)
    assert asked.status_code == 302  # the page anyone sees
    assert not Message.objects.all_clinics().filter(event="portal.code", to=NEW_PHONE).exists()
    assert (
        Message.objects.all_clinics().filter(event="portal.account_exists", to=NEW_PHONE).exists()
    )
    page = client.post(CODE_URL, {"code": "123456"})
    assert page.status_code == 400
    priya.refresh_from_db()
    assert priya.phone == PRIYA_PHONE


@pytest.mark.django_db
def test_a_record_the_account_does_not_look_after_is_a_404(family, sign_in, stranger):
    client = sign_in(family)
    assert client.get(f"{URL}?patient={stranger.pk}").status_code == 404
    assert _ask(client, stranger).status_code == 404
    posted = client.post(
        "/portal/profile/contact/postal/", {"patient": str(stranger.pk), "address": "Elsewhere"}
    )
    assert posted.status_code == 404
    stranger.refresh_from_db()
    assert stranger.address != "Elsewhere"
    assert not OneTimeCode.objects.filter(purpose="contact").exists()


@pytest.mark.django_db
def test_a_code_of_a_record_no_longer_looked_after_changes_nothing(family, sign_in, anjali):
    client = sign_in(family)
    _ask(client, anjali)
    client.post(f"/portal/family/{anjali.pk}/remove/")
    client.post(CODE_URL, {"code": code_sent_to(NEW_PHONE)})
    anjali.refresh_from_db()
    assert anjali.phone != NEW_PHONE


@pytest.mark.django_db
def test_staff_are_refused(receptionist, sign_in, priya):
    client = sign_in(receptionist)
    assert client.get(URL).status_code == 403
    assert _ask(client, priya).status_code == 403


@pytest.mark.django_db
def test_the_postal_address_saves_at_once(family, sign_in, anjali):
    client = sign_in(family)
    answer = client.post(
        "/portal/profile/contact/postal/", {"patient": str(anjali.pk), "address": "Ward 4, Pokhara"}
    )
    assert answer.status_code == 302
    anjali.refresh_from_db()
    assert anjali.address == "Ward 4, Pokhara"
    assert AuditEvent.objects.filter(action="update", object_id=str(anjali.pk)).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_accounts_taking_one_number_at_once_get_it_once(clinic, family, priya, stranger):
    ramesh = member(Role.PATIENT, clinic, username="ramesh")
    link(ramesh, stranger)
    people = [(actor_for(family), priya), (actor_for(ramesh), stranger)]
    started = [
        contact.request_contact_change(
            actor=actor, patient=record, address=NEW_PHONE, ip="10.0.0.1"
        )
        for actor, record in people
    ]
    typed = [code_sent_to(NEW_PHONE, code=code) for code in started]

    def confirm(n: int) -> object:
        return contact.confirm_contact_change(
            actor=people[n][0], code_id=started[n].pk, digits=typed[n], ip=f"10.0.1.{n}"
        )

    changed, errors = at_once(confirm, 2)
    assert len(changed) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], Conflict), errors[0]
    assert User.objects.filter(verified_phone=NEW_PHONE).count() == 1
    # The loser's record kept its number: the account and its record never disagree.
    holder = User.objects.get(verified_phone=NEW_PHONE)
    for actor, record in people:
        record.refresh_from_db()
        assert (record.phone == NEW_PHONE) == (actor.user.pk == holder.pk)


@pytest.mark.django_db
def test_a_code_is_the_accounts_own(family, clinic, priya, anjali):
    started = contact.request_contact_change(
        actor=actor_for(family), patient=anjali, address=NEW_PHONE, ip="10.0.0.1"
    )
    someone = member(Role.PATIENT, clinic, username="someone")
    link(someone, anjali, "parent")
    with pytest.raises(DomainError, match="not right"):
        contact.confirm_contact_change(
            actor=actor_for(someone),
            code_id=started.pk,
            digits=code_sent_to(NEW_PHONE),
            ip="10.0.0.2",
        )
