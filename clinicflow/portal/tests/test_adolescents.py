"""Adolescents' own access, a clinic setting: off by default (under 18 a parent or guardian
looks after the record), on from an age the manager chooses (12 to 17)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import Role
from clinicflow.notifications.models import Message
from clinicflow.portal import adolescents, services
from clinicflow.portal.access import patients_of
from clinicflow.portal.models import PatientLink, PortalSettings, Relationship
from clinicflow.portal.tests.conftest import code_sent_to, link
from tests.factories import member

pytestmark = pytest.mark.django_db

SETTINGS_URL = "/portal/settings/portal/"


def _born_years_ago(clinic, years: int) -> date:
    """A birth date that makes someone ``years`` old today (a month past the birthday)."""
    today = timezone.localtime(timezone.now(), clinic.zone).date()
    return (today - timedelta(days=31)).replace(day=1, year=today.year - years)


def _allow_from(clinic, age: int) -> None:
    PortalSettings.objects.create(
        clinic=clinic, adolescents_own_account=True, adolescent_from_age=age
    )


def _register_form(clinic, birth_date: date) -> dict[str, str]:
    return {
        "address": "9801234567",
        "given_name": "Sita",
        "family_name": "Thapa",
        "birth_date": str(birth_date),
        "sex": "female",
        "clinic": str(clinic.pk),
        "password": "a long enough passphrase",
        "password_again": "a long enough passphrase",
    }


def test_the_age_counts_birthdays():
    assert adolescents.age_on(date(2010, 6, 15), date(2026, 6, 14)) == 15
    assert adolescents.age_on(date(2010, 6, 15), date(2026, 6, 15)) == 16


def test_by_default_a_sixteen_year_old_cannot_register_their_own_account(clinic, client):
    page = client.post(
        reverse("portal:register"), _register_form(clinic, _born_years_ago(clinic, 16))
    )
    assert page.status_code == 400
    assert "under 18" in page.content.decode()
    assert not Message.objects.all_clinics().filter(event="portal.code").exists()


def test_by_default_an_adult_registers_as_before(clinic, client):
    asked = client.post(
        reverse("portal:register"), _register_form(clinic, _born_years_ago(clinic, 18))
    )
    assert asked.status_code == 302


def test_when_allowed_from_14_a_fifteen_year_old_registers_their_own_account(clinic, client):
    _allow_from(clinic, 14)
    client.post(reverse("portal:register"), _register_form(clinic, _born_years_ago(clinic, 15)))
    done = client.post(reverse("portal:register_code"), {"code": code_sent_to("+9779801234567")})
    assert done.status_code == 302
    own = PatientLink.objects.for_clinic(clinic).get(relationship=Relationship.SELF)
    assert own.patient.given_name == "Sita"


def test_when_allowed_from_14_a_thirteen_year_old_is_told_the_age(clinic, client):
    _allow_from(clinic, 14)
    page = client.post(
        reverse("portal:register"), _register_form(clinic, _born_years_ago(clinic, 13))
    )
    assert page.status_code == 400
    assert "from the age of 14" in page.content.decode()


def test_by_default_the_desk_cannot_link_a_minors_record_as_an_accounts_own(
    clinic, receptionist, register
):
    teen = register(given_name="Sita", family_name="Thapa", birth_date=_born_years_ago(clinic, 16))
    account = member(Role.PATIENT, clinic, username="sita")
    with pytest.raises(DomainError, match="under 18") as refused:
        services.link_at_desk(
            actor=actor_for(receptionist),
            patient=teen,
            account="sita",
            relationship=Relationship.SELF,
        )
    assert refused.value.field == "relationship"
    assert not PatientLink.objects.for_clinic(clinic).filter(user=account).exists()
    # A guardian links them as their child.
    parent = member(Role.PATIENT, clinic, username="parent")
    services.link_at_desk(
        actor=actor_for(receptionist),
        patient=teen,
        account="parent",
        relationship=Relationship.CHILD,
    )
    assert teen in patients_of(parent, clinic)


def test_by_default_a_code_cannot_link_a_minors_record_as_ones_own(
    clinic, patient, anjali, django_capture_on_commit_callbacks
):
    actor = actor_for(patient)
    with django_capture_on_commit_callbacks(execute=True):
        code = services.request_link(
            actor=actor,
            mrn=anjali.mrn,
            birth_date=anjali.birth_date,
            relationship=Relationship.SELF,
            ip="10.0.0.1",
        )
    with pytest.raises(DomainError, match="under 18"):
        services.confirm_link(
            actor=actor, code_id=code.pk, digits=code_sent_to(anjali.phone), ip="10.0.0.1"
        )
    assert not PatientLink.objects.for_clinic(clinic).filter(patient=anjali).exists()


def test_when_allowed_the_teen_holds_their_own_account_and_the_guardian_still_sees_them(
    clinic, receptionist, register
):
    _allow_from(clinic, 16)
    teen = register(given_name="Sita", family_name="Thapa", birth_date=_born_years_ago(clinic, 16))
    parent = member(Role.PATIENT, clinic, username="parent")
    link(parent, teen, Relationship.CHILD)
    own = member(Role.PATIENT, clinic, username="sita")
    services.link_at_desk(
        actor=actor_for(receptionist), patient=teen, account="sita", relationship=Relationship.SELF
    )
    assert teen in patients_of(own, clinic)
    assert teen in patients_of(parent, clinic)


def test_a_record_without_a_birth_date_counts_as_an_adults(clinic):
    adolescents.check_own_account(clinic, None)


def test_the_manager_turns_adolescents_access_on(clinic, manager, sign_in):
    client = sign_in(manager)
    assert client.get(SETTINGS_URL).status_code == 200
    saved = client.post(
        SETTINGS_URL, {"adolescents_own_account": "on", "adolescent_from_age": "15"}
    )
    assert saved.status_code == 302
    current = adolescents.settings_of(clinic)
    assert (current.adolescents_own_account, current.own_account_from_age) == (True, 15)


def test_an_age_outside_12_to_17_is_refused_and_nothing_saved(clinic, manager, sign_in):
    page = sign_in(manager).post(
        SETTINGS_URL, {"adolescents_own_account": "on", "adolescent_from_age": "11"}
    )
    assert page.status_code == 400
    assert not PortalSettings.objects.for_clinic(clinic).exists()


def test_the_database_holds_the_age_range(clinic):
    with pytest.raises(IntegrityError), transaction.atomic():
        PortalSettings.objects.create(clinic=clinic, adolescent_from_age=18)


def test_only_managers_set_it(receptionist, patient, sign_in):
    assert sign_in(receptionist).get(SETTINGS_URL).status_code == 403
    assert sign_in(patient).post(SETTINGS_URL, {"adolescent_from_age": "12"}).status_code == 403
