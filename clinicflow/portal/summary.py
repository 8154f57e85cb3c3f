"""The patient's "download my records": a PDF summary of one record, drawn with the shared
PDF engine (``core.pdf``): the details the portal is given of the record (the policy's
``portal.records`` fields), allergies, problems, visits with their diagnoses in words, the
medicines being taken and the latest verified lab values."""

from __future__ import annotations

from django.utils import timezone

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.pdf import Document
from clinicflow.core.templatetags.clinicflow import with_bs
from clinicflow.lab import chart as lab_chart
from clinicflow.patients.models import AllergyStatement, ClinicalStatus, Patient
from clinicflow.portal import records

READ = "portal.records"
#: Visits in the summary: the newest (the portal's pages hold them all).
VISITS_SHOWN = 50

#: The record's details as the summary prints them, in this order, when the policy gives them.
DETAILS = (
    ("mrn", "Record number"),
    ("birth_date", "Birth date"),
    ("sex", "Sex"),
    ("blood_group", "Blood group"),
    ("phone", "Phone"),
    ("email", "E-mail"),
    ("address", "Address"),
    ("emergency_contact_name", "Emergency contact"),
    ("emergency_contact_phone", "Emergency contact's phone"),
    ("height_cm", "Height (cm)"),
    ("weight_kg", "Weight (kg)"),
    ("current_medications", "Medicines (as told to the clinic)"),
)


def _detail(patient: Patient, name: str) -> str:
    if name == "sex":
        return str(patient.get_sex_display())
    if name == "birth_date":
        return with_bs(patient.birth_date, patient.clinic)
    value = getattr(patient, name, "")
    return "" if value is None else str(value)


class Summary:
    def __init__(self, actor: Actor, patient: Patient) -> None:
        self.actor = actor
        self.patient = patient
        self.clinic = patient.clinic
        self.pdf = Document(format="A4")
        self.pdf.set_auto_page_break(auto=True, margin=15)

    def heading(self, text: str) -> None:
        self.pdf.ln(3)
        self.pdf.paragraph(text, 12, "B", 7)

    def line(self, text: str, size: float = 10, style: str = "") -> None:
        self.pdf.paragraph(text, size, style)

    def write(self) -> bytes:
        self.pdf.add_page()
        self.header()
        self.details()
        self.allergies()
        self.problems()
        self.visits()
        self.medicines()
        self.lab()
        return bytes(self.pdf.output())

    def header(self) -> None:
        self.line(self.clinic.name, 14, "B")
        self.line(f"Summary of the record of {self.patient.full_name}", 12)
        self.line(f"Printed {with_bs(timezone.now(), self.clinic)}", 8)

    def details(self) -> None:
        given = policy.fields_for(self.actor, READ, policy.PATIENT) or frozenset()
        self.heading("Details")
        for name, label in DETAILS:
            if name not in given:
                continue
            value = _detail(self.patient, name)
            if value:
                self.line(f"{label}: {value}")

    def allergies(self) -> None:
        self.heading("Allergies")
        rows = records.allergies(self.patient)
        for allergy in rows:
            reaction = f" ({allergy.reaction})" if allergy.reaction else ""
            self.line(f"{allergy.substance}{reaction}: {allergy.get_severity_display()}")
        if not rows:
            statement = self.patient.allergy_statement
            self.line(
                "No known allergies."
                if statement == AllergyStatement.NONE_KNOWN
                else "The clinic has not recorded any allergy."
            )

    def problems(self) -> None:
        self.heading("Health problems")
        rows = records.problems(self.patient)
        for problem in rows:
            since = f", since {problem.onset}" if problem.onset else ""
            resolved = " (resolved)" if problem.status == ClinicalStatus.RESOLVED else ""
            self.line(f"{problem.description}{since}{resolved}")
        if not rows:
            self.line("None recorded.")

    def visits(self) -> None:
        self.heading("Visits")
        shown = records.as_visits(records.visits(self.patient)[:VISITS_SHOWN])
        for visit in shown:
            self.line(f"{with_bs(visit.when, self.clinic)} · {visit.doctor}", 10, "B")
            for diagnosis in visit.diagnoses:
                self.line(f"    {diagnosis}", 9)
        if not shown:
            self.line("No visits yet.")

    def medicines(self) -> None:
        self.heading("Medicines being taken")
        items = records.active_medicines(self.patient)
        for item in items:
            name = " ".join(v for v in (item.medicine_name, item.strength, item.form) if v)
            self.line(f"{name}: {item.in_words}")
        if not items:
            self.line("None prescribed now.")

    def lab(self) -> None:
        self.heading("Latest lab results (verified)")
        rows = lab_chart.latest_values(self.patient)
        for result in rows:
            parameter = result.parameter
            unit = f" {parameter.unit_label}" if parameter.unit_label else ""
            flag = f" [{result.get_flag_display()}]" if result.flag else ""
            taken = with_bs(result.collected_at, self.clinic)
            self.line(f"{parameter.name}: {result.display}{unit}{flag} · {taken}")
        if not rows:
            self.line("No verified results yet.")


def summary_pdf(actor: Actor, patient: Patient) -> bytes:
    return Summary(actor, patient).write()
