"""Self-registration: a code to the phone or e-mail, then a patient account (and nothing more)
with a new record and a fresh MRN at the chosen clinic, linked as its own."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from clinicflow.accounts.models import Membership, User
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.notifications.models import Message
from clinicflow.patients.models import Patient
from clinicflow.portal.models import LinkedVia, OneTimeCode, PatientLink, Relationship
from clinicflow.portal.tests.conftest import code_sent_to
from tests.factories import member

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase"


def _form(chosen, **changes):
    return {
        "address": "9801234567",
        "given_name": "Asha",
        "family_name": "Gurung",
        "birth_date": "1992-01-01",
        "sex": "female",
        "clinic": str(chosen.pk),
        "password": PASSWORD,
        "password_again": PASSWORD,
        **changes,
    }


def _register(client, clinic, **changes):
    asked = client.post(reverse("portal:register"), _form(clinic, **changes))
    assert asked.status_code == 302, asked.content.decode()[:2000]
    assert asked["Location"] == reverse("portal:register_code")
    typed = changes.get("address", "")
    address = typed.lower() if "@" in typed else "+9779801234567"
    return client.post(reverse("portal:register_code"), {"code": code_sent_to(address)})


def test_the_sign_in_page_offers_registration_and_sign_in_by_code(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert reverse("portal:register") in page
    assert reverse("portal:sign_in_code") in page


def test_a_new_person_registers_with_a_phone_code_and_gets_an_account_a_record_and_a_link(
    clinic, client
):
    assert client.get(reverse("portal:register")).status_code == 200
    done = _register(client, clinic)
    assert done.status_code == 302
    assert done["Location"] == reverse("core:dashboard")

    user = User.objects.get(phone="+9779801234567")
    assert (user.first_name, user.last_name) == ("Asha", "Gurung")
    assert user.check_password(PASSWORD)
    roles = set(Membership.objects.filter(user=user).values_list("role", "clinic"))
    assert roles == {(Role.PATIENT, clinic.pk)}
    patient = Patient.objects.for_clinic(clinic).get()
    assert patient.mrn == f"{clinic.code}-000001"
    assert (patient.given_name, str(patient.birth_date), patient.phone) == (
        "Asha",
        "1992-01-01",
        "+9779801234567",
    )
    link = PatientLink.objects.for_clinic(clinic).get()
    assert (link.user, link.patient, link.relationship, link.linked_via) == (
        user,
        patient,
        Relationship.SELF,
        LinkedVia.REGISTRATION,
    )
    assert OneTimeCode.objects.get().payload == {}  # no details or password hash kept
    # Signed in, the sign-in audited, and the home shows her record.
    home = client.get(reverse("core:dashboard"))
    assert home.context["member"] == patient
    assert AuditEvent.objects.all_clinics().filter(action=AuditAction.LOGIN, actor=user).exists()
    assert (
        AuditEvent.objects.all_clinics()
        .filter(action=AuditAction.CREATE, object_type="portal.patientlink")
        .exists()
    )


def test_registering_with_an_e_mail_sends_the_code_by_e_mail(clinic, client):
    done = _register(client, clinic, address="Asha@Example.org")
    assert done.status_code == 302
    user = User.objects.get(email="asha@example.org")
    assert user.phone == ""
    message = Message.objects.for_clinic(clinic).get(event="portal.code")
    assert (message.channel, message.to) == ("email", "asha@example.org")


def test_role_and_clinic_fields_posted_with_the_form_are_ignored(clinic, other_clinic, client):
    done = _register(
        client,
        clinic,
        role="manager",
        roles=["manager", "admin"],
        is_staff="1",
        is_superuser="1",
        is_platform_admin="1",
        membership_clinic=str(other_clinic.pk),
        username="admin",
        job_title="Clinic manager",
    )
    assert done.status_code == 302
    user = User.objects.get(phone="+9779801234567")
    assert list(Membership.objects.filter(user=user).values_list("role", "clinic")) == [
        (Role.PATIENT, clinic.pk)
    ]
    assert not user.is_staff
    assert not user.is_platform_admin
    assert user.username != "admin"
    assert user.job_title == ""
    assert client.get(reverse("accounts:staff_list")).status_code == 403


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"birth_date": "2999-01-01"}, "birth_date", "cannot be in the future"),
        ({"address": "12"}, "address", "not valid"),
        ({"address": "not-an-address@"}, "address", "not an e-mail address"),
        ({"password": "short", "password_again": "short"}, "password", "too short"),
        ({"password_again": "something else"}, "password_again", "differ"),
        ({"given_name": ""}, "given_name", "required"),
        ({"clinic": ""}, "clinic", "required"),
    ],
)
def test_bad_input_gets_a_clear_message_and_saves_nothing(clinic, client, changes, field, message):
    page = client.post(reverse("portal:register"), _form(clinic, **changes))
    assert page.status_code == 400
    errors = " ".join(str(e) for e in page.context["form"].errors.get(field, []))
    assert message in errors, page.context["form"].errors
    assert not OneTimeCode.objects.exists()
    assert not Message.objects.for_clinic(clinic).exists()
    assert not User.objects.filter(phone="+9779801234567").exists()


@pytest.mark.parametrize("taken", ["phone", "email"])
def test_an_address_with_an_account_is_told_so_and_the_visitor_learns_nothing(
    clinic, client, taken
):
    member(
        Role.PATIENT,
        clinic,
        phone="+9779801234567",
        verified_phone="+9779801234567",
        email="asha@example.org",
    )
    address = "9801234567" if taken == "phone" else "ASHA@example.org"
    page = client.post(reverse("portal:register"), _form(clinic, address=address))
    fresh = Client().post(reverse("portal:register"), _form(clinic, address="9807654321"))
    assert page.status_code == fresh.status_code == 302
    assert page["Location"] == fresh["Location"]
    told = Message.objects.for_clinic(clinic).filter(to__in=["+9779801234567", "asha@example.org"])
    assert [m.event for m in told] == ["portal.account_exists"]
    # The code page leads nowhere for them: no code can be right.
    assert client.post(reverse("portal:register_code"), {"code": "123456"}).status_code == 400
    assert User.objects.filter(phone="+9779801234567").count() == 1


def test_a_wrong_code_creates_nothing_and_says_so(clinic, client):
    client.post(reverse("portal:register"), _form(clinic))
    right = code_sent_to("+9779801234567")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page = client.post(reverse("portal:register_code"), {"code": wrong})
    assert page.status_code == 400
    assert "not right" in page.content.decode()
    assert not User.objects.filter(phone="+9779801234567").exists()
    assert not Patient.objects.for_clinic(clinic).exists()
    assert OneTimeCode.objects.get().attempts == 1


def test_the_code_page_without_a_code_asked_for_goes_back_to_the_form(client):
    page = client.get(reverse("portal:register_code"))
    assert page.status_code == 302
    assert page["Location"] == reverse("portal:register")


def test_a_number_only_typed_as_someones_contact_phone_does_not_stop_its_owner(clinic, client):
    """A contact phone typed at the desk or by a manager proves nothing: the number's owner
    still registers with it (a real code arrives), and is not told to sign in."""
    member(Role.RECEPTIONIST, clinic, username="desk", phone="+9779801234567")
    client.post(reverse("portal:register"), _form(clinic))
    done = client.post(reverse("portal:register_code"), {"code": code_sent_to("+9779801234567")})
    assert done.status_code == 302
    assert User.objects.filter(verified_phone="+9779801234567").count() == 1
