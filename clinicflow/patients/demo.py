"""Demo patients for the demo clinics: registered through the same service as at the desk, so
they have MRNs, audit events and timelines like real ones."""

from __future__ import annotations

from datetime import date
from typing import Any

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import User
from clinicflow.patients.models import Patient
from clinicflow.patients.services import record_allergy, record_condition, register_patient

#: (given, family, sex, birth date or None, age when no date, phone, allergy, condition)
PATIENTS = [
    ("Priya", "Sharma", "female", date(1990, 4, 12), None, "9841234567", "Penicillin", ""),
    ("Ramesh", "Adhikari", "male", date(1958, 11, 3), None, "9851012345", "", "Type 2 diabetes"),
    ("Sunita", "Gurung", "female", None, 34, "9803456789", "", ""),
    (
        "Bishnu",
        "Thapa",
        "male",
        date(1975, 1, 20),
        None,
        "9812345670",
        "Sulfa drugs",
        "Hypertension",
    ),
    ("Anjali", "Rai", "female", date(2018, 7, 15), None, "9845678901", "", "Asthma"),
    ("Kiran", "Shrestha", "male", date(2001, 9, 9), None, "9860011223", "", ""),
    ("Maya", "Tamang", "female", None, 67, "9818765432", "Aspirin", "Osteoarthritis"),
    ("Dipendra", "Karki", "male", date(1983, 2, 28), None, "9849988776", "", ""),
    ("Sarita", "Magar", "female", date(1996, 12, 1), None, "9807766554", "", "Hypothyroidism"),
    ("Hari", "Poudel", "male", date(1949, 5, 30), None, "9841122334", "Iodine contrast", "COPD"),
    ("Laxmi", "Bhandari", "female", date(2010, 3, 22), None, "9823344556", "", ""),
    ("Prakash", "Joshi", "male", None, 45, "9865544332", "", "Migraine"),
]


def load_demo_patients(*, receptionist: User, nurse: User) -> int:
    """Register the demo patients once (skipped when the clinic already has patients)."""
    desk, ward = actor_for(receptionist), actor_for(nurse)
    assert desk.clinic is not None
    if Patient.objects.for_clinic(desk.clinic).exists():
        return 0
    for given, family, sex, born, age, phone, allergy, condition in PATIENTS:
        details: dict[str, Any] = {
            "given_name": given,
            "family_name": family,
            "sex": sex,
            "phone": phone,
        }
        details |= {"birth_date": born} if born else {"age_years": age}
        patient = register_patient(actor=desk, details=details, confirm_new=True)
        if allergy:
            record_allergy(actor=ward, patient=patient, substance=allergy, severity="severe")
        if condition:
            record_condition(actor=ward, patient=patient, description=condition)
    return len(PATIENTS)
