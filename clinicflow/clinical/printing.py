"""The printed prescription as a PDF: clinic header, doctor with registration number, patient
with MRN and age, date, the items in words, a signature line and a QR code that opens the same
prescription in ClinicFlow (staff sign-in) for verification."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from clinicflow.clinical.models import ItemStatus, Prescription
from clinicflow.core.pdf import Document


def _age(patient: Any) -> str:
    born = patient.birth_date
    if born is None:
        return ""
    today = timezone.localdate()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return f"{years} y"


def prescription_pdf(prescription: Prescription, verify_url: str) -> bytes:
    pdf = Document(format="A5")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    line = pdf.paragraph

    clinic = prescription.clinic
    doctor = prescription.prescriber
    patient = prescription.patient
    line(clinic.name, 14, "B", 7)
    line(" · ".join(v for v in (clinic.address.replace("\n", ", "), clinic.phone) if v), 8)
    pdf.ln(2)
    registration = f" · Reg. no. {doctor.registration_number}" if doctor.registration_number else ""
    line(f"{doctor}{registration}", 10, "B")
    pdf.ln(1)
    issued = timezone.localtime(prescription.issued_at) if prescription.issued_at else None
    details = [patient.full_name, patient.mrn, _age(patient), patient.get_sex_display()]
    line("Patient: " + " · ".join(v for v in details if v), 10)
    line(f"Date: {issued:%d %B %Y}" if issued else "Date: (not issued)", 10)
    pdf.ln(2)
    line("Rx", 14, "B", 7)
    active = prescription.items.filter(status=ItemStatus.ACTIVE)
    for number, item in enumerate(active, start=1):
        name = " ".join(v for v in (item.medicine_name, item.strength, item.form) if v)
        line(f"{number}. {name}", 10, "B")
        line(f"    {item.in_words} — quantity {item.quantity.normalize():f}", 9)
    pdf.ln(10)
    line("_______________________________", 10)
    line(f"Signature: {doctor}", 9)
    pdf.qr(verify_url, x=pdf.w - pdf.r_margin - 28, y=pdf.t_margin, size=28)
    return bytes(pdf.output())
