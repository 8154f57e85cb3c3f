"""Races: one code typed twice at the same instant links once."""

from __future__ import annotations

from datetime import date

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.portal import services
from clinicflow.portal.models import PatientLink, Relationship
from clinicflow.portal.tests.conftest import code_sent_to
from tests.concurrency import at_once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_verifications_of_one_code_at_once_link_once(patient, anjali):
    actor = actor_for(patient)
    code = services.request_link(
        actor=actor,
        mrn=anjali.mrn,
        birth_date=date(2018, 7, 15),
        relationship=Relationship.CHILD,
        ip="10.0.0.1",
    )  # committed: its task sent the code to the record's phone
    digits = code_sent_to(anjali.phone)

    def verify(n: int) -> object:
        return services.confirm_link(actor=actor, code_id=code.pk, digits=digits, ip=f"10.0.1.{n}")

    linked, errors = at_once(verify, 2)
    assert len(linked) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], DomainError)
    assert "already used" in errors[0].message
    assert PatientLink.objects.for_clinic(anjali.clinic).filter(patient=anjali).count() == 1
