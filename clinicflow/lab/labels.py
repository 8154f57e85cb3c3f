"""A sample's label: its accession number as a Code 128 barcode (what the lab's scanners read)
and what the collector and the bench must see on the tube: the patient, their MRN, age and
sex, the tests, the sample type and container, and when the sample was taken, on the clinic's
clock. The time printed is the collection time the collector entered, never the time the
label came out of the printer.

python-barcode draws the barcode as SVG; the page carries it as an image (a ``data:`` URL), so
the Content-Security-Policy, which refuses inline styles, cannot blank its bars."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date

from barcode import Code128
from barcode.writer import SVGWriter
from django.utils import timezone

from clinicflow.lab.models import Sample, Urgency
from clinicflow.patients.models import Patient, Sex
from clinicflow.patients.templatetags.patient_tags import age

#: Sized for a 203 dpi label printer (8 dots a millimetre): a bar is two dots wide, and the
#: quiet zone either side is the ten modules Code 128 asks for.
BARCODE_OPTIONS = {
    "module_width": 0.25,
    "module_height": 7.0,
    "quiet_zone": 2.5,
    "margin_top": 0.0,
    "margin_bottom": 0.0,
    "write_text": False,  # the page prints the number itself, in its own font
    "compress": False,
}


def barcode_svg(accession: str) -> str:
    """``accession`` as a Code 128 barcode, an SVG document measured in millimetres."""
    code = Code128(accession, writer=SVGWriter())
    return code.render(dict(BARCODE_OPTIONS)).decode()


def barcode_data_url(accession: str) -> str:
    encoded = base64.b64encode(barcode_svg(accession).encode()).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


@dataclass(frozen=True)
class Label:
    """What one sample's label says."""

    accession: str
    barcode: str  # a data: URL of the SVG
    patient_name: str
    mrn: str
    age_sex: str
    tests: str
    sample: str
    collected: str  # when taken, on the clinic's clock: "07 Dec 2026 09:40"
    urgency: str


#: The sex as a label prints it (an unknown sex is left out).
SEX_LETTERS: dict[str, str] = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.OTHER: "O"}


def age_and_sex(patient: Patient, on: date) -> str:
    """ "34 y / F": the age on ``on`` and the sex's initial ("—" for an unknown age)."""
    return " / ".join(v for v in (age(patient, on), SEX_LETTERS.get(patient.sex, "")) if v)


def label_of(sample: Sample) -> Label:
    """The label of ``sample`` (its order, patient and tests read with it)."""
    order, clinic = sample.order, sample.clinic
    patient = order.patient
    taken = timezone.localtime(sample.collected_at, clinic.zone)
    what = sample.get_sample_type_display()
    return Label(
        accession=sample.accession,
        barcode=barcode_data_url(sample.accession),
        patient_name=patient.full_name,
        mrn=patient.mrn,
        age_sex=age_and_sex(patient, taken.date()),
        tests=", ".join(t.test.code for t in sample.tests.all()),
        sample=f"{what} · {sample.container}" if sample.container else what,
        collected=f"{taken:%d %b %Y %H:%M}",
        urgency="" if order.urgency == Urgency.ROUTINE else order.get_urgency_display(),
    )
