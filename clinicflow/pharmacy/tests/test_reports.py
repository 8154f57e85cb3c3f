"""Pharmacy reports: stock valuation with expired stock apart, movements by period and kind,
dispensed quantities by medicine and by doctor — figures checked against sums done by hand,
exports read back, bad periods refused, other roles refused, constant queries."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import prescribing, services
from clinicflow.clinical.services import open_encounter
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.frontdesk import services as frontdesk
from clinicflow.pharmacy import alerts, dispensing, reports, stock
from clinicflow.pharmacy.models import Medicine, MovementKind, StockBatch
from clinicflow.scheduling.services import create_practitioner
from tests.factories import member

pytestmark = pytest.mark.django_db

D = Decimal
PARACETAMOL_ITEM = {
    "medicine_name": "Paracetamol",
    "strength": "500 mg",
    "form": "tablet",
    "dose": "2",
    "dose_unit": "tablet",
    "frequency": "TDS",
    "duration_days": "3",
}  # 18 tablets
REPORT_URLS = [
    "pharmacy:reports",
    "pharmacy:report_stock",
    "pharmacy:report_stock_csv",
    "pharmacy:report_stock_xlsx",
    "pharmacy:report_movements",
    "pharmacy:report_movements_csv",
    "pharmacy:report_movements_xlsx",
    "pharmacy:report_dispensed",
    "pharmacy:report_dispensed_csv",
    "pharmacy:report_dispensed_xlsx",
]


@pytest.fixture
def today(clinic):
    return alerts.clinic_today(clinic)


@pytest.fixture
def paracetamol(medicines) -> Medicine:
    return medicines[("Paracetamol", "", "500 mg")]


@pytest.fixture
def stocked(pharmacist, amoxicillin, paracetamol, today):
    """Amoxicillin: 100 usable (cost 0.40, sale 1.00) and 10 expired yesterday (cost 0.30,
    sale 1.20); paracetamol: 50 usable (cost 0.10, sale 0.25)."""
    line = {"expiry_date": today + timedelta(days=200)}
    stock.receive(
        actor=actor_for(pharmacist),
        supplier="MedSupply",
        invoice_number="R-1",
        lines=[
            {**line, "medicine": amoxicillin, "batch_number": "A", "quantity": "100",
             "cost_price": "0.40", "sale_price": "1.00"},
            {**line, "medicine": amoxicillin, "batch_number": "X", "quantity": "10",
             "cost_price": "0.30", "sale_price": "1.20"},
            {**line, "medicine": paracetamol, "batch_number": "P", "quantity": "50",
             "cost_price": "0.10", "sale_price": "0.25"},
        ],
    )  # fmt: skip
    StockBatch.objects.filter(batch_number="X").update(expiry_date=today - timedelta(days=1))
    return {b.batch_number: b for b in StockBatch.objects.all()}


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def read_xlsx(response) -> list[list[object]]:
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


# ---------------------------------------------------------------- stock on hand


def test_stock_on_hand_values_usable_and_expired_stock_apart(stocked, clinic, today):
    rows = {m.generic_name: m for m in reports.stock_on_hand(clinic, today)}
    assert set(rows) == {"Amoxicillin", "Paracetamol"}  # the others have no stock
    amoxicillin, paracetamol = rows["Amoxicillin"], rows["Paracetamol"]
    assert (amoxicillin.usable_quantity, amoxicillin.usable_cost, amoxicillin.usable_sale) == (
        D("100"), D("40"), D("100"),
    )  # fmt: skip
    assert (
        amoxicillin.expired_quantity,
        amoxicillin.expired_cost,
        amoxicillin.expired_sale,
    ) == (D("10"), D("3"), D("12"))
    assert (paracetamol.usable_quantity, paracetamol.usable_cost, paracetamol.usable_sale) == (
        D("50"), D("5"), D("12.5"),
    )  # fmt: skip
    assert paracetamol.expired_quantity == paracetamol.expired_cost == 0
    assert reports.stock_totals(clinic, today) == {
        "usable_quantity": D("150"),
        "usable_cost": D("45.00"),
        "usable_sale": D("112.50"),
        "expired_quantity": D("10"),
        "expired_cost": D("3.00"),
        "expired_sale": D("12.00"),
    }


def test_written_off_stock_leaves_the_valuation(pharmacist, stocked, clinic, today):
    stock.write_off(actor=actor_for(pharmacist), batch=stocked["X"])
    totals = reports.stock_totals(clinic, today)
    assert totals["expired_quantity"] == 0
    assert totals["expired_cost"] == D("0.00")
    assert totals["usable_cost"] == D("45.00")


def test_the_stock_report_page_and_its_exports_show_the_same_figures(manager, stocked, sign_in):
    client = sign_in(manager)
    page = client.get(reverse("pharmacy:report_stock"))
    assert page.status_code == 200
    assert page.context["totals"]["usable_sale"] == D("112.50")
    assert "112.50" in page.content.decode()
    rows = read_csv(client.get(reverse("pharmacy:report_stock_csv")))
    assert rows[0][:4] == ["Medicine", "Usable quantity", "Usable at cost", "Usable at sale price"]
    assert rows[1][0].startswith("Amoxicillin")
    assert rows[1][1:] == [
        "100.00",
        "40.00",
        "100.00",
        "10.00",
        "3.00",
        "12.00",
    ]
    assert rows[-1] == ["Total", "150.00", "45.00", "112.50", "10.00", "3.00", "12.00"]
    sheet = read_xlsx(client.get(reverse("pharmacy:report_stock_xlsx")))
    assert sheet[-1][0] == "Total"
    assert [D(str(v)) for v in sheet[-1][1:]] == [D(150), D(45), D("112.5"), D(10), D(3), D(12)]
    exports = AuditEvent.objects.all_clinics().filter(
        action=AuditAction.EXPORT, object_type="pharmacy.report"
    )
    assert exports.count() == 2


def test_the_stock_report_pages_long_lists_with_constant_queries(
    manager, pharmacist, clinic, today, sign_in, settings, django_assert_max_num_queries
):
    settings.CLINICFLOW_LIST_PAGE_SIZE = 5
    actor = actor_for(pharmacist)

    def stock_medicines(first, last):
        for n in range(first, last):
            medicine = Medicine.objects.create(
                clinic=clinic, generic_name=f"Medicine {n:02d}", form="tablet",
                ingredients=f"m{n}", sale_price=D("1.00"),
            )  # fmt: skip
            stock.receive(
                actor=actor, supplier="S", invoice_number=f"I-{n}",
                lines=[{"medicine": medicine, "batch_number": "B", "quantity": "3",
                        "cost_price": "0.50", "expiry_date": today + timedelta(days=100)}],
            )  # fmt: skip

    stock_medicines(0, 6)
    client = sign_in(manager)
    client.get(reverse("pharmacy:report_stock"))
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("pharmacy:report_stock"))
    stock_medicines(6, 30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("pharmacy:report_stock"), {"page": 2})
    assert next(m.generic_name for m in page.context["page"]) == "Medicine 05"
    assert page.context["totals"]["usable_cost"] == D("45.00")  # 30 × 3 × 0.50
    assert len(read_csv(client.get(reverse("pharmacy:report_stock_csv")))) == 1 + 30 + 1


# ---------------------------------------------------------------- a day of the pharmacy


def prescribe(*, doctor, manager, receptionist, patient, items):
    """A second doctor's signed consultation for ``patient`` with ``items``."""
    practitioner = create_practitioner(
        actor=actor_for(manager), user=doctor, specialization="GP", details={}
    )
    frontdesk.add_walk_in(actor=actor_for(receptionist), patient=patient, practitioner=practitioner)
    entry = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
    encounter = open_encounter(actor=actor_for(doctor), entry=entry)
    for details in items:
        prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=details)
    encounter.refresh_from_db()
    signed = services.save_note(
        actor=actor_for(doctor), encounter=encounter, fields={"plan": "Rx"},
        version=encounter.version,
    )  # fmt: skip
    services.sign(actor=actor_for(doctor), encounter=signed, allergies_unasked_acknowledged=True)
    return signed.prescription


