"""The catalogue's pages: the tests, one test with readable ranges, its price and active
flag, the import with its report, the streamed export, and the lab's settings. Who may look
and who may change, and lists in a bounded number of queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.lab.demo import load_demo_lab_catalogue
from clinicflow.lab.models import LabSection, LabSettings, LabTest
from clinicflow.lab.tests.test_catalogue_import import csv_of
from tests.factories import member

pytestmark = pytest.mark.django_db

LIST = reverse("lab:catalogue")


@pytest.fixture
def demo_lab(manager, clinic):
    load_demo_lab_catalogue(manager=manager, clinic=clinic)
    return clinic


def page_of(code: str) -> str:
    return reverse("lab:catalogue_test", args=[LabTest.objects.get(code=code).pk])


def test_the_list_shows_tests_with_section_price_and_panel_badge(demo_lab, doctor, sign_in):
    response = sign_in(doctor).get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Renal function test" in page
    assert "UREA, CREA, NA, K" in page
    assert page.count('data-testid="panel-badge"') >= 2  # ELEC on the first page, RFT too
    assert "Import CSV" not in page  # a doctor looks, never changes


def test_the_list_searches_and_filters_by_section(demo_lab, lab_technician, sign_in):
    client = sign_in(lab_technician)
    found = client.get(LIST, {"q": "thyroid"}).content.decode()
    assert "Thyroid profile" in found
    assert "Serum creatinine" not in found
    serology = LabSection.objects.get(name="Serology")
    page = client.get(LIST, {"section": serology.pk}, HTTP_HX_REQUEST="true")
    fragment = page.content.decode()
    assert "<html" not in fragment  # only the results, for HTMX
    assert "Dengue NS1 antigen" in fragment
    assert "Lipid profile" not in fragment


def test_the_list_costs_the_same_few_queries_for_forty_tests(
    demo_lab, manager, sign_in, django_assert_max_num_queries
):
    client = sign_in(manager)
    client.get(LIST)  # warm the session and actor caches
    with django_assert_max_num_queries(12):
        response = client.get(LIST, {"q": "a"})
    assert response.status_code == 200


def test_one_test_reads_its_ranges_by_sex_and_age_band(demo_lab, nurse, sign_in):
    page = sign_in(nurse).get(page_of("CBC")).content.decode()
    assert "Haemoglobin" in page
    assert "g/dL" in page
    for text in ("0–28 days", "18 years and over", "1–12 years", "Male", "Female", "13–17"):
        assert text in page, text
    assert "critical &lt; 7" in page
    urine = sign_in(nurse).get(page_of("URINE")).content.decode()
    assert "Nil / Trace / + / ++ / +++ / ++++" in urine
    panel = sign_in(nurse).get(page_of("RFT")).content.decode()
    assert "Blood urea" in panel
    assert "eGFR (CKD-EPI 2021)" in panel


def test_the_lab_manager_changes_a_price_and_retires_a_test(demo_lab, lab_technician, sign_in):
    client = sign_in(lab_technician)
    esr = LabTest.objects.get(code="ESR")
    url = reverse("lab:catalogue_change", args=[esr.pk])
    response = client.post(url, {"price": "175.00"})  # is_active unticked: retired
    assert response.status_code == 302
    esr.refresh_from_db()
    assert (esr.price, esr.is_active) == (Decimal("175.00"), False)
    client.post(url, {"price": "-5", "is_active": "on"})
    esr.refresh_from_db()
    assert (esr.price, esr.is_active) == (Decimal("175.00"), False)


def test_a_doctor_may_look_but_not_change(demo_lab, doctor, sign_in):
    client = sign_in(doctor)
    esr = LabTest.objects.get(code="ESR")
    page = client.get(page_of("ESR")).content.decode()
    assert 'data-testid="lab-test-change"' not in page
    assert (
        client.post(reverse("lab:catalogue_change", args=[esr.pk]), {"price": "1"}).status_code
        == 403
    )
    assert client.get(reverse("lab:catalogue_import")).status_code == 403
    assert client.get(reverse("lab:settings")).status_code == 403
    esr.refresh_from_db()
    assert esr.price == Decimal("150.00")


def test_a_pharmacist_may_not_open_the_lab_catalogue(demo_lab, pharmacist, sign_in):
    client = sign_in(pharmacist)
    assert client.get(LIST).status_code == 403
    assert client.get(page_of("CBC")).status_code == 403
    assert client.get(reverse("lab:catalogue_export")).status_code == 403


def test_another_clinics_test_is_not_found(demo_lab, other_clinic, sign_in):
    client = sign_in(member(Role.LAB_TECHNICIAN, other_clinic, username="their_labtech"))
    assert client.get(page_of("CBC")).status_code == 404
    pk = LabTest.objects.get(code="CBC").pk
    response = client.post(reverse("lab:catalogue_change", args=[pk]), {"price": "1"})
    assert response.status_code == 404
    assert "Complete blood count" not in client.get(LIST).content.decode()


def test_the_export_streams_the_catalogue_and_is_audited(demo_lab, doctor, sign_in):
    response = sign_in(doctor).get(reverse("lab:catalogue_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert body.startswith("test_code,test_name,test_loinc,section")
    assert "RFT,Renal function test" in body
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="lab.labtest").exists()


def upload(content: bytes) -> dict[str, object]:
    return {"file": SimpleUploadedFile("lab.csv", content, content_type="text/csv")}


def test_an_import_with_errors_shows_the_report_and_saves_nothing(lab_technician, clinic, sign_in):
    LabSection.objects.create(clinic=clinic, name="Biochemistry")
    test = {"section": "Biochemistry", "sample_type": "serum"}
    body = csv_of(
        {**test, "test_code": "UREA", "test_name": "Blood urea", "parameter_code": "urea",
         "parameter_name": "Urea", "low": "45", "high": "15"},
        {**test, "test_code": "NA", "test_name": "Sodium", "section": "Chemistry",
         "parameter_code": "sodium", "parameter_name": "Sodium", "low": "135", "high": "145"},
    )  # fmt: skip
    response = sign_in(lab_technician).post(reverse("lab:catalogue_import"), upload(body))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-report"' in page
    assert "<td>2</td><td><code>high</code></td>" in page
    assert "<td>3</td><td><code>section</code></td>" in page
    assert not LabTest.objects.exists()


def test_an_import_of_a_good_file_saves_and_says_how_many(demo_lab, manager, sign_in):
    client = sign_in(manager)
    exported = b"".join(client.get(reverse("lab:catalogue_export")).streaming_content)
    cheaper = exported.replace(b"(black top),90,150.00", b"(black top),90,120.00")
    response = client.post(reverse("lab:catalogue_import"), upload(cheaper), follow=True)
    assert "0 added, 1 updated, 39 unchanged" in response.content.decode()
    assert LabTest.objects.get(code="ESR").price == Decimal("120.00")


def test_a_file_that_is_not_csv_is_refused_at_the_field(manager, sign_in):
    response = sign_in(manager).post(reverse("lab:catalogue_import"), upload(b"\x89PNG\r\n"))
    assert response.status_code == 200
    assert "UTF-8" in response.content.decode()


def test_the_lab_settings_are_saved_and_sections_added(lab_technician, clinic, sign_in):
    client = sign_in(lab_technician)
    assert client.get(reverse("lab:settings")).status_code == 200
    response = client.post(
        reverse("lab:settings"), {"alert_on_entry": "on", "escalate_after_minutes": "30"}
    )
    assert response.status_code == 302
    saved = LabSettings.objects.get(clinic=clinic)
    assert (saved.alert_on_entry, saved.escalate_after_minutes) == (True, 30)
    refused = client.post(reverse("lab:settings"), {"escalate_after_minutes": "0"})
    assert refused.status_code == 200
    assert LabSettings.objects.get(clinic=clinic).escalate_after_minutes == 30
    client.post(reverse("lab:settings_section_add"), {"name": "  Serology "})
    again = client.post(reverse("lab:settings_section_add"), {"name": "serology"}, follow=True)
    assert "already has a section" in again.content.decode()
    assert list(LabSection.objects.values_list("name", flat=True)) == ["Serology"]
