"""The catalogue's invariants are the database's: a bad range, a duplicate code or a panel
containing itself is refused however it is written."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from clinicflow.lab.models import LabSection, LabTest, PanelMember, Parameter
from clinicflow.lab.tests.conftest import add_range

pytestmark = pytest.mark.django_db


def refused(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


@pytest.mark.parametrize(
    "fields",
    [
        {"age_from_days": 365, "age_to_days": 365},  # an empty band
        {"age_from_days": 365, "age_to_days": 30},
        {"low": Decimal("5"), "high": Decimal("3")},
        {"low": Decimal("3"), "critical_low": Decimal("3.5")},
        {"high": Decimal("5"), "critical_high": Decimal("4")},
        {"critical_low": Decimal("9"), "critical_high": Decimal("2")},
    ],
    ids=["empty-band", "ages-reversed", "low-above-high", "critical-low", "critical-high", "crit"],
)
def test_a_bad_reference_range_is_refused_by_the_database(creatinine, fields):
    refused(lambda: add_range(creatinine, **fields))


def test_a_range_with_limits_in_order_is_kept(creatinine):
    add_range(
        creatinine,
        age_from_days=0,
        age_to_days=28,
        low=Decimal("0.3"),
        high=Decimal("1.0"),
        critical_low=Decimal("0.3"),  # a limit may be critical at once
        critical_high=Decimal("1.0"),
    )


def test_a_test_code_is_unique_in_a_clinic_but_not_across_clinics(
    clinic, other_clinic, creatinine_test, biochemistry
):
    refused(
        lambda: LabTest.objects.create(
            clinic=clinic, code="CREA", name="Creatinine again", section=biochemistry
        )
    )
    theirs = LabSection.objects.create(clinic=other_clinic, name="Biochemistry")
    LabTest.objects.create(clinic=other_clinic, code="CREA", name="Creatinine", section=theirs)


def test_a_panel_cannot_contain_itself_or_a_test_twice(clinic, biochemistry, creatinine_test):
    panel = LabTest.objects.create(
        clinic=clinic, code="RFT", name="Renal function", section=biochemistry, is_panel=True
    )
    PanelMember.objects.create(clinic=clinic, panel=panel, test=creatinine_test, order=1)
    refused(lambda: PanelMember.objects.create(clinic=clinic, panel=panel, test=creatinine_test))
    refused(lambda: PanelMember.objects.create(clinic=clinic, panel=panel, test=panel))
    assert [m.test for m in panel.members.all()] == [creatinine_test]


def test_a_calculated_parameter_names_its_formula(clinic, creatinine_test):
    refused(
        lambda: Parameter.objects.create(
            clinic=clinic, test=creatinine_test, code="EGFR", name="eGFR", result_type="calculated"
        )
    )
    Parameter.objects.create(
        clinic=clinic,
        test=creatinine_test,
        code="EGFR",
        name="eGFR",
        unit="mL/min/{1.73_m2}",
        result_type="calculated",
        formula="egfr_ckd_epi_2021",
    )


def test_plausible_limits_are_in_order(clinic, creatinine_test):
    refused(
        lambda: Parameter.objects.create(
            clinic=clinic,
            test=creatinine_test,
            code="K",
            name="Potassium",
            absolute_low=Decimal("10"),
            absolute_high=Decimal("1"),
        )
    )


def test_a_choice_parameter_lists_its_answers(clinic, creatinine_test):
    hbsag = Parameter(
        clinic=clinic, test=creatinine_test, code="HBSAG", choices="Negative\n Positive \n\n"
    )
    assert hbsag.choice_list == ["Negative", "Positive"]
