"""The printed lab report of one order (FHIR: DiagnosticReport), on A4: the clinic's header,
the patient, the order and who asked for it, each sample's accession with when it was taken
and received, and per test each parameter's result with its unit, flag and the range it was
flagged against as it stood (``Result.applied_range``), comments, amendments (why, and the
value first reported), and who entered and verified the results, when.

Only released tests (verified or amended) are printed: a result still waiting for its second
check is not a result yet. A QR code opens the public page that confirms the report
(``lab:verify``) from the order's ``verify_token``. Nepali text is drawn by ``core.pdf``'s
Devanagari fallback font, shaped."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from fpdf.fonts import FontFace

from clinicflow.core.pdf import Document
from clinicflow.core.templatetags.clinicflow import with_bs
from clinicflow.lab import ranges
from clinicflow.lab.models import (
    RELEASED_STATUSES,
    Flag,
    LabOrder,
    OrderedTest,
    PanelMember,
    Result,
    ResultStatus,
    Sample,
    TestStatus,
    Urgency,
)
from clinicflow.patients.templatetags.patient_tags import age

#: Parameter, result, unit, flag, reference range (mm of the 180 mm between A4's margins).
COLUMNS = (62, 30, 26, 14, 48)
HEADINGS = ("Parameter", "Result", "Unit", "Flag", "Reference range")
QR_MM = 26.0
#: Results outside their range stand out in bold (the flag letters say it without colour).
FLAGGED = FontFace(emphasis="BOLD")


@dataclass(frozen=True)
class ReleasedTest:
    """A released test of the order and its current results, in the catalogue's order."""

    ordered: OrderedTest
    results: list[Result]


def released_tests(order: LabOrder) -> list[ReleasedTest]:
    """The order's verified and amended tests with their results (amendments in place of
    what they amend), each test's parameters in the catalogue's order (a panel: member by
    member). Two queries, whatever the order's size; ``order`` comes from
    ``selectors.order_detail``."""
    clinic = order.clinic
    tests = [t for t in order.tests.all() if t.status in RELEASED_STATUSES]
    rows = (
        Result.objects.for_clinic(clinic)
        .filter(ordered_test__in=tests)
        .exclude(status=ResultStatus.SUPERSEDED)
        .select_related("parameter", "entered_by", "amends")
    )
    members = PanelMember.objects.for_clinic(clinic).filter(
        panel__in=[t.test_id for t in tests if t.test.is_panel]
    )
    member_at = {(m.panel_id, m.test_id): (m.order, m.pk) for m in members}
    by_test: dict[int, list[Result]] = {}
    for row in rows:
        by_test.setdefault(row.ordered_test_id, []).append(row)

    released = []
    for ordered in tests:

        def place(result: Result, panel: int = ordered.test_id) -> tuple[int, ...]:
            parameter = result.parameter
            member = member_at.get((panel, parameter.test_id), (0, 0))
            return (*member, parameter.order, parameter.pk)

        released.append(ReleasedTest(ordered, sorted(by_test.get(ordered.pk, []), key=place)))
    return released


def value_text(result: Result, decimals: int) -> str:
    """A number with the parameter's decimals ("50.0"), or the text of a choice or text
    result."""
    if result.value is None:
        return result.text
    return f"{result.value:.{decimals}f}"


def range_text(result: Result) -> str:
    return ranges.shown(result.applied_range)


def first_reported(result: Result) -> Result:
    """What an amended result was first reported as (through every later amendment)."""
    original = result
    while original.amends is not None:
        original = original.amends
    return original


