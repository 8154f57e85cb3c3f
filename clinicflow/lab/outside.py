"""Tests done by an outside lab: the patient brings the outside lab's report of some tests of
an order (a machine was down, the test is not offered here, the patient chose to go
elsewhere). The report is kept as the patient's document (a lab report, checked by content
and served as every upload is) and linked to the order; the tests it covers leave the
collection list (no sample of ours will be taken) as *done by an outside lab*, and their
unbilled charges are voided (``charging``).

Their values may then be transcribed on the bench's entry page (``results.enter``), flagged
against our catalogue's ranges for the patient on the report's sample day and marked with the
outside lab's name. A transcription is verified by a second person exactly as our own results
are: a value copied wrong is as dangerous as one typed wrong, and the database's
second-person rule holds for both. A test whose values are never transcribed stays *done by
an outside lab*: its report is the document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.audit.chain import atomic_audited
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.lab.models import LabOrder, OrderedTest, OutsideReport, TestStatus
from clinicflow.lab.samples import TO_COLLECT
from clinicflow.patients.models import DocumentCategory, DocumentStatus, PatientDocument
from clinicflow.patients.services import keep_document

ATTACH = "lab.outside.attach"
#: A report of a sample taken this long before the tests were ordered is the patient's
#: history, not the answer to this order: it is filed with their documents instead.
OLDEST_SAMPLE = timedelta(days=30)


@dataclass(frozen=True)
class ReportFile:
    """The report's file as sent (its name only labels the kept document)."""

    content: bytes
    original_name: str


def _checked_dates(
    clinic: Any, order: LabOrder, reported_on: date | None, sampled_on: date | None
) -> tuple[date, date]:
    if reported_on is None:
        raise DomainError(_("Enter the date of the outside report."), field="reported_on")
    if reported_on > clinic.local_date():
        raise DomainError(_("The report date is in the future."), field="reported_on")
    sampled_on = sampled_on or reported_on
    if sampled_on > reported_on:
        raise DomainError(_("The sample date is after the report date."), field="sampled_on")
    if sampled_on < clinic.local_date(order.ordered_at) - OLDEST_SAMPLE:
        raise DomainError(
            _(
                "The sample was taken more than 30 days before the tests were ordered: file "
                "the report with the patient's documents instead."
            ),
            field="sampled_on",
        )
    return reported_on, sampled_on


def _covered(clinic: Any, order: LabOrder, tests: Sequence[OrderedTest] | None) -> list[Any]:
    """The order's tests the report covers, locked: those named, else every test still
    waiting for a sample. Only a test not yet collected (or whose sample was rejected) can
    be done outside."""
    rows = OrderedTest.objects.for_clinic(clinic).filter(order=order)
    if tests is not None:
        if not tests:
            raise DomainError(_("Choose the tests the report covers."), field="tests")
        rows = rows.filter(pk__in=[t.pk for t in tests])
    else:
        rows = rows.filter(status__in=TO_COLLECT)
    found = list(rows.select_related("test").select_for_update(of=("self",)).order_by("pk"))
    if tests is not None and len(found) != len({t.pk for t in tests}):
        raise DomainError(_("Choose tests of this order."), field="tests")
    if not found:
        raise Conflict(_("No test of this order is waiting to be collected."))
    for row in found:
        if row.status not in TO_COLLECT:
            raise Conflict(
                _("%(test)s is %(status)s: only a test not yet collected can be done outside.")
                % {"test": row.test.name, "status": row.get_status_display().lower()}
            )
    return found


def _chosen_document(
    actor: Actor, clinic: Any, order: LabOrder, document: PatientDocument
) -> PatientDocument:
    """One of the patient's current documents, already kept (linking it needs the right to
    open the patient's documents)."""
    if not policy.allows_object(actor, "patients.documents.view", order.patient):
        raise DomainError(_("You may not do this."), code="forbidden")
    found = (
        PatientDocument.objects.for_clinic(clinic)
        .filter(pk=document.pk, patient_id=order.patient_id, status=DocumentStatus.CURRENT)
        .first()
    )
    if found is None:
        raise DomainError(_("Attach a current document of this patient."), field="document")
    return found


@atomic_audited
def attach(
    *,
    actor: Actor,
    order: LabOrder,
    lab_name: str,
    reported_on: date | None,
    sampled_on: date | None = None,
    tests: Sequence[OrderedTest] | None = None,
    report_file: ReportFile | None = None,
    document: PatientDocument | None = None,
) -> OutsideReport:
    """Attach an outside lab's report to ``order``: a new file (kept as the patient's lab
    report document) or one of the patient's documents already kept. It covers ``tests``
    (every test still waiting for a sample when None), which become *done by an outside
    lab*.

    Rules: a doctor attaches to the orders they placed, the lab to any order of the clinic;
    the lab is named; the report is not dated in the future; the sample day (the report's
    date unless given) is not after the report nor more than 30 days before the order; the
    tests are this order's and not yet collected. Errors: ``DomainError`` at ``lab_name``,
    ``reported_on``, ``sampled_on``, ``tests``, ``file`` (type, size, content) or
    ``document``; ``Conflict`` when a test is already collected. Nothing is kept when any is
    refused."""
    clinic = policy.require(actor, ATTACH, order)
    lab_name = lab_name.strip()
    if not lab_name:
        raise DomainError(_("Name the outside lab that did the tests."), field="lab_name")
    if len(lab_name) > 120:
        raise DomainError(_("The lab's name is at most 120 characters."), field="lab_name")
    if (report_file is None) == (document is None):
        raise DomainError(_("Attach the outside report's file."), field="file")
    order = (
        LabOrder.objects.for_clinic(clinic)
        .select_related("patient")
        .select_for_update(of=("self",))
    ).get(pk=order.pk)
    reported_on, sampled_on = _checked_dates(clinic, order, reported_on, sampled_on)
    rows = _covered(clinic, order, tests)
    if document is not None:
        kept = _chosen_document(actor, clinic, order, document)
    else:
        assert report_file is not None
        kept = keep_document(
            clinic=clinic,
            actor=actor,
            patient=order.patient,
            content=report_file.content,
            original_name=report_file.original_name,
            category=DocumentCategory.LAB_REPORT,
            title=_("Outside lab report: %(lab)s") % {"lab": lab_name[:100]},
            document_date=reported_on,
        )
    try:
        report = OutsideReport.objects.create(
            clinic=clinic,
            order=order,
            document=kept,
            lab_name=lab_name,
            reported_on=reported_on,
            sampled_on=sampled_on,
            attached_by=actor.user,
        )
        for row in rows:
            # A rejected sample's test leaves it behind, as a new collection would.
            row.status, row.outside_report, row.sample = TestStatus.OUTSIDE, report, None
            row.save(update_fields=["status", "outside_report", "sample"])
    except Exception:
        if document is None:  # nothing half-written survives: the new file goes too
            for stored in (kept.file, kept.thumbnail):
                if stored.name:
                    stored.storage.delete(stored.name)
        raise
    return report
