"""The demo lab: forty common tests from the data file, loaded through the import a lab
manager uses, with ranges for every adult, critical limits where labs use them, and formulas
that compute from the results a technician enters."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.lab import orders, ranges, results, samples
from clinicflow.lab.calculations import egfr_ckd_epi_2021
from clinicflow.lab.demo import load_demo_lab_catalogue
from clinicflow.lab.models import LabSection, LabTest, Parameter, Result, ResultType
from clinicflow.lab.tests.conftest import values_for

pytestmark = pytest.mark.django_db

ADULT = date(1990, 1, 1)


@pytest.fixture
def demo_lab(manager, clinic):
    load_demo_lab_catalogue(manager=manager, clinic=clinic)
    return clinic


@pytest.fixture
def adult(patient):
    """A woman of 36: the adult ranges apply and CKD-EPI may be used."""
    patient.birth_date = ADULT
    patient.save(update_fields=["birth_date"])
    return patient


def test_the_demo_catalogue_has_forty_tests_in_four_sections(manager, clinic):
    assert load_demo_lab_catalogue(manager=manager, clinic=clinic) == 40
    sections = set(LabSection.objects.for_clinic(clinic).values_list("name", flat=True))
    assert sections == {"Haematology", "Biochemistry", "Clinical pathology", "Serology"}
    panels = dict(
        LabTest.objects.for_clinic(clinic).filter(is_panel=True).values_list("code", "name")
    )
    assert panels == {
        "RFT": "Renal function test",
        "ELEC": "Electrolytes",
        "TFT": "Thyroid profile",
    }
    assert load_demo_lab_catalogue(manager=manager, clinic=clinic) == 0  # once


def test_every_numeric_parameter_has_a_range_for_adult_men_and_women(demo_lab):
    on = date(2026, 6, 1)
    numeric = Parameter.objects.for_clinic(demo_lab).filter(result_type=ResultType.NUMERIC)
    missing = [
        (p.test.code, p.code, sex)
        for p in numeric.select_related("test").prefetch_related("ranges")
        for sex in ("male", "female")
        if ranges.applicable_range(p, sex=sex, birth_date=ADULT, on=on) is None
    ]
    assert numeric.count() > 50
    assert missing == []


def test_ranges_differ_by_sex_and_age_where_they_should(demo_lab):
    hb = Parameter.objects.for_clinic(demo_lab).get(test__code="CBC", code="hb")
    on = date(2026, 6, 1)

    def normal(sex, birth):
        found = ranges.applicable_range(hb, sex=sex, birth_date=birth, on=on)
        return (found.low, found.high)

    assert normal("male", ADULT) == (Decimal("13.0"), Decimal("17.0"))
    assert normal("female", ADULT) == (Decimal("12.0"), Decimal("15.0"))
    assert normal("female", on - timedelta(days=3))[0] == Decimal("13.5")  # a newborn
    bilirubin = Parameter.objects.for_clinic(demo_lab).get(code="bilirubin_total")
    newborn = ranges.applicable_range(bilirubin, sex="male", birth_date=on, on=on)
    assert (newborn.high, newborn.critical_high) == (Decimal("6.0"), Decimal("20.0"))
    alp = Parameter.objects.for_clinic(demo_lab).get(code="alp")
    child = ranges.applicable_range(alp, sex="female", birth_date=date(2020, 1, 1), on=on)
    adult = ranges.applicable_range(alp, sex="female", birth_date=ADULT, on=on)
    assert child.high > adult.high


def test_critical_limits_and_delta_checks_are_where_labs_use_them(demo_lab):
    parameters = Parameter.objects.for_clinic(demo_lab).prefetch_related("ranges")
    critical = {
        p.code for p in parameters for r in p.ranges.all() if r.critical_low or r.critical_high
    }
    assert {"potassium", "sodium", "glucose_fasting", "hb", "platelets"} <= critical
    delta = set(parameters.filter(delta_percent__isnull=False).values_list("code", flat=True))
    assert delta == {"creatinine", "hb", "potassium", "platelets"}


def test_a_lipid_profile_entered_by_the_technician_gives_ldl(
    demo_lab, doctor, nurse, lab_technician, adult, encounter
):
    lipid = LabTest.objects.for_clinic(demo_lab).get(code="LIPID")
    order = orders.place(
        actor=actor_for(doctor), patient=adult, tests=[lipid], urgency="routine",
        clinical_note="", encounter=encounter,
    )  # fmt: skip
    samples.collect(
        actor=actor_for(nurse), order=order, collected_at=timezone.now() - timedelta(minutes=5)
    )
    ordered = order.tests.get()
    values = {"total_cholesterol": "220", "hdl": "45", "triglycerides": "150"}
    results.enter(
        actor=actor_for(lab_technician), ordered_test=ordered, values=values_for(lipid, **values)
    )
    ldl = Result.objects.get(ordered_test=ordered, parameter__code="ldl")
    assert ldl.value == Decimal("145.0")  # 220 − 45 − 150/5
    assert ldl.flag == "H"


def test_a_liver_panel_gives_the_ag_ratio_and_creatinine_gives_egfr(
    demo_lab, doctor, nurse, lab_technician, adult, encounter
):
    tests = list(LabTest.objects.for_clinic(demo_lab).filter(code__in=["LFT", "RFT"]))
    order = orders.place(
        actor=actor_for(doctor), patient=adult, tests=tests, urgency="routine",
        clinical_note="", encounter=encounter,
    )  # fmt: skip
    samples.collect(
        actor=actor_for(nurse), order=order, collected_at=timezone.now() - timedelta(minutes=5)
    )
    technician = actor_for(lab_technician)
    for ordered in order.tests.select_related("test"):
        if ordered.test.code == "LFT":
            values = {"total_protein": "7.0", "albumin": "4.2"}
            results.enter(
                actor=technician, ordered_test=ordered, values=values_for(ordered.test, **values)
            )
        else:
            crea = Parameter.objects.get(
                test__code="CREA", test__clinic=demo_lab, code="creatinine"
            )
            results.enter(actor=technician, ordered_test=ordered, values={str(crea.pk): "1.0"})
    computed = dict(
        Result.objects.filter(parameter__code__in=["ag_ratio", "egfr"]).values_list(
            "parameter__code", "value"
        )
    )
    assert computed["ag_ratio"] == Decimal("1.50")  # 4.2 / (7.0 − 4.2)
    age = adult.age_on(timezone.localdate())
    expected = egfr_ckd_epi_2021(creatinine=Decimal("1.0"), age_years=age, sex="female")
    assert expected.value is not None
    assert computed["egfr"] == expected.value
