from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical.icd10 import load_codes
from clinicflow.clinical.models import Icd10Code
from clinicflow.clinical.services import open_encounter
from clinicflow.frontdesk import services as frontdesk
from clinicflow.scheduling.services import create_practitioner


@pytest.fixture
def icd10(db):
    """The code list (a transactional test elsewhere may have flushed the migration's rows)."""
    if not Icd10Code.objects.filter(code="J45.0").exists():
        load_codes(Icd10Code)


@pytest.fixture
def practitioner(doctor, manager):
    return create_practitioner(
        actor=actor_for(manager), user=doctor, specialization="GP", details={}
    )


@pytest.fixture
def patient(register):
    return register()


@pytest.fixture
def visit(receptionist, doctor, practitioner, patient):
    """The patient in the queue, called in by the doctor."""
    frontdesk.add_walk_in(actor=actor_for(receptionist), patient=patient, practitioner=practitioner)
    return frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)


@pytest.fixture
def encounter(doctor, visit, icd10):
    return open_encounter(actor=actor_for(doctor), entry=visit)
