"""A small catalogue: biochemistry's serum creatinine, with ranges for newborns, children and
adults by sex, as a clinic's lab would set them up."""

from __future__ import annotations

from decimal import Decimal

import pytest

from clinicflow.lab.models import LabSection, LabTest, Parameter, ReferenceRange


@pytest.fixture
def biochemistry(clinic):
    return LabSection.objects.create(clinic=clinic, name="Biochemistry")


@pytest.fixture
def creatinine_test(clinic, biochemistry):
    return LabTest.objects.create(
        clinic=clinic, code="CREA", name="Creatinine", loinc="2160-0", section=biochemistry
    )


@pytest.fixture
def creatinine(clinic, creatinine_test):
    return Parameter.objects.create(
        clinic=clinic,
        test=creatinine_test,
        code="CREA",
        name="Creatinine",
        loinc="2160-0",
        unit="mg/dL",
        unit_label="mg/dL",
        decimals=2,
        absolute_low=Decimal("0.05"),
        absolute_high=Decimal("30"),
    )


def add_range(parameter, **fields) -> ReferenceRange:
    return ReferenceRange.objects.create(clinic=parameter.clinic, parameter=parameter, **fields)


#: Age bands in days: the first 28 days, then to the 18th year (6575 days), then adults.
NEWBORN_TO = 28
ADULT_FROM = 6575


@pytest.fixture
def creatinine_ranges(creatinine):
    d = Decimal
    return {
        "newborn": add_range(
            creatinine, age_from_days=0, age_to_days=NEWBORN_TO, low=d("0.3"), high=d("1.0")
        ),
        "child": add_range(
            creatinine,
            age_from_days=NEWBORN_TO,
            age_to_days=ADULT_FROM,
            low=d("0.2"),
            high=d("0.7"),
        ),
        "adult": add_range(
            creatinine,
            age_from_days=ADULT_FROM,
            low=d("0.6"),
            high=d("1.2"),
            critical_high=d("7.0"),
        ),
        "man": add_range(
            creatinine,
            sex="male",
            age_from_days=ADULT_FROM,
            low=d("0.7"),
            high=d("1.3"),
            critical_low=d("0.2"),
            critical_high=d("7.0"),
        ),
        "woman": add_range(
            creatinine,
            sex="female",
            age_from_days=ADULT_FROM,
            low=d("0.5"),
            high=d("1.1"),
            critical_high=d("7.0"),
        ),
    }


# ---------------------------------------------------------------- orders: a lipid profile


from clinicflow.clinical.tests.conftest import (  # noqa: E402, F401  (shared with clinical)
    encounter,
    icd10,
    patient,
    practitioner,
    visit,
)


def numeric(test, code, name, unit, **fields) -> Parameter:
    return Parameter.objects.create(
        clinic=test.clinic, test=test, code=code, name=name, unit=unit, unit_label=unit, **fields
    )


@pytest.fixture
def lipid_profile(clinic, biochemistry):
    """Total cholesterol, HDL, triglycerides (critical above 1000) and Friedewald's LDL."""
    d = Decimal
    test = LabTest.objects.create(
        clinic=clinic,
        code="LIPID",
        name="Lipid profile",
        section=biochemistry,
        price=d("800"),
    )
    tc = numeric(
        test,
        "total_cholesterol",
        "Total cholesterol",
        "mg/dL",
        order=1,
        absolute_low=d("20"),
        absolute_high=d("1500"),
    )
    add_range(tc, high=d("200"))
    hdl = numeric(test, "hdl", "HDL cholesterol", "mg/dL", order=2, delta_percent=50)
    add_range(hdl, low=d("40"))
    tg = numeric(test, "triglycerides", "Triglycerides", "mg/dL", order=3)
    add_range(tg, high=d("150"), critical_high=d("1000"))
    numeric(
        test,
        "ldl",
        "LDL cholesterol",
        "mg/dL",
        order=4,
        result_type="calculated",
        formula="ldl_friedewald",
    )
    return test


def values_for(test, **by_code) -> dict[str, str]:
    """The entry form's values (by parameter id) from values by code."""
    ids = dict(Parameter.objects.filter(test=test).values_list("code", "pk"))
    return {str(ids[code]): value for code, value in by_code.items()}


def lab_queries(client, url: str) -> tuple[int, object]:
    """How many queries of the lab's tables a page or API answer costs, and the answer. The
    session's, the bell's and the access cache's queries come and go with their caches and
    the clock (a busy machine renews a session's activity mid-test): the lab's own are what
    must not grow with the rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len([q for q in queries.captured_queries if '"lab_' in q["sql"]]), response
