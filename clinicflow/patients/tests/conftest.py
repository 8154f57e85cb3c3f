from __future__ import annotations

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.patients.services import register_patient


@pytest.fixture
def register(receptionist):
    """Register a patient as the clinic's receptionist; details override a sensible default."""

    def _register(confirm_new: bool = True, actor_user=None, **details):
        data = {"given_name": "Priya", "family_name": "Sharma", "sex": "female", **details}
        return register_patient(
            actor=actor_for(actor_user or receptionist), details=data, confirm_new=confirm_new
        )

    return _register
