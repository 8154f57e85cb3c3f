"""The record in the portal: each page for the account's own record and for a child it looks
after, in plain words; verified lab results only; every read audited; documents added through
the same safe upload as the desk's; and who read the chart."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.patients.models import PatientDocument
from clinicflow.portal.tests.records_day import (
    GLUCOSE,
    UNVERIFIED_NAME,
    UNVERIFIED_VALUE,
    png,
)

pytestmark = pytest.mark.django_db

ASTHMA_TITLE = "Predominantly allergic asthma"

#: Every page of the record, as (url name, args) for a record day.
PAGES = [
    ("portal:records", lambda day: []),
    ("portal:records_visits", lambda day: []),
    ("portal:records_prescriptions", lambda day: []),
    ("portal:records_lab", lambda day: []),
    ("portal:records_lab_report", lambda day: [day.order.pk]),
    ("portal:records_lab_trend", lambda day: ["GLU"]),
    ("portal:records_vitals", lambda day: []),
    ("portal:records_health", lambda day: []),
    ("portal:records_appointments", lambda day: []),
    ("portal:records_documents", lambda day: []),
    ("portal:records_chart_reads", lambda day: []),
]


def text_of(response) -> str:
    return response.content.decode()


def pdf_text(response) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def reads_of(patient, part):
    return AuditEvent.objects.for_clinic(patient.clinic).filter(
        action=AuditAction.VIEW, changes__part=part, changes__via="portal"
    )


def shown(client, member):
    """Show ``member`` in the portal from now on."""
    client.post(reverse("portal:select", args=[member.pk]))
    return client


# ---------------------------------------------------------------- every page, self and child


@pytest.mark.parametrize(("name", "args"), PAGES, ids=[p[0] for p in PAGES])
def test_each_record_page_opens_for_the_own_record(family, priya_day, sign_in, name, args):
    page = sign_in(family).get(reverse(name, args=args(priya_day)))
    assert page.status_code == 200
    assert priya_day.patient.mrn in text_of(page)


@pytest.mark.parametrize(("name", "args"), PAGES, ids=[p[0] for p in PAGES])
def test_each_record_page_opens_for_a_child_the_account_looks_after(
    family, priya_day, anjali_day, sign_in, name, args
):
    client = shown(sign_in(family), anjali_day.patient)
    page = client.get(reverse(name, args=args(anjali_day)))
    assert page.status_code == 200
    assert anjali_day.patient.mrn in text_of(page)
    assert priya_day.patient.mrn not in text_of(page)


def test_visits_say_the_diagnosis_in_words(family, priya_day, sign_in):
    page = sign_in(family).get(reverse("portal:records_visits"))
    assert ASTHMA_TITLE in text_of(page)
    assert page.context["visits"][0].diagnoses == [ASTHMA_TITLE]


def test_prescriptions_list_the_medicine_and_its_pdf(family, priya_day, sign_in):
    client = sign_in(family)
    page = client.get(reverse("portal:records_prescriptions"))
    assert "Salbutamol" in text_of(page)
    pdf = client.get(reverse("portal:records_prescription_pdf", args=[priya_day.prescription.pk]))
    assert "Salbutamol" in pdf_text(pdf)
    assert priya_day.patient.mrn in pdf_text(pdf)


def test_the_lab_shows_verified_results_with_flags_and_never_an_unverified_one(
    family, priya_day, sign_in
):
    client = sign_in(family)
    for address in (
        reverse("portal:records_lab"),
        reverse("portal:records_lab_report", args=[priya_day.order.pk]),
    ):
        text = text_of(client.get(address))
        assert "Fasting glucose" in text
        assert GLUCOSE in text
        assert 'data-flag="H"' in text  # 182 is above the range's 100
        assert UNVERIFIED_NAME not in text
        assert UNVERIFIED_VALUE not in text
    report = pdf_text(client.get(reverse("portal:records_lab_pdf", args=[priya_day.order.pk])))
    assert "Fasting glucose" in report
    assert UNVERIFIED_VALUE not in report


def test_a_value_not_yet_verified_has_no_trend(family, priya_day, sign_in):
    client = sign_in(family)
    assert client.get(reverse("portal:records_lab_trend", args=["HB"])).status_code == 404
    trend = client.get(reverse("portal:records_lab_trend", args=["GLU"]))
    assert trend.context["points"][0]["value"] == GLUCOSE
    assert 'id="lab-trend"' in text_of(trend)
    assert "vendor/chartjs/chart.umd.js" in text_of(trend)


def test_an_order_with_nothing_verified_is_not_a_report(family, priya_day, lab_technician, sign_in):
    from clinicflow.lab.models import OrderedTest, TestStatus

    OrderedTest.objects.for_clinic(priya_day.patient.clinic).filter(order=priya_day.order).update(
        status=TestStatus.RESULTED
    )
    client = sign_in(family)
    for name in ("portal:records_lab_report", "portal:records_lab_pdf"):
        assert client.get(reverse(name, args=[priya_day.order.pk])).status_code == 404
    assert priya_day.order.number not in text_of(client.get(reverse("portal:records_lab")))


def test_vitals_allergies_problems_and_appointments_read_plainly(family, priya_day, sign_in):
    client = sign_in(family)
    assert "38.4" in text_of(client.get(reverse("portal:records_vitals")))
    health = text_of(client.get(reverse("portal:records_health")))
    assert "Penicillin" in health
    assert "Asthma since childhood" in health
    coming = client.get(reverse("portal:records_appointments")).context["coming"]
    assert [a.patient_id for a in coming] == [priya_day.patient.pk]


def test_a_document_downloads(family, priya_day, sign_in):
    client = sign_in(family)
    page = client.get(reverse("portal:records_documents"))
    assert priya_day.document.title in text_of(page)
    got = client.get(reverse("portal:records_document", args=[priya_day.document.pk]))
    assert got.status_code == 200
    assert b"".join(got.streaming_content) == priya_day.document.file.open("rb").read()
    assert "sandbox" in got["Content-Security-Policy"]


def test_the_summary_pdf_holds_the_record_without_staff_notes(family, priya_day, sign_in):
    from clinicflow.patients.models import Patient

    Patient.objects.for_clinic(priya_day.patient.clinic).filter(pk=priya_day.patient.pk).update(
        notes="Staff only: query safeguarding"
    )
    text = pdf_text(sign_in(family).get(reverse("portal:records_summary")))
    for expected in (
        priya_day.patient.full_name,
        priya_day.patient.mrn,
        "Penicillin",
        "Asthma since childhood",
        ASTHMA_TITLE,
        "Salbutamol",
        "Fasting glucose",
        GLUCOSE,
    ):
        assert expected in text, expected
    assert UNVERIFIED_NAME not in text
    assert "safeguarding" not in text


# ---------------------------------------------------------------- audit


@pytest.mark.parametrize(
    ("name", "args", "part"),
    [
        ("portal:records_visits", lambda day: [], "visits"),
        ("portal:records_prescriptions", lambda day: [], "prescriptions"),
        ("portal:records_prescription_pdf", lambda day: [day.prescription.pk], "prescription"),
        ("portal:records_lab", lambda day: [], "lab reports"),
        ("portal:records_lab_report", lambda day: [day.order.pk], "lab report"),
        ("portal:records_lab_pdf", lambda day: [day.order.pk], "lab report"),
        ("portal:records_lab_trend", lambda day: ["GLU"], "lab trend"),
        ("portal:records_vitals", lambda day: [], "vitals"),
        ("portal:records_health", lambda day: [], "allergies and problems"),
        ("portal:records_appointments", lambda day: [], "appointments"),
        ("portal:records_documents", lambda day: [], "documents"),
        ("portal:records_document", lambda day: [day.document.pk], "document"),
        ("portal:records_summary", lambda day: [], "summary"),
    ],
)
def test_each_read_of_the_record_is_an_audited_event(family, anjali_day, sign_in, name, args, part):
    client = shown(sign_in(family), anjali_day.patient)
    before = reads_of(anjali_day.patient, part).count()
    response = client.get(reverse(name, args=args(anjali_day)))
    assert response.status_code == 200
    events = list(reads_of(anjali_day.patient, part).order_by("pk")[before:])
    assert len(events) == 1
    event = events[0]
    assert event.actor == family
    named = event.object_id if event.object_type == "patients.patient" else event.changes["patient"]
    assert named == str(anjali_day.patient.pk)


# ---------------------------------------------------------------- documents added


def test_a_document_is_added_to_the_record_shown(family, priya_day, anjali, sign_in):
    client = shown(sign_in(family), anjali)
    form = client.get(reverse("portal:records_documents"))
    assert f'name="patient" value="{anjali.pk}"' in text_of(form)
    sent = client.post(
        reverse("portal:records_document_add"),
        {
            "file": _upload("scan.png", png()),
            "category": "lab_report",
            "title": "Outside X-ray",
            "patient": str(anjali.pk),
        },
    )
    assert sent.status_code == 302
    added = PatientDocument.objects.for_clinic(anjali.clinic).get(title="Outside X-ray")
    assert added.patient == anjali
    assert added.uploaded_by == family


def test_an_upload_from_a_stale_tab_lands_on_the_member_it_was_sent_for(
    family, priya, anjali, sign_in
):
    """The form was opened for Anjali; another tab has since switched to Priya. The document
    goes where the person meant it (the form's record), and they are told whose it is."""
    client = shown(sign_in(family), priya)
    sent = client.post(
        reverse("portal:records_document_add"),
        {
            "file": _upload("scan.png", png()),
            "category": "other",
            "title": "Anjali's referral",
            "patient": str(anjali.pk),
        },
        follow=True,
    )
    added = PatientDocument.objects.for_clinic(anjali.clinic).get(title="Anjali's referral")
    assert added.patient == anjali
    told = [str(m) for m in sent.context["messages"]]
    assert f"The document was added to the record of {anjali.full_name}." in told
    assert not PatientDocument.objects.for_clinic(priya.clinic).filter(patient=priya).exists()


def test_a_file_that_is_not_a_document_is_refused_and_nothing_is_kept(
    family, priya_day, sign_in, settings
):
    import pathlib

    client = sign_in(family)
    before = PatientDocument.objects.for_clinic(priya_day.patient.clinic).count()
    stored_before = sorted(pathlib.Path(settings.MEDIA_ROOT).rglob("*"))
    refused = client.post(
        reverse("portal:records_document_add"),
        {
            "file": _upload("notes.pdf", b"#!/bin/sh\necho not a pdf\n"),
            "category": "other",
            "title": "Not really",
            "patient": str(priya_day.patient.pk),
        },
    )
    assert refused.status_code == 400
    errors = refused.context["form"].errors
    assert errors.get("file"), errors
    assert str(errors["file"][0]) in text_of(refused)
    assert PatientDocument.objects.for_clinic(priya_day.patient.clinic).count() == before
    assert sorted(pathlib.Path(settings.MEDIA_ROOT).rglob("*")) == stored_before


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# ---------------------------------------------------------------- who read the chart


def test_who_viewed_shows_staff_reads_of_this_record_only_newest_first(
    family, priya_day, stranger_day, doctor, receptionist, sign_in
):
    sign_in(receptionist).get(reverse("patients:chart", args=[priya_day.patient.pk]))
    sign_in(doctor).get(reverse("patients:chart", args=[stranger_day.patient.pk]))
    sign_in(doctor).get(reverse("clinical:prescription", args=[priya_day.prescription.pk]))
    page = sign_in(family).get(reverse("portal:records_chart_reads"))
    reads = page.context["reads"]
    assert reads, "the staff's reads are listed"
    assert reads[0].what == "a prescription"
    assert doctor.get_full_name() in text_of(page)
    assert "Doctor" in reads[0].roles
    assert any(r.who == receptionist.get_full_name() and r.what == "your chart" for r in reads)
    # The stranger's chart read by the doctor is not among them, nor the account's own reads.
    assert [r.when for r in reads] == sorted((r.when for r in reads), reverse=True)
    assert not any(r.who == family.get_full_name() for r in reads)
    text = text_of(page)
    assert stranger_day.patient.full_name not in text
    assert "127.0.0.1" not in text  # never the event's address


def test_a_search_that_showed_the_record_among_others_is_listed_as_such(
    family, priya, stranger, receptionist, sign_in
):
    shown = sign_in(receptionist).get(reverse("patients:search"), {"q": priya.family_name})
    assert priya in shown.context["results"]
    reads = sign_in(family).get(reverse("portal:records_chart_reads")).context["reads"]
    assert [(r.who, r.what) for r in reads] == [
        (receptionist.get_full_name(), "your name in a search")
    ]


def test_the_stranger_does_not_see_reads_of_the_familys_records(
    family, priya_day, other_family, stranger_day, receptionist, sign_in
):
    sign_in(receptionist).get(reverse("patients:chart", args=[priya_day.patient.pk]))
    page = sign_in(other_family).get(reverse("portal:records_chart_reads"))
    assert priya_day.patient.full_name not in text_of(page)
    counted = page.context["page"].paginator.count
    sign_in(receptionist).get(reverse("patients:chart", args=[priya_day.patient.pk]))
    again = sign_in(other_family).get(reverse("portal:records_chart_reads"))
    assert again.context["page"].paginator.count == counted


def test_who_viewed_finds_the_reads_that_name_the_member_and_no_others(
    family, priya, stranger, receptionist, sign_in
):
    """Reads are found by the keys the trail names patients with (indexed on PostgreSQL): a
    row read naming the member, a page of rows naming them among others; never a read
    naming someone else, even one whose search typed the member's id."""
    from clinicflow.core.audit.recorder import record

    def read(object_id, **changes):
        record(
            AuditAction.VIEW,
            object_type="pharmacy.dispense",
            object_id=object_id,
            changes=changes,
            clinic_id=priya.clinic.pk,
            actor=receptionist,
        )

    read("1", part="dispense", patient=str(priya.pk))
    read("2", part="search", patients=sorted([str(priya.pk), str(stranger.pk)]))
    read("3", part="dispense", patient=str(stranger.pk))
    read("4", part="search", patients=[str(stranger.pk)], filters={"q": str(priya.pk)})
    page = sign_in(family).get(reverse("portal:records_chart_reads"))
    assert page.context["page"].paginator.count == 2
    assert {r.who for r in page.context["reads"]} == {receptionist.get_full_name()}


def test_who_viewed_is_paged(family, priya, receptionist, sign_in):
    reception = sign_in(receptionist)
    for _ in range(23):
        reception.get(reverse("patients:chart", args=[priya.pk]))
    client = sign_in(family)
    first = client.get(reverse("portal:records_chart_reads"))
    assert len(first.context["reads"]) == 20
    second = client.get(reverse("portal:records_chart_reads"), {"page": 2})
    assert len(second.context["reads"]) == 3
    assert client.get(reverse("portal:records_chart_reads"), {"page": "x"}).status_code == 200


# ---------------------------------------------------------------- no record, no member


def test_an_account_without_a_record_is_told_how_to_link_one(patient, sign_in):
    page = sign_in(patient).get(reverse("portal:records"))
    assert page.status_code == 200
    assert b'data-testid="no-member"' in page.content


# ---------------------------------------------------------------- bounded queries


#: The tables of what the pages show. The session's, the sign-in's and the access cache's
#: queries come and go with their caches and the clock (a session's activity is renewed now
#: and then): the record's own queries are what must not grow with the rows.
RECORD_TABLES = ("clinical_", "lab_", "billing_", "frontdesk_", "patients_", "scheduling_")


def _queries(client, address) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(
        [
            q
            for q in captured.captured_queries
            if any(f'"{table}' in q["sql"] for table in RECORD_TABLES)
            and "django_session" not in q["sql"]
        ]
    )


def test_each_list_page_reads_a_bounded_number_of_queries_whatever_the_history(
    family, priya_day, people, gp, sign_in
):
    from clinicflow.portal.tests.records_day import record_day

    client = sign_in(family)
    addresses = [
        reverse(name)
        for name in (
            "portal:records_visits",
            "portal:records_prescriptions",
            "portal:records_lab",
            "portal:records_vitals",
            "portal:records_health",
            "portal:records_appointments",
            "portal:records_documents",
            "portal:records_chart_reads",
            "portal:bills",
        )
    ]
    for address in addresses:
        client.get(address)  # caches of the session and the access warmed
    before = {address: _queries(client, address) for address in addresses}
    record_day(
        priya_day.patient, people, gp, hour=14, medicine="Cetirizine"
    )  # a second day of everything
    after = {address: _queries(client, address) for address in addresses}
    assert after == before
