"""The mobile number an account proved is one account's, held by the database: the unique
index on ``User.verified_phone``, a registration racing another for one number, and the
migration that fills the field from the codes already used."""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicflow.accounts.models import User
from clinicflow.core.errors import Conflict
from clinicflow.portal import services
from clinicflow.portal.models import CodePurpose, OneTimeCode
from clinicflow.portal.tests.conftest import code_sent_to
from tests.concurrency import at_once

PHONE = "+9779801234567"


def _start(clinic, given_name: str = "Asha", address: str = "9801234567") -> OneTimeCode:
    return services.start_registration(
        clinic=clinic,
        registration=services.Registration(
            given_name=given_name,
            family_name="Gurung",
            birth_date=date(1992, 1, 1),
            sex="female",
            address=address,
            password="a long enough passphrase",
        ),
        ip="10.0.0.1",
    )


def _digits(code: OneTimeCode) -> str:
    return code_sent_to(code.address, code=code)


@pytest.mark.django_db
def test_registering_by_phone_makes_it_the_accounts_verified_number(clinic):
    code = _start(clinic)
    user = services.complete_registration(code_id=code.pk, digits=_digits(code), ip="10.0.0.1")
    assert user.verified_phone == PHONE


@pytest.mark.django_db
def test_registering_by_e_mail_verifies_no_phone(clinic):
    code = _start(clinic, address="asha@example.org")
    user = services.complete_registration(code_id=code.pk, digits=_digits(code), ip="10.0.0.1")
    assert user.verified_phone == ""


@pytest.mark.django_db
def test_the_database_refuses_a_second_account_with_one_verified_number():
    User.objects.create_user("first", first_name="First", verified_phone=PHONE)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("second", first_name="Second", verified_phone=PHONE)
    # Accounts without a verified number are many.
    User.objects.create_user("third", first_name="Third")
    User.objects.create_user("fourth", first_name="Fourth")


@pytest.mark.django_db
def test_the_database_refuses_a_verified_number_not_in_e164():
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("odd", first_name="Odd", verified_phone="9801234567")


@pytest.mark.django_db
def test_a_second_registration_of_a_number_with_an_account_is_told_to_sign_in(clinic):
    first, second = _start(clinic), _start(clinic, "Bimala")
    services.complete_registration(code_id=first.pk, digits=_digits(first), ip="10.0.0.1")
    with pytest.raises(Conflict, match="Sign in instead"):
        services.complete_registration(code_id=second.pk, digits=_digits(second), ip="10.0.0.2")
    assert User.objects.filter(phone=PHONE).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_registrations_with_one_phone_at_once_make_one_account(clinic):
    started = [_start(clinic), _start(clinic, "Bimala")]  # both codes sent, both right
    typed = [_digits(code) for code in started]

    def complete(n: int) -> User:
        return services.complete_registration(
            code_id=started[n].pk, digits=typed[n], ip=f"10.0.1.{n}"
        )

    made, errors = at_once(complete, 2)
    assert len(made) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], Conflict), errors[0]
    assert "Sign in instead" in errors[0].message
    assert User.objects.filter(verified_phone=PHONE).count() == 1
    assert User.objects.filter(phone=PHONE).count() == 1


@pytest.mark.django_db
def test_the_migration_gives_a_number_two_accounts_proved_to_the_first_only(clinic):
    from importlib import import_module

    fill = import_module("clinicflow.portal.migrations.0002_fill_verified_phones").fill
    first = User.objects.create_user("first", first_name="First", phone=PHONE)
    second = User.objects.create_user("second", first_name="Second", phone=PHONE)
    moved = User.objects.create_user("moved", first_name="Moved", phone="+9779811111111")
    now = timezone.now()
    for user, address, minutes in ((second, PHONE, 2), (first, PHONE, 1), (moved, PHONE, 0)):
        OneTimeCode.objects.create(
            purpose=CodePurpose.REGISTER,
            address=address,
            user=user,
            expires_at=now,
            used_at=now - timezone.timedelta(minutes=10 - minutes),
        )
    fill(apps, None)
    # "moved" proved it first but no longer has it as their phone: not theirs.
    assert [
        u.verified_phone
        for u in User.objects.filter(pk__in=[first.pk, second.pk, moved.pk]).order_by("username")
    ] == [PHONE, "", ""]