class LabReport(Document):
    """A4 pages whose footer names the patient, the order and the page, so a loose second
    page is never mistaken for another patient's."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.use(7)
        self.cell(0, 5, self.clean(f"{self.footer_text} · page {self.page_no()}/{{nb}}"))


class ReportWriter:
    """Writes one order's report on a ``LabReport``."""

    def __init__(self, order: LabOrder, verify_url: str | None) -> None:
        self.order, self.clinic, self.patient = order, order.clinic, order.patient
        self.verify_url = verify_url
        self.pdf = LabReport(format="A4")
        self.pdf.set_margins(15, 15, 15)
        self.pdf.set_auto_page_break(auto=True, margin=18)
        self.pdf.footer_text = f"{self.patient.full_name} · {self.patient.mrn} · {order.number}"

    # ------------------------------------------------------------ pieces

    def moment(self, at: datetime | None) -> str:
        return f"{timezone.localtime(at, self.clinic.zone):%d %b %Y %H:%M}" if at else "—"

    def line(self, value: Any, size: float = 9, style: str = "", **kw: Any) -> None:
        self.pdf.paragraph(value, size, style, height=size * 0.5, **kw)

    # ------------------------------------------------------------ the report

    def write(self) -> bytes:
        self.pdf.add_page()
        released = released_tests(self.order)
        self.header()
        self.about_the_patient()
        if not released:
            self.pdf.ln(4)
            self.line("No result of this order has been verified yet.", 10, "B")
        else:
            self.samples([t.ordered.sample for t in released if t.ordered.sample])
            for test in released:
                self.test(test)
        return bytes(self.pdf.output())

    def header(self) -> None:
        clinic, text_width = self.clinic, self.pdf.epw - QR_MM - 4
        top = self.pdf.get_y()
        if self.verify_url:
            self.pdf.qr(
                self.verify_url, x=self.pdf.w - self.pdf.r_margin - QR_MM, y=top, size=QR_MM
            )
        self.line(clinic.name, 15, "B", width=text_width)
        contact = [clinic.address.replace("\n", ", "), clinic.phone]
        self.line(" · ".join(v for v in contact if v), 8, width=text_width)
        self.pdf.ln(2)
        self.line("Laboratory report", 12, "B", width=text_width)
        self.pdf.set_y(max(self.pdf.get_y(), top + QR_MM + 1))
        if self.verify_url:
            self.line(f"Verify this report: {self.verify_url}", 7)
        self.pdf.ln(1)

    def about_the_patient(self) -> None:
        order, patient = self.order, self.patient
        day = self.clinic.local_date(order.ordered_at)
        self.line(f"Patient: {patient.full_name}", 11, "B")
        facts = [f"MRN {patient.mrn}", f"age {age(patient, day)}", patient.get_sex_display()]
        self.line(" · ".join(facts), 9)
        ordered = f"Order {order.number} · ordered {with_bs(day, self.clinic)}"
        if order.urgency != Urgency.ROUTINE:
            ordered += f" · {order.get_urgency_display()}"
        self.line(ordered, 9)
        if order.ordering_doctor:
            self.line(f"Ordering doctor: {order.ordering_doctor}", 9)
        elif order.referrer:
            self.line(f"Referred by: {order.referrer}", 9)
        if order.clinical_note:
            self.line(f"Clinical note: {order.clinical_note}", 8)

    def samples(self, samples: list[Sample]) -> None:
        self.pdf.ln(2)
        seen: set[int] = set()
        for sample in samples:
            if sample.pk in seen:
                continue
            seen.add(sample.pk)
            kind = sample.get_sample_type_display()
            if sample.container:
                kind += f", {sample.container}"
            self.line(
                f"Sample {sample.accession} ({kind}): collected {self.moment(sample.collected_at)}"
                f" · received {self.moment(sample.received_at)}",
                8,
            )

    def test(self, released: ReleasedTest) -> None:
        ordered, pdf = released.ordered, self.pdf
        pdf.ln(3)
        title = ordered.test.name + (" (amended)" if ordered.status == TestStatus.AMENDED else "")
        self.line(title, 11, "B")
        pdf.use(8.5)
        with pdf.table(
            col_widths=COLUMNS,
            width=sum(COLUMNS),
            line_height=4.6,
            borders_layout="HORIZONTAL_LINES",
            first_row_as_headings=True,
            text_align=("LEFT", "RIGHT", "LEFT", "CENTER", "LEFT"),
        ) as table:
            table.row(HEADINGS)
            for result in released.results:
                self.result_rows(table, result)
        if ordered.comment:
            self.line(f"Comment: {ordered.comment}", 8)
        entered = "Entered"
        report = ordered.outside_report
        if report is not None:
            # Not measured here: say whose values they are and who copied them.
            self.line(
                f"Outside lab: {report.lab_name} · report of {report.reported_on:%d %b %Y}"
                f" · sample of {report.sampled_on:%d %b %Y}",
                8,
            )
            entered = "Transcribed from the outside report"
        signed = (
            f"{entered} by {ordered.resulted_by or '—'} {self.moment(ordered.resulted_at)}"
            f" · verified by {ordered.verified_by or '—'} {self.moment(ordered.verified_at)}"
        )
        self.line(signed, 7.5)

    def result_rows(self, table: Any, result: Result) -> None:
        parameter, clean = result.parameter, self.pdf.clean
        style = None if result.flag == Flag.NORMAL else FLAGGED
        row = table.row()
        for text in (
            parameter.name,
            value_text(result, parameter.decimals),
            parameter.unit_label or parameter.unit,
            result.flag,
            range_text(result),
        ):
            row.cell(clean(text), style=style)
        notes = []
        if result.status == ResultStatus.AMENDED:
            original = first_reported(result)
            notes.append(
                f"Amended by {result.entered_by} {self.moment(result.entered_at)}: "
                f"{result.amend_reason} (first reported {value_text(original, parameter.decimals)})"
            )
        if result.comment:
            notes.append(f"Note: {result.comment}")
        for note in notes:
            table.row().cell(self.pdf.clean(note), colspan=len(COLUMNS), align="LEFT")


def report_pdf(order: LabOrder, verify_url: str | None) -> bytes:
    """The report of ``order`` (read with ``selectors.order_detail``) as PDF bytes."""
    return ReportWriter(order, verify_url).write()