def give(pharmacist, prescription):
    actor = actor_for(pharmacist)
    dispensing.review(actor=actor, prescription=prescription)
    return [
        d for item in prescription.items.all() for d in dispensing.dispense(actor=actor, item=item)
    ]


@pytest.fixture
def second_doctor(clinic):
    return member(Role.DOCTOR, clinic, username="doctor2", first_name="Zara", last_name="Khan")


@pytest.fixture
def day(stocked, pharmacist, manager, receptionist, doctor, second_doctor, register, issue):
    """Dr (first doctor): amoxicillin 15, 5 of them brought back. Dr Khan: amoxicillin 15 and
    paracetamol 18. Then 2 paracetamol adjusted away (damaged) and the expired batch written
    off. Unit prices: amoxicillin batch A 1.00, paracetamol batch P 0.25."""
    actor = actor_for(pharmacist)
    [first] = give(pharmacist, issue())
    stock.return_to_stock(actor=actor, dispense=first, quantity="5", reason="Course changed")
    other = prescribe(
        doctor=second_doctor, manager=manager, receptionist=receptionist,
        patient=register(given_name="Ram", family_name="Thapa"),
        items=[
            {"medicine_name": "Amoxicillin", "strength": "500 mg", "form": "capsule",
             "dose": "1", "dose_unit": "capsule", "frequency": "TDS", "duration_days": "5"},
            PARACETAMOL_ITEM,
        ],
    )  # fmt: skip
    give(pharmacist, other)
    stock.adjust(actor=actor, batch=stocked["P"], quantity="-2", reason="Damaged strip")
    stock.write_off(actor=actor, batch=StockBatch.objects.get(batch_number="X"))
    return doctor


