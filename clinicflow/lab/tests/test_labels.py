"""A sample's label: the barcode a scanner reads back as the accession number, the patient and
the tests, and the time the sample was taken (never the time the label was printed)."""

from __future__ import annotations

import base64
import io
import re
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
import zxingcpp
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from clinicflow.accounts.actors import actor_for
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.lab import labels, orders, samples
from clinicflow.lab.models import Sample
from tests.factories import member

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
PIXELS_PER_MM = 12  # a 0.25 mm bar is three pixels: finer than the printer's dots


@pytest.fixture
def order(doctor, patient, encounter, lipid_profile):
    return orders.place(
        actor=actor_for(doctor),
        patient=patient,
        tests=[lipid_profile],
        urgency="urgent",
        clinical_note="Fasting",
        encounter=encounter,
    )


@pytest.fixture
def taken_at():
    """Drawn at the bedside well before the label is printed."""
    return (timezone.now() - timedelta(hours=3, minutes=17)).replace(second=0, microsecond=0)


@pytest.fixture
def sample(nurse, order, taken_at):
    (collected,) = samples.collect(actor=actor_for(nurse), order=order, collected_at=taken_at)
    return collected


def mm(value: str) -> float:
    return float(value.removesuffix("mm"))


def rasterise(svg: str) -> Image.Image:
    """Paint the SVG's rectangles as a printer would: what is printed is what is decoded."""
    root = ElementTree.fromstring(svg)
    width, height = mm(root.get("width")), mm(root.get("height"))
    image = Image.new("L", (round(width * PIXELS_PER_MM), round(height * PIXELS_PER_MM)), 255)
    draw = ImageDraw.Draw(image)
    for rect in root.iter(f"{SVG}rect"):
        if "black" not in (rect.get("style") or ""):
            continue  # the white background
        x, y = mm(rect.get("x")), mm(rect.get("y"))
        w, h = mm(rect.get("width")), mm(rect.get("height"))
        box = [round(v * PIXELS_PER_MM) for v in (x, y, x + w, y + h)]
        draw.rectangle([box[0], box[1], box[2] - 1, box[3] - 1], fill=0)
    return image


def decoded(svg: str) -> zxingcpp.Barcode:
    found = zxingcpp.read_barcode(rasterise(svg), formats=zxingcpp.BarcodeFormat.Code128)
    assert found is not None, "no Code 128 barcode found in the label"
    return found


def printed_svg(response) -> str:
    """The SVG behind the label page's barcode image."""
    source = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', response.content.decode())
    assert source is not None
    return base64.b64decode(source.group(1)).decode()


@pytest.mark.parametrize("accession", ["S2612070001", "S2612319999", "LAB-42/7"])
def test_the_barcode_reads_back_as_the_accession_number(accession):
    found = decoded(labels.barcode_svg(accession))
    assert found.format == zxingcpp.BarcodeFormat.Code128
    assert found.text == accession


def test_the_printed_label_scans_as_the_samples_accession(nurse, sign_in, sample):
    page = sign_in(nurse).get(reverse("lab:sample_label", args=[sample.pk]))
    assert page.status_code == 200
    assert decoded(printed_svg(page)).text == sample.accession


def test_the_label_says_who_what_and_which_tube(nurse, sign_in, sample, patient, clinic):
    page = sign_in(nurse).get(reverse("lab:sample_label", args=[sample.pk]))
    html = page.content.decode()
    label = page.context["label"]
    assert patient.full_name in html
    assert patient.mrn in html
    assert label.age_sex.endswith("F")  # the default patient is a woman
    assert "LIPID" in label.tests
    assert "Serum" in label.sample
    assert label.accession == sample.accession
    assert "STAT" not in html
    assert "Urgent" in html
    sheet = Path(settings.BASE_DIR, "static", "css", "lab-label.css").read_text()
    assert "size: 50mm 25mm" in sheet


def test_the_label_shows_when_the_sample_was_taken_not_when_it_was_printed(
    nurse, sign_in, sample, taken_at, clinic
):
    page = sign_in(nurse).get(reverse("lab:sample_label", args=[sample.pk]))
    local = timezone.localtime(taken_at, clinic.zone)
    assert page.context["label"].collected == f"{local:%d %b %Y %H:%M}"
    assert f"{local:%d %b %Y %H:%M}" in page.content.decode()
    printed = timezone.localtime(timezone.now(), clinic.zone)
    assert f"{printed:%H:%M}" not in page.content.decode()
    stored = Sample.objects.get(pk=sample.pk)
    assert stored.collected_at == taken_at
    assert stored.label_printed_at is not None
    assert stored.label_printed_at > taken_at


def test_printing_again_keeps_the_first_printing_time(nurse, sign_in, sample):
    client = sign_in(nurse)
    client.get(reverse("lab:sample_label", args=[sample.pk]))
    first = Sample.objects.get(pk=sample.pk).label_printed_at
    client.get(reverse("lab:sample_label", args=[sample.pk]))
    assert Sample.objects.get(pk=sample.pk).label_printed_at == first


def test_opening_the_label_is_audited(lab_technician, sign_in, sample):
    sign_in(lab_technician).get(reverse("lab:sample_label", args=[sample.pk]))
    event = AuditEvent.objects.get(
        action=AuditAction.VIEW, object_type="lab.sample", object_id=str(sample.pk)
    )
    assert event.changes["part"] == "sample label"


@pytest.mark.parametrize("role", [Role.DOCTOR, Role.CASHIER, Role.RECEPTIONIST])
def test_only_collectors_print_labels(role, clinic, sign_in, sample):
    person = member(role, clinic, username=f"label_{role.value}")
    response = sign_in(person).get(reverse("lab:sample_label", args=[sample.pk]))
    assert response.status_code == 403
    assert Sample.objects.get(pk=sample.pk).label_printed_at is None


def test_another_clinics_nurse_does_not_find_the_sample(other_clinic, sign_in, sample):
    stranger = member(Role.NURSE, other_clinic, username="other_nurse")
    response = sign_in(stranger).get(reverse("lab:sample_label", args=[sample.pk]))
    assert response.status_code == 404
    assert Sample.objects.get(pk=sample.pk).label_printed_at is None


def test_the_barcode_image_is_an_svg_in_millimetres():
    svg = labels.barcode_svg("S2612070001")
    root = ElementTree.parse(io.StringIO(svg)).getroot()
    assert root.get("width").endswith("mm")
    assert mm(root.get("width")) <= 47  # fits the 50 mm label with its margins
