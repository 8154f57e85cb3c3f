"""Calculated results: pure functions, ``Decimal`` in and out, each with its published formula.

A formula that must not be applied (Friedewald with a high triglyceride, CKD-EPI for a child)
answers ``Calculated(None, reason)`` so the report can say why the value is missing instead of
printing a wrong one. ``FORMULAS`` is what a calculated ``Parameter.formula`` names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

ONE = Decimal(1)


@dataclass(frozen=True)
class Calculated:
    value: Decimal | None
    reason: str = ""


def _rounded(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def ldl_friedewald(
    *, total_cholesterol: Decimal, hdl: Decimal, triglycerides: Decimal
) -> Calculated:
    """LDL cholesterol by Friedewald (1972), all in mg/dL: LDL = TC − HDL − TG / 5.

    TG / 5 estimates VLDL cholesterol, which holds only while triglycerides are below
    400 mg/dL; above that LDL must be measured directly. One decimal."""
    if triglycerides >= 400:
        return Calculated(
            None, "Triglycerides of 400 mg/dL or more: Friedewald does not apply; measure LDL."
        )
    ldl = total_cholesterol - hdl - triglycerides / 5
    if ldl < 0:
        return Calculated(None, "The inputs give a negative LDL; check the results.")
    return Calculated(_rounded(ldl, 1))


def egfr_ckd_epi_2021(*, creatinine: Decimal, age_years: int, sex: str) -> Calculated:
    """Estimated GFR in mL/min/1.73 m² by CKD-EPI 2021, without race (Inker et al., NEJM 2021):

        eGFR = 142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^−1.200 × 0.9938^age × 1.012 [if female]

    Scr is serum creatinine in mg/dL; κ = 0.7 (female) or 0.9 (male); α = −0.241 (female) or
    −0.302 (male). For adults (18 and over) of recorded sex only. A whole number."""
    if sex not in ("female", "male"):
        return Calculated(None, "CKD-EPI needs the patient's sex as female or male.")
    if age_years < 18:
        return Calculated(None, "CKD-EPI is for adults; use a paediatric equation.")
    if creatinine <= 0:
        return Calculated(None, "Creatinine must be above zero.")
    female = sex == "female"
    kappa = Decimal("0.7") if female else Decimal("0.9")
    alpha = Decimal("-0.241") if female else Decimal("-0.302")
    with localcontext() as context:
        context.prec = 28
        ratio = creatinine / kappa
        egfr = (
            142
            * min(ratio, ONE) ** alpha
            * max(ratio, ONE) ** Decimal("-1.200")
            * Decimal("0.9938") ** age_years
        )
        if female:
            egfr *= Decimal("1.012")
    return Calculated(_rounded(egfr, 0))


def ag_ratio(*, albumin: Decimal, total_protein: Decimal) -> Calculated:
    """Albumin / globulin ratio, where globulin = total protein − albumin (both in the same
    unit, g/dL or g/L). Two decimals."""
    globulin = total_protein - albumin
    if globulin <= 0:
        return Calculated(None, "Total protein must be above albumin; check the results.")
    return Calculated(_rounded(albumin / globulin, 2))


@dataclass(frozen=True)
class Formula:
    """``inputs`` are the keyword arguments ``compute`` takes: other results of the order (in
    the units the function documents) and, for some, the patient's age in years and sex."""

    label: str
    inputs: tuple[str, ...]
    compute: Callable[..., Calculated]


FORMULAS: dict[str, Formula] = {
    "ldl_friedewald": Formula(
        "LDL cholesterol (Friedewald)",
        ("total_cholesterol", "hdl", "triglycerides"),
        ldl_friedewald,
    ),
    "egfr_ckd_epi_2021": Formula(
        "eGFR (CKD-EPI 2021)", ("creatinine", "age_years", "sex"), egfr_ckd_epi_2021
    ),
    "ag_ratio": Formula("A/G ratio", ("albumin", "total_protein"), ag_ratio),
}