def test_movements_are_summed_per_period_and_kind(day, clinic, today):
    [row] = reports.movements(clinic, reports.Period(today, today), "day")
    assert row.period == today
    assert row.quantities == {
        MovementKind.RECEIVE: D("160"),
        MovementKind.DISPENSE: D("-48"),  # 15 + 15 + 18
        MovementKind.RETURN: D("5"),
        MovementKind.ADJUST: D("-2"),
        MovementKind.WRITE_OFF: D("-10"),
    }
    assert row.net == D("105") == sum(b.on_hand for b in StockBatch.objects.all())
    assert row.movements == 3 + 3 + 1 + 1 + 1
    [month] = reports.movements(clinic, reports.Period(today, today), "month")
    assert month.period == today.replace(day=1)
    assert month.quantities == row.quantities
    [week] = reports.movements(clinic, reports.Period(today, today), "week")
    assert week.period == today - timedelta(days=today.weekday())
    earlier = reports.Period(today - timedelta(days=30), today - timedelta(days=1))
    assert reports.movements(clinic, earlier, "day") == []


def test_the_movements_page_and_exports(day, pharmacist, sign_in, today):
    client = sign_in(pharmacist)
    query = {"first": today.isoformat(), "last": today.isoformat(), "group": "week"}
    page = client.get(reverse("pharmacy:report_movements"), query)
    assert page.status_code == 200
    assert page.context["total"].net == D("105")
    rows = read_csv(client.get(reverse("pharmacy:report_movements_csv"), query))
    assert rows[0] == [
        "Period starting", "Received", "Dispensed", "Returned", "Adjusted", "Written off",
        "Net change", "Movements",
    ]  # fmt: skip
    monday = (today - timedelta(days=today.weekday())).isoformat()
    assert rows[1] == [monday, "160.00", "-48.00", "5.00", "-2.00", "-10.00", "105.00", "9"]
    assert rows[2][0] == "Total"
    assert rows[2][-2:] == ["105.00", "9"]
    sheet = read_xlsx(client.get(reverse("pharmacy:report_movements_xlsx"), query))
    assert sheet[1][2] == -48
    assert sheet[1][-1] == 9


def test_dispensed_by_medicine_nets_the_returns(day, clinic, today):
    rows = reports.dispensed(clinic, reports.Period(today, today))
    by_name = {r.medicine.generic_name: r for r in rows}
    amoxicillin, paracetamol = by_name["Amoxicillin"], by_name["Paracetamol"]
    assert (amoxicillin.quantity, amoxicillin.returned, amoxicillin.net_quantity) == (
        D("30"), D("5"), D("25"),
    )  # fmt: skip
    assert (amoxicillin.dispenses, amoxicillin.value, amoxicillin.net_value) == (
        2, D("30.00"), D("25.00"),
    )  # fmt: skip
    assert (paracetamol.quantity, paracetamol.returned, paracetamol.net_value) == (
        D("18"), D("0"), D("4.50"),
    )  # fmt: skip
    yesterday = today - timedelta(days=1)
    assert reports.dispensed(clinic, reports.Period(yesterday, yesterday)) == []


