"""Calculated results against worked examples checked by hand from the published formulas."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinicflow.lab.calculations import (
    FORMULAS,
    Calculated,
    ag_ratio,
    egfr_ckd_epi_2021,
    ldl_friedewald,
)

D = Decimal


def test_friedewald_ldl_is_total_minus_hdl_minus_a_fifth_of_triglycerides():
    # 200 − 50 − 150/5 = 120 mg/dL
    assert ldl_friedewald(total_cholesterol=D(200), hdl=D(50), triglycerides=D(150)) == Calculated(
        D("120.0")
    )
    # 185 − 42 − 133/5 = 116.4 mg/dL
    result = ldl_friedewald(total_cholesterol=D(185), hdl=D(42), triglycerides=D(133))
    assert result.value == D("116.4")


def test_friedewald_is_refused_from_400_mg_dl_of_triglycerides():
    result = ldl_friedewald(total_cholesterol=D(250), hdl=D(40), triglycerides=D(400))
    assert result.value is None
    assert "measure LDL" in result.reason
    assert ldl_friedewald(total_cholesterol=D(250), hdl=D(40), triglycerides=D("399.9")).value


def test_friedewald_giving_a_negative_ldl_is_refused():
    result = ldl_friedewald(total_cholesterol=D(100), hdl=D(80), triglycerides=D(300))
    assert result.value is None
    assert "negative" in result.reason


@pytest.mark.parametrize(
    ("creatinine", "age", "sex", "expected"),
    [
        # 142 × 1 × (0.9/0.7)^−1.2 × 0.9938^50 × 1.012 = 142 × 0.7396 × 0.7328 × 1.012 ≈ 77.9
        ("0.9", 50, "female", 78),
        # 142 × 1 × (1.0/0.9)^−1.2 × 0.9938^60 = 142 × 0.8812 × 0.6886 ≈ 86.2
        ("1.0", 60, "male", 86),
        # below κ: 142 × (0.5/0.7)^−0.241 × 1 × 0.9938^30 × 1.012 = 142 × 1.0845 × 0.8298 × 1.012
        # ≈ 129.3
        ("0.5", 30, "female", 129),
        # 142 × (2.0/0.9)^−1.2 × 0.9938^70 = 142 × 0.3835 × 0.6472 ≈ 35.2
        ("2.0", 70, "male", 35),
    ],
)
def test_egfr_by_ckd_epi_2021(creatinine, age, sex, expected):
    assert egfr_ckd_epi_2021(creatinine=D(creatinine), age_years=age, sex=sex) == Calculated(
        D(expected)
    )


def test_egfr_at_the_kappa_has_no_creatinine_term():
    # Scr = κ: both min and max terms are 1; 142 × 0.9938^40 = 142 × 0.7799 ≈ 110.7
    assert egfr_ckd_epi_2021(creatinine=D("0.9"), age_years=40, sex="male").value == D(111)


@pytest.mark.parametrize(
    ("age", "sex", "reason"),
    [(17, "female", "for adults"), (40, "unknown", "sex"), (40, "other", "sex")],
)
def test_egfr_is_not_estimated_for_children_or_without_a_sex(age, sex, reason):
    result = egfr_ckd_epi_2021(creatinine=D("0.8"), age_years=age, sex=sex)
    assert result.value is None
    assert reason in result.reason


def test_ag_ratio_is_albumin_over_globulin():
    # globulin 7.0 − 4.2 = 2.8; 4.2 / 2.8 = 1.5
    assert ag_ratio(albumin=D("4.2"), total_protein=D("7.0")) == Calculated(D("1.50"))
    # 3.5 / (6.5 − 3.5) = 1.1666… → 1.17
    assert ag_ratio(albumin=D("3.5"), total_protein=D("6.5")).value == D("1.17")


def test_ag_ratio_without_globulin_is_refused():
    result = ag_ratio(albumin=D("5"), total_protein=D("5"))
    assert result.value is None
    assert "above albumin" in result.reason


def test_every_formula_takes_the_inputs_it_declares():
    examples = {
        "total_cholesterol": D(200),
        "hdl": D(50),
        "triglycerides": D(150),
        "creatinine": D("0.9"),
        "age_years": 50,
        "sex": "female",
        "albumin": D("4.2"),
        "total_protein": D("7.0"),
    }
    for key, formula in FORMULAS.items():
        result = formula.compute(**{name: examples[name] for name in formula.inputs})
        assert isinstance(result.value, Decimal), key
    assert set(FORMULAS) == {"ldl_friedewald", "egfr_ckd_epi_2021", "ag_ratio"}
