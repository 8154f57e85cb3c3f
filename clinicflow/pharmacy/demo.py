"""The demo pharmacy's catalogue: a few hundred common medicines (``data/medicines.csv``),
imported through the same all-or-nothing import a pharmacist uses."""

from __future__ import annotations

from pathlib import Path

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.pharmacy import catalogue
from clinicflow.pharmacy.models import Medicine

CATALOGUE = Path(__file__).resolve().parent / "data" / "medicines.csv"


def load_demo_catalogue(*, pharmacist: User) -> int:
    """The demo medicines in the pharmacist's clinic (once); how many were added."""
    actor = actor_for(pharmacist)
    assert actor.clinic is not None
    if Medicine.objects.for_clinic(actor.clinic).exists():
        return 0
    added, _updated = catalogue.import_csv(actor=actor, content=CATALOGUE.read_bytes())
    return added
