"""The catalogue's CSV: an import that changes nothing unless every row is good (the report
names the row and the column), adds or replaces tests by code without ever touching a stored
result, and reads back its own export unchanged."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.billing.models import PriceItem
from clinicflow.core.errors import DomainError
from clinicflow.core.imports import cell
from clinicflow.core.models import AuditEvent
from clinicflow.lab import age_bands, catalogue
from clinicflow.lab.demo import load_demo_lab_catalogue
from clinicflow.lab.models import (
    LabSection,
    LabTest,
    PanelMember,
    Parameter,
    ReferenceRange,
    Result,
)

pytestmark = pytest.mark.django_db

CREA = {
    "test_code": "CREA", "test_name": "Serum creatinine", "test_loinc": "2160-0",
    "section": "Biochemistry", "sample_type": "serum", "container": "Plain tube (red top)",
    "turnaround_minutes": "120", "price": "250", "active": "yes",
    "parameter_code": "creatinine", "parameter_name": "Creatinine", "unit": "mg/dL",
    "unit_label": "mg/dL", "result_type": "numeric", "decimals": "2", "absolute_low": "0.05",
    "absolute_high": "30", "delta_percent": "50",
}  # fmt: skip
MAN = {"sex": "male", "age_from": "18y", "low": "0.7", "high": "1.3", "critical_high": "7"}
WOMAN = {"sex": "female", "age_from": "18y", "low": "0.5", "high": "1.1", "critical_high": "7"}
CHILD = {"age_from": "28d", "age_to": "18y", "low": "0.2", "high": "0.7"}
EGFR = {
    "parameter_code": "egfr", "parameter_name": "eGFR", "unit": "mL/min/{1.73_m2}",
    "result_type": "calculated", "decimals": "0", "formula": "egfr_ckd_epi_2021",
    "age_from": "18y", "low": "90",
}  # fmt: skip
UREA = {
    "test_code": "UREA", "test_name": "Blood urea", "section": "Biochemistry",
    "sample_type": "serum", "parameter_code": "urea", "parameter_name": "Urea",
    "unit": "mg/dL", "low": "15", "high": "45",
}  # fmt: skip
RFT = {
    "test_code": "RFT", "test_name": "Renal function test", "section": "biochemistry",
    "sample_type": "Serum", "price": "400", "panel_members": "UREA;CREA",
}  # fmt: skip
HBSAG = {
    "test_code": "HBSAG", "test_name": "HBsAg", "section": "Serology", "sample_type": "serum",
    "parameter_code": "hbsag", "parameter_name": "HBsAg", "result_type": "choice",
    "decimals": "0", "choices": "Non-reactive;Reactive", "normal": "Non-reactive",
}  # fmt: skip


def csv_of(*rows: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, catalogue.COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def creatinine_rows() -> list[dict[str, str]]:
    return [
        {**CREA, **MAN},
        {**CREA, **WOMAN},
        {"test_code": "CREA", "parameter_code": "creatinine", **CHILD},  # the rest left empty
        {"test_code": "CREA", **EGFR},
    ]


@pytest.fixture
def sections(clinic):
    for name in ("Biochemistry", "Serology"):
        LabSection.objects.create(clinic=clinic, name=name)


def imported(manager, *rows):
    return catalogue.import_csv(actor=actor_for(manager), content=csv_of(*rows))


def test_a_good_file_adds_tests_parameters_ranges_and_panels(manager, clinic, sections):
    summary = imported(manager, *creatinine_rows(), UREA, RFT, HBSAG)
    assert summary == catalogue.ImportSummary(added=4, updated=0, unchanged=0)
    crea = LabTest.objects.get(code="CREA")
    assert (crea.price, crea.turnaround_minutes, crea.section.name) == (
        Decimal("250"), 120, "Biochemistry"
    )  # fmt: skip
    creatinine = crea.parameters.get(code="creatinine")
    bands = {(r.sex, r.age_from_days, r.age_to_days) for r in creatinine.ranges.all()}
    assert bands == {("male", 6575, None), ("female", 6575, None), ("any", 28, 6575)}
    assert creatinine.delta_percent == 50
    assert crea.parameters.get(code="egfr").formula == "egfr_ckd_epi_2021"
    rft = LabTest.objects.get(code="RFT")
    assert rft.is_panel
    assert list(rft.members.values_list("test__code", flat=True)) == ["UREA", "CREA"]
    assert Parameter.objects.get(code="hbsag").choice_list == ["Non-reactive", "Reactive"]
    assert ReferenceRange.objects.get(parameter__code="hbsag").text == "Non-reactive"
    assert PriceItem.objects.for_clinic(clinic).filter(code="LAB-RFT").exists()


BAD_FILES = {
    "range-order": ([{**CREA, **MAN, "low": "1.5"}], [(2, "high")]),
    "critical-inside-normal": ([{**CREA, **WOMAN, "critical_high": "1.0"}], [(2, "critical_high")]),
    "beyond-plausible": ([{**CREA, **MAN, "critical_high": "40"}], [(2, "critical_high")]),
    "age-band": ([{**CREA, **CHILD, "age_to": "28d"}], [(2, "age_to")]),
    "unknown-section": ([{**CREA, **MAN, "section": "Microbiology"}], [(2, "section")]),
    "unknown-formula": ([{**CREA, **MAN}, {"test_code": "CREA", **EGFR, "formula": "mdrd"}],
                        [(3, "formula")]),
    "formula-inputs": ([{**CREA, **MAN, "parameter_code": "scr"}, {"test_code": "CREA", **EGFR}],
                       [(3, "formula")]),
    "duplicate-code": ([{**CREA, **MAN}, HBSAG, {**CREA, **WOMAN, "test_name": "Creatine kinase"}],
                       [(4, "test_code")]),
    "changed-on-a-later-row": ([{**CREA, **MAN}, {**CREA, **WOMAN, "price": "300"}],
                               [(3, "price")]),
    "repeated-band": ([{**CREA, **MAN}, {**CREA, **MAN, "high": "1.2"}], [(3, "age_from")]),
    "not-a-choice": ([{**HBSAG, "normal": "Negative"}], [(2, "normal")]),
    "unknown-member": ([UREA, {**RFT, "panel_members": "UREA;CREAT"}], [(3, "panel_members")]),
    "not-a-number": ([{**CREA, **MAN, "low": "low"}, {**UREA, "sample_type": "blood serum"}],
                     [(2, "low"), (3, "sample_type")]),
    "age": ([{**CREA, **MAN, "age_from": "18 years"}], [(2, "age_from")]),
    "missing-name": ([{**UREA, "test_name": ""}], [(2, "test_name")]),
}  # fmt: skip


@pytest.mark.parametrize(("rows", "errors"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_file_with_an_error_imports_nothing_and_the_report_names_row_and_column(
    manager, sections, rows, errors
):
    good = [{**UREA, "test_code": "GOOD"}]  # a good test in the same file is not saved either
    with pytest.raises(catalogue.ImportRefused) as refused:
        imported(manager, *rows, *good)
    assert [(e.row, e.field) for e in refused.value.errors] == errors
    assert all(e.error for e in refused.value.errors)
    assert not LabTest.objects.exists()
    assert not Parameter.objects.exists()


def test_files_that_are_not_the_catalogue_are_refused(manager, sections):
    actor = actor_for(manager)
    with pytest.raises(DomainError, match="Missing columns"):
        catalogue.import_csv(actor=actor, content=b"code,name\nCREA,Creatinine\n")
    with pytest.raises(DomainError, match="UTF-8"):
        catalogue.import_csv(actor=actor, content=csv_of(UREA).replace(b"Urea", b"\xff"))
    with pytest.raises(DomainError, match="no tests"):
        catalogue.import_csv(actor=actor, content=csv_of())


def test_a_doctor_may_not_import(doctor, sections):
    with pytest.raises(DomainError, match="may not"):
        catalogue.import_csv(actor=actor_for(doctor), content=csv_of(UREA))


def test_a_second_import_replaces_the_ranges_and_leaves_stored_results_alone(
    manager, sections, stored_result
):
    imported(manager, *creatinine_rows())
    creatinine = Parameter.objects.get(code="creatinine")
    result = stored_result("1.5")
    stored = (result.value, result.flag, result.applied_range)
    assert (result.flag, result.applied_range["high"]) == ("H", "1.3000")
    wider = [{**CREA, **MAN, "high": "1.6"}, {**CREA, **WOMAN}, {"test_code": "CREA", **EGFR}]
    assert imported(manager, *wider) == catalogue.ImportSummary(0, 1, 0)
    assert Parameter.objects.get(code="creatinine").pk == creatinine.pk  # kept, not replaced
    assert creatinine.ranges.get(sex="male").high == Decimal("1.6")
    assert not creatinine.ranges.filter(sex="any").exists()  # the child's band is gone
    result.refresh_from_db()
    assert (result.value, result.flag, result.applied_range) == stored


@pytest.fixture
def stored_result(register, receptionist, nurse, lab_technician):
    """A man's creatinine, ordered, collected and entered through the lab's services: flagged
    against the range of the day, which it keeps."""

    def store(value: str) -> Result:
        from django.utils import timezone

        from clinicflow.lab import orders, results, samples

        patient = register(sex="male", birth_date=date(1980, 3, 2))
        test = LabTest.objects.get(code="CREA")
        order = orders.place(
            actor=actor_for(receptionist), patient=patient, tests=[test], referrer="Dr Outside"
        )
        samples.collect(actor=actor_for(nurse), order=order, collected_at=timezone.now())
        creatinine = test.parameters.get(code="creatinine")
        results.enter(
            actor=actor_for(lab_technician),
            ordered_test=order.tests.get(),
            values={str(creatinine.pk): value},
        )
        return Result.objects.get(parameter=creatinine, patient=patient)

    return store


def test_a_parameter_with_results_cannot_be_left_out(manager, sections, stored_result):
    imported(manager, *creatinine_rows())
    stored_result("1.0")
    renamed = {**CREA, **MAN, "parameter_code": "scr"}
    with pytest.raises(catalogue.ImportRefused) as refused:
        imported(manager, renamed)
    assert [(e.row, e.field) for e in refused.value.errors] == [(2, "parameter_code")]
    assert "has results" in refused.value.errors[0].error


def test_a_test_left_out_stays_and_one_marked_inactive_is_retired(manager, sections):
    imported(manager, *creatinine_rows(), UREA)
    assert imported(manager, {**UREA, "active": "no"}) == catalogue.ImportSummary(0, 1, 0)
    assert LabTest.objects.get(code="CREA").is_active
    assert not LabTest.objects.get(code="UREA").is_active


def test_a_panel_member_order_follows_the_file(manager, sections):
    imported(manager, *creatinine_rows(), UREA, RFT)
    imported(manager, {**RFT, "panel_members": "CREA;UREA"})
    rft = LabTest.objects.get(code="RFT")
    assert list(rft.members.values_list("test__code", flat=True)) == ["CREA", "UREA"]
    assert PanelMember.objects.count() == 2


def test_export_then_import_changes_nothing(manager, clinic):
    load_demo_lab_catalogue(manager=manager, clinic=clinic)
    first = _exported(clinic)
    events = AuditEvent.objects.all_clinics().count()
    summary = catalogue.import_csv(actor=actor_for(manager), content=first)
    assert summary == catalogue.ImportSummary(added=0, updated=0, unchanged=40)
    assert AuditEvent.objects.all_clinics().count() == events  # not one row written
    assert _exported(clinic) == first


def _exported(clinic) -> bytes:
    from clinicflow.core.lists import stream_csv

    response = stream_csv("lab.csv", catalogue.EXPORT_COLUMNS, catalogue.export_rows(clinic))
    return b"".join(response.streaming_content)


def test_an_export_reads_back_what_a_spreadsheet_would_have_run_as_a_formula():
    assert cell("'+") == "+"
    assert cell("'-0.5") == "-0.5"
    assert cell("'quoted") == "'quoted"


@pytest.mark.parametrize(
    ("band", "spoken"),
    [
        ((0, 28), "0–28 days"),
        ((28, 365), "28 days–1 year"),
        ((365, 6575), "1–18 years"),
        ((6575, None), "18 years and over"),
        ((0, None), "All ages"),
        ((0, 6575), "Under 18 years"),
    ],
)
def test_age_bands_read_as_people_say_them(band, spoken):
    assert age_bands.describe(*band) == spoken


def test_ages_in_a_file_read_back_as_written():
    for text in ("0", "1d", "28d", "3m", "1y", "18y", "65y"):
        assert age_bands.as_text(age_bands.to_days(text)) == text
    assert age_bands.to_days("6w") == 42
    with pytest.raises(ValueError, match="28d"):
        age_bands.to_days("eighteen")