def test_dispensed_by_doctor(day, second_doctor, clinic, today):
    rows = reports.dispensed(clinic, reports.Period(today, today), by_doctor=True)
    figures = [
        (r.doctor.user.username, r.medicine.generic_name, r.quantity, r.returned, r.net_value)
        for r in rows
    ]
    first = day.username
    assert sorted(figures) == sorted([
        (first, "Amoxicillin", D("15"), D("5"), D("10.00")),
        ("doctor2", "Amoxicillin", D("15"), D("0"), D("15.00")),
        ("doctor2", "Paracetamol", D("18"), D("0"), D("4.50")),
    ])  # fmt: skip
    # Ordered by the doctor's name, then the medicine.
    names = [r.doctor.user.get_full_name().lower() for r in rows]
    assert names == sorted(names)


def test_the_dispensed_pages_and_exports(
    day, manager, sign_in, today, django_assert_max_num_queries
):
    client = sign_in(manager)
    query = {"first": today.isoformat(), "last": today.isoformat()}
    page = client.get(reverse("pharmacy:report_dispensed"), query)
    assert len(page.context["rows"]) == 2
    with django_assert_max_num_queries(25):
        page = client.get(reverse("pharmacy:report_dispensed"), {**query, "by": "doctor"})
    assert len(page.context["rows"]) == 3
    assert "Khan" in page.content.decode()
    rows = read_csv(client.get(reverse("pharmacy:report_dispensed_csv"), query))
    assert rows[0][:3] == ["Medicine", "Dispensed", "Returned"]
    amoxicillin = next(r for r in rows[1:] if r[0].startswith("Amoxicillin"))
    assert amoxicillin[1:] == ["30.00", "5.00", "25.00", "2", "30.00", "5.00", "25.00"]
    by_doctor = read_xlsx(
        client.get(reverse("pharmacy:report_dispensed_xlsx"), {**query, "by": "doctor"})
    )
    assert by_doctor[0][:2] == ["Doctor", "Medicine"]
    assert {row[0] for row in by_doctor[1:]} == {"Dr Zara Khan", f"Dr {day.get_full_name()}"}


# ---------------------------------------------------------------- refusals and bad input


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.DOCTOR, Role.NURSE, Role.CASHIER])
def test_reports_are_refused_to_other_roles(role, clinic, sign_in):
    client = sign_in(member(role, clinic))
    for name in REPORT_URLS:
        assert client.get(reverse(name)).status_code == 403, name
    assert not AuditEvent.objects.all_clinics().filter(action=AuditAction.EXPORT).exists()


def test_another_clinics_stock_is_not_in_the_report(stocked, other_clinic_manager, sign_in):
    client = sign_in(other_clinic_manager)
    page = client.get(reverse("pharmacy:report_stock"))
    assert list(page.context["page"]) == []
    assert read_csv(client.get(reverse("pharmacy:report_stock_csv")))[1:] == [
        ["Total", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00"]
    ]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"first": "2025-03-10", "last": "2025-03-01"}, "last", "The end comes before the start."),
        ({"first": "2020-01-01", "last": "2025-01-01"}, "last", "Choose at most three years."),
        ({"first": "yesterday"}, "first", "Enter a valid date."),
        ({"group": "year"}, "group", "Select a valid choice."),
    ],
)
def test_a_bad_period_is_refused_with_a_clear_message(query, field, message, pharmacist, sign_in):
    client = sign_in(pharmacist)
    page = client.get(reverse("pharmacy:report_movements"), query)
    assert page.status_code == 200
    assert message in page.context["form"].errors[field][0]
    assert "rows" not in page.context
    export = client.get(reverse("pharmacy:report_movements_csv"), query)
    assert export.status_code == 400
    assert not AuditEvent.objects.all_clinics().filter(action=AuditAction.EXPORT).exists()


def test_the_default_period_is_the_last_thirty_days(pharmacist, sign_in, today):
    page = sign_in(pharmacist).get(reverse("pharmacy:report_dispensed"))
    form = page.context["form"]
    assert (form.cleaned_data["first"], form.cleaned_data["last"]) == (
        today - timedelta(days=29), today,
    )  # fmt: skip
