"""Demo patients for the demo clinics: registered through the same service as at the desk, so
they have MRNs, audit events and timelines like real ones."""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from clinicflow.accounts.demo import demo_actor
from clinicflow.accounts.models import User
from clinicflow.core.models import Clinic
from clinicflow.patients.models import Patient
from clinicflow.patients.services import record_allergy, record_condition, register_patient


class DemoPatient(NamedTuple):
    given: str
    family: str
    sex: str
    born: date | int  # a birth date, or the age in years when only that is known
    phone: str
    allergy: str = ""
    condition: str = ""


P = DemoPatient

#: Per clinic code, the patients its front desk registers.
PATIENTS: dict[str, list[DemoPatient]] = {
    "KTM": [
        P("Priya", "Sharma", "female", date(1990, 4, 12), "9841234567", "Penicillin"),
        P("Ramesh", "Adhikari", "male", date(1958, 11, 3), "9851012345", "", "Type 2 diabetes"),
        P("Sunita", "Gurung", "female", 34, "9803456789"),
        P(
            "Bishnu",
            "Thapa",
            "male",
            date(1975, 1, 20),
            "9812345670",
            "Sulfa drugs",
            "Hypertension",
        ),
        P("Anjali", "Rai", "female", date(2018, 7, 15), "9845678901", "", "Asthma"),
        P("Kiran", "Shrestha", "male", date(2001, 9, 9), "9860011223"),
        P("Maya", "Tamang", "female", 67, "9818765432", "Aspirin", "Osteoarthritis"),
        P("Dipendra", "Karki", "male", date(1983, 2, 28), "9849988776"),
        P("Sarita", "Magar", "female", date(1996, 12, 1), "9807766554", "", "Hypothyroidism"),
        P("Hari", "Poudel", "male", date(1949, 5, 30), "9841122334", "Iodine contrast", "COPD"),
        P("Laxmi", "Bhandari", "female", date(2010, 3, 22), "9823344556"),
        P("Prakash", "Joshi", "male", 45, "9865544332", "", "Migraine"),
    ],
    "PKR": [
        P("Bhim", "Gurung", "male", date(1962, 8, 14), "9846012345", "", "Hypertension"),
        P("Sushila", "Paudel", "female", date(1988, 3, 5), "9856023456", "Metronidazole"),
        P("Tek Bahadur", "Pun", "male", 71, "9806034567", "", "COPD"),
        P("Gita", "Subedi", "female", date(1995, 10, 21), "9846045678"),
        P("Aarav", "Baral", "male", date(2019, 1, 30), "9856056789"),
        P(
            "Kamala",
            "Sherchan",
            "female",
            date(1970, 6, 2),
            "9816067890",
            "Penicillin",
            "Type 2 diabetes",
        ),
        P("Santosh", "Lamichhane", "male", date(1991, 12, 12), "9846078901"),
        P("Rita", "Ale", "female", 29, "9806089012", "", "Iron-deficiency anaemia"),
        P(
            "Dil Kumari",
            "Bhattarai",
            "female",
            date(1955, 4, 18),
            "9856090123",
            "Ibuprofen",
            "Osteoarthritis",
        ),
        P("Nabin", "Tiwari", "male", date(2007, 9, 3), "9816101234", "", "Asthma"),
        P("Parbati", "Khadka", "female", date(1979, 2, 25), "9846112345", "", "Hypothyroidism"),
        P("Suraj", "KC", "male", date(1984, 7, 7), "9806123456"),
    ],
}


def load_demo_patients(*, receptionist: User, nurse: User, clinic: Clinic | None = None) -> int:
    """Register the demo patients of ``clinic`` (the receptionist's first clinic when none is
    named) at its front desk, with the nurse recording their allergies and problems. Once:
    nothing happens when the clinic already has patients. Returns how many were registered."""
    desk = demo_actor(receptionist, clinic)
    assert desk.clinic is not None
    ward = demo_actor(nurse, desk.clinic)
    if Patient.objects.for_clinic(desk.clinic).exists():
        return 0
    patients = PATIENTS.get(desk.clinic.code, [])
    for person in patients:
        details: dict[str, Any] = {
            "given_name": person.given,
            "family_name": person.family,
            "sex": person.sex,
            "phone": person.phone,
        }
        born = person.born
        details |= {"birth_date": born} if isinstance(born, date) else {"age_years": born}
        patient = register_patient(actor=desk, details=details, confirm_new=True)
        if person.allergy:
            record_allergy(actor=ward, patient=patient, substance=person.allergy, severity="severe")
        if person.condition:
            record_condition(actor=ward, patient=patient, description=person.condition)
    return len(patients)
