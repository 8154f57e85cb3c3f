"""The printed prescription as a PDF: clinic header, doctor with registration number, patient
with MRN and age, date, the items in words, a signature line and a QR code that opens the same
prescription in ClinicFlow (staff sign-in) for verification."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import segno
from django.utils import timezone
from fpdf import FPDF

from clinicflow.clinical.models import ItemStatus, Prescription

#: A Unicode font when the system has one (names in any script); else the PDF core font.
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _font(pdf: FPDF) -> tuple[str, bool]:
    regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        pdf.add_font("body", "", str(regular))
        pdf.add_font("body", "B", str(bold))
        return "body", True
    return "helvetica", False


def _age(patient: Any) -> str:
    born = patient.birth_date
    if born is None:
        return ""
    today = timezone.localdate()
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return f"{years} y"


def prescription_pdf(prescription: Prescription, verify_url: str) -> bytes:
    pdf = FPDF(format="A5")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    family, unicode_ok = _font(pdf)

    def text(value: Any) -> str:
        value = str(value)
        return value if unicode_ok else value.encode("latin-1", "replace").decode("latin-1")

    def line(value: Any, size: int = 10, style: str = "", height: float = 5.5) -> None:
        pdf.set_font(family, style, size)
        pdf.multi_cell(0, height, text(value), new_x="LMARGIN", new_y="NEXT")

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
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=3, border=1)
    qr.seek(0)
    pdf.image(qr, x=pdf.w - pdf.r_margin - 28, y=pdf.t_margin, w=28)
    return bytes(pdf.output())
