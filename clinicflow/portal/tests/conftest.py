"""The portal's fixtures: a family (an account that looks after its own record and a child's),
another family, and reading the code a message carried."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import pytest
from django.core import mail

from clinicflow.core.roles import Role
from clinicflow.notifications.models import Message
from clinicflow.notifications.sms.backends.console import ConsoleBackend
from clinicflow.portal.models import LinkedVia, PatientLink, Relationship
from tests.factories import member

PRIYA_PHONE = "+9779841234567"


@pytest.fixture(autouse=True)
def _own_throttle_counts(monkeypatch):
    """Each test counts tries in a cache of its own: on Redis, the suite's other worker empties
    the shared cache before each of its tests, which would reset these counts mid-test."""
    from django.core.cache.backends.locmem import LocMemCache

    from clinicflow.core import throttle

    monkeypatch.setattr(throttle, "cache", LocMemCache(f"throttle-{uuid.uuid4()}", {}))


def code_sent_to(address: str, *, code: Any = None) -> str:
    """The digits of the last code queued to ``address`` (or of ``code``, when given)."""
    sent = Message.objects.all_clinics().filter(event="portal.code", to=address)
    if code is not None:
        sent = sent.filter(key__startswith=f"portal.code:{code.pk}:")
    message = sent.order_by("-created_at", "-pk").first()
    assert message is not None, f"no code was sent to {address}"
    texts = [message.body]  # until delivered; then masked, and read where it went
    texts += [sms.text for sms in ConsoleBackend.sent if sms.reference == message.key]
    texts += [m.body for m in mail.outbox if m.extra_headers.get("X-ClinicFlow-Key") == message.key]
    for text in texts:
        found = re.search(r"(?<!\d)\d{6}(?!\d)", text)
        if found:
            return found.group(0)
    raise AssertionError(f"no code in {texts}")


def as_seen(response: Any) -> str:
    """A page as a visitor compares two of them: without the per-request CSP nonce and CSRF
    token."""
    text = response.content.decode()
    text = re.sub(r'nonce="[^"]*"', 'nonce=""', text)
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", text)


def link(
    user: Any,
    patient: Any,
    relationship: str = Relationship.SELF,
    linked_via: str = LinkedVia.REGISTRATION,
) -> PatientLink:
    return PatientLink.objects.create(
        clinic=patient.clinic,
        user=user,
        patient=patient,
        relationship=relationship,
        linked_via=linked_via,
    )


@pytest.fixture
def priya(register):
    return register(
        given_name="Priya", family_name="Sharma", birth_date=date(1990, 4, 12), phone=PRIYA_PHONE
    )


@pytest.fixture
def anjali(register):
    return register(
        given_name="Anjali", family_name="Rai", birth_date=date(2018, 7, 15), phone="+9779845678901"
    )


@pytest.fixture
def stranger(register):
    """Someone else's record at the same clinic."""
    return register(
        given_name="Ramesh",
        family_name="Adhikari",
        sex="male",
        birth_date=date(1958, 11, 3),
        phone="+9779851012345",
    )


@pytest.fixture
def family(patient, priya, anjali):
    """The ``patient`` account looks after Priya (its own) and Anjali (her child)."""
    link(patient, priya)
    link(patient, anjali, Relationship.CHILD)
    return patient


@pytest.fixture
def other_family(clinic, stranger):
    account = member(Role.PATIENT, clinic, username="ramesh")
    link(account, stranger)
    return account


# ---------------------------------------------------------------- booking online


@pytest.fixture
def cardiologist(doctor, manager):
    """Dr "doctor": 20-minute slots, 09–13 and 14–17 every day."""
    from clinicflow.accounts.actors import actor_for
    from clinicflow.scheduling.services import apply_preset, create_practitioner

    practitioner = create_practitioner(
        actor=actor_for(manager),
        user=doctor,
        specialization="Cardiologist",
        details={"slot_minutes": 20, "consultation_fee": "800.00"},
    )
    apply_preset(
        actor=actor_for(manager),
        practitioner=practitioner,
        preset="full_day",
        weekdays=list(range(7)),
    )
    return practitioner


@pytest.fixture
def next_monday():
    from datetime import timedelta

    today = date.today()
    return today + timedelta(days=7 - today.weekday() + 7)  # a Monday more than a week ahead


@pytest.fixture
def at(clinic):
    """An aware datetime at local wall-clock time in the clinic."""
    from datetime import datetime, time

    def _at(day, hour: int, minute: int = 0):
        return datetime.combine(day, time(hour, minute), tzinfo=clinic.zone)

    return _at


# The record and bill pages' fixtures: a day of care for Priya, Anjali and the stranger.
from clinicflow.portal.tests.records_day import (  # noqa: E402, F401
    anjali_day,
    gp,
    people,
    priya_day,
    stranger_day,
)
