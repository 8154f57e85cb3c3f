"""The demo laboratories' catalogue: forty common tests of a Nepali clinic's lab, with their
parameters, reference ranges by sex and age, critical limits, LOINC codes and prices in
rupees, from ``data/lab_catalogue.csv``. The clinic's manager adds the lab's sections and
imports the file through the same all-or-nothing import a lab manager uses, so the demo and a
real clinic's catalogue take one path."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from clinicflow.accounts.demo import demo_actor
from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.lab import catalogue
from clinicflow.lab.models import LabSection, LabTest

CATALOGUE = Path(__file__).resolve().parent / "data" / "lab_catalogue.csv"
#: The clinics whose lab the demo fills (both demo clinics run one).
LABS = {"KTM", "PKR"}


def sections_in(content: bytes) -> list[str]:
    """The sections the file's tests belong to, in the file's order."""
    rows = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    return list(dict.fromkeys(row["section"].strip() for row in rows if row["section"].strip()))


def load_demo_lab_catalogue(*, manager: User, clinic: Clinic | None = None) -> int:
    """The demo lab catalogue of ``clinic`` (the manager's first clinic when none is named),
    once: nothing happens when the clinic has any lab test. Returns how many tests were
    added."""
    actor = demo_actor(manager, clinic)
    assert actor.clinic is not None
    if actor.clinic.code not in LABS or LabTest.objects.for_clinic(actor.clinic).exists():
        return 0
    content = CATALOGUE.read_bytes()
    known = {
        s.lower()
        for s in LabSection.objects.for_clinic(actor.clinic).values_list("name", flat=True)
    }
    for name in sections_in(content):
        if name.lower() not in known:
            catalogue.add_section(actor=actor, name=name)
    return catalogue.import_csv(actor=actor, content=content).added
