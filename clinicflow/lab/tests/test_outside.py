"""Tests done by an outside lab: the report attached to the order (kept as the patient's
document, audited, the tests off the collection list and off the bill), refused to the wrong
people, for another clinic's order, with another patient's document or a bad file (nothing
kept); its values transcribed, flagged by our ranges on the report's sample day, verified by a
second person, and shown as the outside lab's wherever results are read."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from pypdf import PdfReader

from clinicflow.accounts.actors import actor_for
from clinicflow.billing.models import Charge, ChargeStatus
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.lab import chart, orders, outside, results, samples, selectors, worklists
from clinicflow.lab.models import (
    OrderedTest,
    OutsideReport,
    Result,
    ResultStatus,
    TestStatus,
)
from clinicflow.lab.report_pdf import report_pdf
from clinicflow.lab.tests.conftest import values_for
from clinicflow.patients.models import DocumentCategory, PatientDocument
from clinicflow.patients.services import upload_document
from clinicflow.patients.tests.files import pdf_bytes, png_bytes
from tests.factories import member

pytestmark = pytest.mark.django_db

#: Born so that 20 days ago they were a child (creatinine 0.2–0.7) and today a woman
#: (0.5–1.1): which range a value meets says which day it was read on.
AGE_DAYS_TODAY = 6580


@pytest.fixture
def teenager(register, clinic):
    return register(birth_date=clinic.local_date() - timedelta(days=AGE_DAYS_TODAY))


@pytest.fixture
def order(doctor, teenager, creatinine_ranges, creatinine_test):
    return orders.place(actor=actor_for(doctor), patient=teenager, tests=[creatinine_test])


@pytest.fixture
def second_technician(clinic):
    return member(Role.LAB_TECHNICIAN, clinic, username="lab2")


def attach(user, order, **overrides):
    today = order.clinic.local_date()
    data = {
        "lab_name": "Valley Diagnostics",
        "reported_on": today,
        "report_file": outside.ReportFile(pdf_bytes(), "valley.pdf"),
        **overrides,
    }
    return outside.attach(actor=actor_for(user), order=order, **data)


def sample_day(order, days_ago=20):
    return order.clinic.local_date() - timedelta(days=days_ago)


# ---------------------------------------------------------------- attaching


def test_the_lab_attaches_an_outside_report_as_the_patients_document(
    order, lab_technician, teenager
):
    report = attach(lab_technician, order, sampled_on=sample_day(order))

    document = report.document
    assert (document.patient, document.category) == (teenager, DocumentCategory.LAB_REPORT)
    assert document.content_type == "application/pdf"
    assert document.file.storage.exists(document.file.name)
    assert document.document_date == report.reported_on
    assert "Valley Diagnostics" in document.title
    assert (report.order, report.attached_by) == (order, lab_technician)
    ordered = OrderedTest.objects.get(order=order)
    assert (ordered.status, ordered.outside_report) == (TestStatus.OUTSIDE, report)
    created = AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="lab.outsidereport", object_id=str(report.pk)
    )
    assert created.exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.UPDATE, object_type="lab.orderedtest", object_id=str(ordered.pk)
    ).exists()


def test_a_test_done_outside_leaves_the_collection_list_and_the_bill(order, lab_technician):
    ordered = order.tests.get()
    assert list(worklists.orders_to_collect(order.clinic)) == [order]

    attach(lab_technician, order)

    assert not worklists.orders_to_collect(order.clinic).exists()
    assert not worklists.turnaround_breaches(
        order.clinic, now=order.ordered_at + timedelta(days=3)
    ).exists()
    charge = Charge.objects.get(source_kind="lab.order", source_id=str(ordered.pk))
    assert charge.status == ChargeStatus.VOID
    assert "Valley Diagnostics" in charge.void_reason


def test_the_ordering_doctor_attaches_to_their_own_order(order, doctor):
    report = attach(doctor, order, report_file=outside.ReportFile(png_bytes(), "scan.png"))
    assert report.document.content_type == "image/png"


@pytest.mark.parametrize("role", [Role.NURSE, Role.RECEPTIONIST, Role.MANAGER, Role.CASHIER])
def test_other_roles_may_not_attach(order, clinic, role):
    with pytest.raises(DomainError) as refused:
        attach(member(role, clinic, username=f"x-{role}"), order)
    assert refused.value.code == "forbidden"
    assert not OutsideReport.objects.exists()
    assert not PatientDocument.objects.exists()


def test_another_doctor_may_not_attach_to_an_order_they_did_not_place(order, clinic):
    with pytest.raises(DomainError):
        attach(member(Role.DOCTOR, clinic, username="doc2"), order)
    assert not OutsideReport.objects.exists()


def test_another_clinics_lab_may_not_attach(order, other_clinic):
    with pytest.raises(DomainError):
        attach(member(Role.LAB_TECHNICIAN, other_clinic, username="their-lab"), order)
    assert not OutsideReport.objects.exists()
    assert order.tests.get().status == TestStatus.ORDERED


def test_a_document_of_another_patient_is_refused(order, doctor, receptionist, register):
    someone_else = register(given_name="Ram", family_name="Thapa", phone="9801111111")
    theirs = upload_document(
        actor=actor_for(receptionist),
        patient=someone_else,
        content=pdf_bytes(),
        original_name="r.pdf",
        category=DocumentCategory.LAB_REPORT,
        title="Their report",
    )
    with pytest.raises(DomainError) as refused:
        attach(doctor, order, report_file=None, document=theirs)
    assert refused.value.field == "document"
    assert not OutsideReport.objects.exists()


def test_one_of_the_patients_own_documents_can_be_linked(order, doctor, receptionist, teenager):
    kept = upload_document(
        actor=actor_for(receptionist),
        patient=teenager,
        content=pdf_bytes(),
        original_name="r.pdf",
        category=DocumentCategory.LAB_REPORT,
        title="Brought in",
    )
    report = attach(doctor, order, report_file=None, document=kept)
    assert report.document == kept
    assert PatientDocument.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "PDF"),
        (b"", "empty"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_kept(
    order, lab_technician, settings, content, message
):
    with pytest.raises(DomainError) as refused:
        attach(lab_technician, order, report_file=outside.ReportFile(content, "report.pdf"))
    assert refused.value.field == "file"
    assert message in refused.value.message
    assert not OutsideReport.objects.exists()
    assert not PatientDocument.objects.exists()
    assert order.tests.get().status == TestStatus.ORDERED


@pytest.mark.parametrize(
    ("dates", "field"),
    [
        ({"reported_on": None}, "reported_on"),
        ({"reported_on": "tomorrow"}, "reported_on"),
        ({"sampled_on": "tomorrow"}, "sampled_on"),
        ({"sampled_on": "long ago"}, "sampled_on"),
        ({"lab_name": "  "}, "lab_name"),
    ],
)
def test_the_reports_details_are_checked_before_anything_is_kept(
    order, lab_technician, dates, field
):
    today = order.clinic.local_date()
    named = {"tomorrow": today + timedelta(days=1), "long ago": today - timedelta(days=31)}
    data = {key: named.get(value, value) for key, value in dates.items()}
    with pytest.raises(DomainError) as refused:
        attach(lab_technician, order, **data)
    assert refused.value.field == field
    assert not PatientDocument.objects.exists()
    assert not OutsideReport.objects.exists()


def test_a_collected_test_is_not_done_outside(order, nurse, lab_technician):
    samples.collect(actor=actor_for(nurse), order=order, collected_at=order.ordered_at)
    with pytest.raises(Conflict):
        attach(lab_technician, order)
    with pytest.raises(Conflict, match="collected"):
        attach(lab_technician, order, tests=[order.tests.get()])
    assert not PatientDocument.objects.exists()


def test_the_database_refuses_an_outside_status_without_a_report(order):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderedTest.objects.filter(order=order).update(status=TestStatus.OUTSIDE)


# ---------------------------------------------------------------- its values


def transcribe(user, order, value):
    ordered = order.tests.get()
    results.enter(
        actor=actor_for(user),
        ordered_test=ordered,
        values=values_for(ordered.test, CREA=value),
    )
    return OrderedTest.objects.get(pk=ordered.pk)


def test_transcribed_values_are_flagged_by_our_range_on_the_reports_sample_day(
    order, lab_technician
):
    report = attach(lab_technician, order, sampled_on=sample_day(order))
    ordered = transcribe(lab_technician, order, "0.9")

    assert ordered.status == TestStatus.RESULTED
    result = Result.objects.get(ordered_test=ordered)
    # A child's range 20 days ago (0.2–0.7): high; today the woman's (0.5–1.1) would pass it.
    assert result.flag == "H"
    assert Decimal(result.applied_range["high"]) == Decimal("0.7")
    assert result.outside_lab == "Valley Diagnostics"
    assert order.clinic.local_date(result.collected_at) == report.sampled_on
    assert result.collected_at == report.sampled_at(order.clinic.zone)


def test_a_transcription_is_verified_by_a_second_person(
    order, lab_technician, second_technician, teenager
):
    attach(lab_technician, order, sampled_on=sample_day(order))
    ordered = transcribe(lab_technician, order, "0.9")

    with pytest.raises(DomainError) as refused:
        results.verify(actor=actor_for(lab_technician), ordered_test=ordered)
    assert refused.value.code == "same_person"
    # The database holds the rule for the test as for its results.
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderedTest.objects.filter(pk=ordered.pk).update(
            status=TestStatus.VERIFIED, verified_by=lab_technician
        )

    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    ordered.refresh_from_db()
    assert (ordered.status, ordered.verified_by) == (TestStatus.VERIFIED, second_technician)
    (latest,) = chart.latest_values(teenager)
    assert (latest.outside_lab, latest.status) == ("Valley Diagnostics", ResultStatus.VERIFIED)
    (trended,) = selectors.trend(teenager.pk, [latest.parameter_id])
    assert trended.outside_lab == "Valley Diagnostics"


def test_an_amendment_of_an_outside_value_stays_the_outside_labs(
    order, lab_technician, second_technician
):
    attach(lab_technician, order, sampled_on=sample_day(order))
    ordered = transcribe(lab_technician, order, "0.9")
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    original = Result.objects.get(ordered_test=ordered)
    correction = results.amend(
        actor=actor_for(lab_technician), result=original, value="0.6", reason="Misread"
    )
    assert (correction.outside_lab, correction.flag) == ("Valley Diagnostics", "")


def test_a_bad_transcribed_value_is_refused_and_the_test_stays_done_outside(order, lab_technician):
    attach(lab_technician, order)
    with pytest.raises(DomainError):
        transcribe(lab_technician, order, "lots")
    assert not Result.objects.exists()
    assert order.tests.get().status == TestStatus.OUTSIDE


# ---------------------------------------------------------------- pages


def form_data(order, **overrides):
    today = order.clinic.local_date()
    return {
        "file": SimpleUploadedFile("valley.pdf", pdf_bytes(), content_type="application/pdf"),
        "lab_name": "Valley Diagnostics",
        "reported_on": today.isoformat(),
        "sampled_on": sample_day(order).isoformat(),
        "tests": [str(t.pk) for t in order.tests.all()],
        **overrides,
    }


def test_the_order_page_attaches_a_report_then_takes_its_values(
    order, lab_technician, second_technician, teenager, sign_in
):
    client = sign_in(lab_technician)
    page = client.get(reverse("lab:order", args=[order.pk]))
    assert b'data-testid="attach-outside-form"' in page.content

    answer = client.post(reverse("lab:attach_outside", args=[order.pk]), form_data(order))
    assert answer.status_code == 302
    report = OutsideReport.objects.get()
    page = client.get(reverse("lab:order", args=[order.pk])).content.decode()
    assert "Valley Diagnostics" in page
    assert reverse("lab:outside_report", args=[report.pk]) in page
    assert 'data-testid="attach-outside-form"' not in page  # nothing left to cover
    ordered = order.tests.get()
    assert reverse("lab:test_entry", args=[ordered.pk]) in page

    # The bench's own entry page takes the values, with the report beside them.
    entry = client.get(reverse("lab:test_entry", args=[ordered.pk])).content.decode()
    assert 'data-testid="outside-report"' in entry
    creatinine = ordered.test.parameters.get()
    saved = client.post(
        reverse("lab:test_entry", args=[ordered.pk]), {f"t{ordered.pk}-p{creatinine.pk}": "0.9"}
    )
    assert saved.status_code == 302
    assert Result.objects.get().outside_lab == "Valley Diagnostics"

    # The second technician's list to verify shows it without a sample of ours.
    checker = sign_in(second_technician)
    listed = checker.get(reverse("lab:to_verify")).content.decode()
    assert "outside lab: Valley Diagnostics" in listed
    checker.post(reverse("lab:verify_test", args=[ordered.pk]))
    assert OrderedTest.objects.get(pk=ordered.pk).status == TestStatus.VERIFIED

    page = client.get(reverse("lab:order", args=[order.pk])).content.decode()
    assert 'data-testid="outside-lab"' in page
    section = client.get(reverse("lab:results", args=[teenager.pk])).content.decode()
    assert "outside lab: Valley Diagnostics" in section


def test_the_report_pdf_says_the_values_were_transcribed(order, lab_technician, second_technician):
    attach(lab_technician, order, sampled_on=sample_day(order))
    ordered = transcribe(lab_technician, order, "0.9")
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    found = selectors.order_detail(order.clinic).get(pk=order.pk)
    text = " ".join(
        page.extract_text() for page in PdfReader(io.BytesIO(report_pdf(found, None))).pages
    )
    assert "Outside lab: Valley Diagnostics" in text
    assert "Transcribed from the outside report by" in text


def test_a_bad_file_comes_back_on_the_order_page_and_nothing_is_kept(
    order, lab_technician, sign_in
):
    client = sign_in(lab_technician)
    bad = SimpleUploadedFile("report.pdf", b"<html>not a report</html>")
    answer = client.post(reverse("lab:attach_outside", args=[order.pk]), form_data(order, file=bad))
    assert answer.status_code == 200
    assert b'data-testid="field-error"' in answer.content
    assert not PatientDocument.objects.exists()
    assert not OutsideReport.objects.exists()


def test_the_attach_form_is_refused_to_other_roles_and_other_clinics(
    order, clinic, other_clinic, sign_in
):
    url = reverse("lab:attach_outside", args=[order.pk])
    for role in (Role.NURSE, Role.RECEPTIONIST, Role.MANAGER):
        client = sign_in(member(role, clinic, username=f"p-{role}"))
        assert client.post(url, form_data(order)).status_code == 403, role
    other_doctor = sign_in(member(Role.DOCTOR, clinic, username="doc2"))
    assert other_doctor.post(url, form_data(order)).status_code == 404
    page = other_doctor.get(reverse("lab:order", args=[order.pk]))
    assert b'data-testid="attach-outside-form"' not in page.content
    their_lab = sign_in(member(Role.LAB_TECHNICIAN, other_clinic, username="their-lab"))
    assert their_lab.post(url, form_data(order)).status_code == 404
    assert not OutsideReport.objects.exists()


def test_the_reports_file_opens_sandboxed_for_readers_of_results_and_is_audited(
    order, lab_technician, nurse, receptionist, other_clinic, sign_in
):
    report = attach(lab_technician, order)
    url = reverse("lab:outside_report", args=[report.pk])
    answer = sign_in(nurse).get(url)
    assert answer.status_code == 200
    assert answer["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(answer.streaming_content).startswith(b"%PDF-")
    viewed = AuditEvent.objects.filter(
        action=AuditAction.VIEW, object_type="patients.patientdocument"
    )
    assert [e.changes["part"] for e in viewed] == ["outside lab report"]
    assert sign_in(receptionist).get(url).status_code == 403
    outsider = sign_in(member(Role.DOCTOR, other_clinic, username="their-doc"))
    assert outsider.get(url).status_code == 404


def test_the_order_page_reads_a_bounded_number_of_rows_with_outside_reports(
    order, lab_technician, sign_in, creatinine_test, doctor, teenager, lipid_profile
):
    from clinicflow.lab.tests.conftest import lab_queries

    attach(lab_technician, order)
    client = sign_in(lab_technician)
    one, _ = lab_queries(client, reverse("lab:order", args=[order.pk]))
    bigger = orders.place(
        actor=actor_for(doctor), patient=teenager, tests=[creatinine_test, lipid_profile]
    )
    attach(lab_technician, bigger)
    two, _ = lab_queries(client, reverse("lab:order", args=[bigger.pk]))
    # One more query of results per test (as before); none per outside report.
    assert two - one <= 1


# ---------------------------------------------------------------- races (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_report_attached_as_the_sample_is_collected_leaves_the_test_one_or_the_other(
    order, lab_technician, nurse, doctor
):
    """The nurse collects, the doctor and the lab attach reports, all at once: the order's
    lock lets one through; the others are refused and keep nothing."""
    from tests.concurrency import at_once

    def work(n: int) -> str:
        try:
            if n == 0:
                samples.collect(actor=actor_for(nurse), order=order, collected_at=order.ordered_at)
            else:
                attach(doctor if n == 1 else lab_technician, order)
        except Conflict:
            return "refused"
        return "done"

    outcomes, errors = at_once(work, 3)
    assert errors == []
    assert sorted(outcomes) == ["done", "refused", "refused"]
    ordered = OrderedTest.objects.get(order=order)
    if ordered.status == TestStatus.COLLECTED:
        assert ordered.outside_report is None
        assert not PatientDocument.objects.exists()
    else:
        assert (ordered.status, ordered.sample) == (TestStatus.OUTSIDE, None)
        assert OutsideReport.objects.count() == PatientDocument.objects.count() == 1
