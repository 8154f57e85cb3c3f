"""The stock pages, goods receipts, batch actions, the ledger and the dispensing history, as the
pharmacist, the manager and those who may not see them use them."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from clinicflow.accounts.actors import actor_for
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.pharmacy import catalogue, dispensing, stock
from clinicflow.pharmacy.models import (
    Dispense,
    GoodsReceipt,
    Medicine,
    MovementKind,
    StockBatch,
)
from clinicflow.pharmacy.tests.conftest import HEADER, batch, in_days, on_hand_matches_ledger

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    """Queries of one GET of ``url``, once the session's first-request work is done."""
    client.get(url)
    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def csv_rows(response) -> list[dict[str, str]]:
    content = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(content)))


def xlsx_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(book.active.iter_rows(values_only=True))


def more_medicines(pharmacist, count: int) -> list[Medicine]:
    rows = [
        f"Testamine {n},,tablet,{n} mg,tablet,testamine,test,,,no,no,5,1.00" for n in range(count)
    ]
    content = ("\n".join([HEADER, *rows]) + "\n").encode()
    catalogue.import_csv(actor=actor_for(pharmacist), content=content)
    return list(Medicine.objects.filter(generic_name__startswith="Testamine "))


# ---------------------------------------------------------------- the stock list


@pytest.fixture
def stocked(pharmacist, medicines, amoxicillin, receive):
    """Amoxicillin: 30 available (reorder level 20), 8 expired; paracetamol: 10 (level 50)."""
    paracetamol = medicines[("Paracetamol", "", "500 mg")]
    receive(
        (amoxicillin, "AMX-1", 200, 30),
        (amoxicillin, "AMX-OLD", 30, 8),
        (paracetamol, "PAR-1", 60, 10),
    )
    StockBatch.objects.filter(batch_number="AMX-OLD").update(expiry_date=in_days(-3))
    return {"amoxicillin": amoxicillin, "paracetamol": paracetamol}


def test_the_stock_list_shows_available_expired_and_low(stocked, pharmacist, sign_in):
    page = sign_in(pharmacist).get("/pharmacy/stock/").content.decode()
    rows = page.split('data-testid="stock"')[1].split("<tr>")
    amox = next(r for r in rows if f"/pharmacy/stock/{stocked['amoxicillin'].pk}/" in r)
    para = next(r for r in rows if f"/pharmacy/stock/{stocked['paracetamol'].pk}/" in r)
    assert "30" in amox
    assert "8 expired" in amox
    assert "badge-low" not in amox
    assert "10" in para
    assert "badge-low" in para
    assert "badge-expired" not in para


def test_the_stock_list_filters_by_name_low_and_expired(stocked, pharmacist, sign_in):
    client = sign_in(pharmacist)
    amox, para = (f"/pharmacy/stock/{stocked[n].pk}/" for n in ("amoxicillin", "paracetamol"))
    low = client.get("/pharmacy/stock/?low=on").content.decode()
    assert para in low
    assert amox not in low
    expired = client.get("/pharmacy/stock/?expired=on").content.decode()
    assert amox in expired
    assert para not in expired
    named = client.get("/pharmacy/stock/?q=parac", headers={"HX-Request": "true"})
    assert para in named.content.decode()
    assert amox not in named.content.decode()
    assert b"<html" not in named.content  # the HTMX fragment only


def test_the_stock_list_costs_the_same_queries_for_more_medicines(
    stocked, pharmacist, sign_in, receive
):
    client = sign_in(pharmacist)
    before = queries(client, "/pharmacy/stock/")
    for n, medicine in enumerate(more_medicines(pharmacist, 6)):
        receive((medicine, f"T{n}", 100, 5), (medicine, f"U{n}", 200, 5))
    assert queries(client, "/pharmacy/stock/") == before


@pytest.mark.parametrize("role", ["receptionist", "doctor", "nurse"])
def test_stock_is_closed_to_the_desk_and_the_clinicians(role, request, sign_in, stocked):
    client = sign_in(request.getfixturevalue(role))
    for url in (
        "/pharmacy/stock/",
        f"/pharmacy/stock/{stocked['amoxicillin'].pk}/",
        "/pharmacy/stock/ledger/",
        "/pharmacy/stock/receipts/",
        "/pharmacy/stock/receipts/new/",
        "/pharmacy/history/",
    ):
        assert client.get(url).status_code == 403, url


def test_the_manager_sees_stock_and_the_navigation_leads_there(stocked, manager, sign_in):
    page = sign_in(manager).get("/pharmacy/stock/").content.decode()
    assert 'href="/pharmacy/stock/"' in page.split('data-testid="navigation"')[1]
    subnav = page.split('data-testid="pharmacy-subnav"')[1].split("</ul>")[0]
    for url in ("/pharmacy/stock/receipts/", "/pharmacy/stock/ledger/", "/pharmacy/history/"):
        assert url in subnav


# ---------------------------------------------------------------- a medicine and its batches


def test_the_medicine_page_shows_batches_badges_and_their_ledgers(
    stocked, pharmacist, sign_in, receive
):
    amoxicillin = stocked["amoxicillin"]
    receive((amoxicillin, "AMX-SOON", 40, 5))
    page = sign_in(pharmacist).get(f"/pharmacy/stock/{amoxicillin.pk}/").content.decode()
    rows = page.split('data-testid="batches"')[1].split("<tr>")
    old = next(r for r in rows if ">AMX-OLD<" in r)
    soon = next(r for r in rows if ">AMX-SOON<" in r)
    fine = next(r for r in rows if ">AMX-1<" in r)
    assert "badge-expired" in old
    assert "Write off" in old
    assert "badge-near-expiry" in soon
    assert "badge-expired" not in soon
    assert "badge-" not in fine
    assert page.count('data-testid="batch-ledger"') == 3
    receipt = GoodsReceipt.objects.first()
    assert f'href="/pharmacy/stock/receipts/{receipt.pk}/"' in page


def test_the_near_expiry_window_is_a_setting(stocked, pharmacist, sign_in, settings):
    settings.CLINICFLOW_PHARMACY_NEAR_EXPIRY_DAYS = 250
    page = sign_in(pharmacist).get(f"/pharmacy/stock/{stocked['amoxicillin'].pk}/")
    fine = next(r for r in page.content.decode().split("<tr>") if ">AMX-1<" in r)
    assert "badge-near-expiry" in fine


def test_the_medicine_page_shows_empty_batches_when_asked(stocked, pharmacist, sign_in):
    amoxicillin = stocked["amoxicillin"]
    stock.write_off(actor=actor_for(pharmacist), batch=batch(amoxicillin, "AMX-OLD"))
    client = sign_in(pharmacist)
    assert ">AMX-OLD<" not in client.get(f"/pharmacy/stock/{amoxicillin.pk}/").content.decode()
    assert ">AMX-OLD<" in client.get(f"/pharmacy/stock/{amoxicillin.pk}/?all=1").content.decode()


def test_another_clinics_stock_is_not_found(stocked, other_clinic_manager, sign_in):
    client = sign_in(other_clinic_manager)
    amox = batch(stocked["amoxicillin"], "AMX-1")
    receipt = GoodsReceipt.objects.get()
    for url in (
        f"/pharmacy/stock/{stocked['amoxicillin'].pk}/",
        f"/pharmacy/stock/batches/{amox.pk}/",
        f"/pharmacy/stock/receipts/{receipt.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        f"/pharmacy/stock/batches/{amox.pk}/adjust/",
        {"adjust-quantity": "-1", "adjust-reason": "x"},
    )
    assert response.status_code == 404
    assert "AMX" not in client.get("/pharmacy/stock/ledger/").content.decode()
    amox.refresh_from_db()
    assert amox.on_hand == 30


# ---------------------------------------------------------------- batch actions


def test_adjusting_a_batch_from_its_page(stocked, pharmacist, sign_in):
    amox = batch(stocked["amoxicillin"], "AMX-1")
    client = sign_in(pharmacist)
    response = client.post(
        f"/pharmacy/stock/batches/{amox.pk}/adjust/",
        {"adjust-quantity": "-4", "adjust-reason": "Crushed box"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/pharmacy/stock/batches/{amox.pk}/"
    page = response.content.decode()
    assert "The batch was adjusted." in page
    assert "Crushed box" in page
    amox.refresh_from_db()
    assert amox.on_hand == 26


def test_a_refused_action_shows_its_error_at_the_field_and_changes_nothing(
    stocked, pharmacist, sign_in
):
    amox = batch(stocked["amoxicillin"], "AMX-1")
    client = sign_in(pharmacist)
    no_reason = client.post(
        f"/pharmacy/stock/batches/{amox.pk}/adjust/", {"adjust-quantity": "-1", "adjust-reason": ""}
    )
    assert no_reason.status_code == 200
    assert 'id="id_adjust-reason_errors"' in no_reason.content.decode()
    too_many = client.post(
        f"/pharmacy/stock/batches/{amox.pk}/adjust/",
        {"adjust-quantity": "-31", "adjust-reason": "Lost"},
    )
    form = too_many.content.decode().split('data-testid="form-adjust"')[1].split("</form>")[0]
    assert "Only 30 left" in form
    zero = client.post(
        f"/pharmacy/stock/batches/{amox.pk}/adjust/",
        {"adjust-quantity": "0", "adjust-reason": "x"},
    )
    assert 'id="id_adjust-quantity_errors"' in zero.content.decode()
    amox.refresh_from_db()
    assert amox.on_hand == 30
    assert amox.movements.count() == 1


def test_counting_a_batch(stocked, pharmacist, sign_in):
    amox = batch(stocked["amoxicillin"], "AMX-1")
    client = sign_in(pharmacist)
    url = f"/pharmacy/stock/batches/{amox.pk}/count/"
    client.post(url, {"count-counted": "28", "count-reason": "Monthly count"})
    amox.refresh_from_db()
    assert amox.on_hand == 28
    same = client.post(url, {"count-counted": "28", "count-reason": "Again"}, follow=True)
    assert "nothing changed" in same.content.decode()
    assert amox.movements.count() == 2


def test_an_expired_batch_is_quarantined_and_offers_the_write_off(stocked, pharmacist, sign_in):
    old = batch(stocked["amoxicillin"], "AMX-OLD")
    client = sign_in(pharmacist)
    page = client.get(f"/pharmacy/stock/batches/{old.pk}/").content.decode()
    assert "quarantined" in page
    form = page.split('data-testid="form-write_off"')[1].split("</form>")[0]
    assert f'value="Expired on {old.expiry_date}"' in form
    client.post(
        f"/pharmacy/stock/batches/{old.pk}/write-off/",
        {"write_off-reason": f"Expired on {old.expiry_date}"},
    )
    old.refresh_from_db()
    assert old.on_hand == 0
    assert old.movements.get(kind=MovementKind.WRITE_OFF).quantity == -8
    on_hand_matches_ledger()


@pytest.mark.parametrize("role", ["receptionist", "doctor"])
def test_the_desk_and_doctors_cannot_change_a_batch(role, request, stocked, sign_in):
    amox = batch(stocked["amoxicillin"], "AMX-1")
    client = sign_in(request.getfixturevalue(role))
    for action, data in (
        ("adjust", {"adjust-quantity": "-1", "adjust-reason": "x"}),
        ("count", {"count-counted": "0", "count-reason": "x"}),
        ("write-off", {"write_off-reason": "x"}),
    ):
        assert client.post(f"/pharmacy/stock/batches/{amox.pk}/{action}/", data).status_code == 403
    amox.refresh_from_db()
    assert amox.on_hand == 30


def test_the_batch_page_pages_its_ledger(stocked, pharmacist, sign_in):
    amox = batch(stocked["amoxicillin"], "AMX-1")
    actor = actor_for(pharmacist)
    for _ in range(55):
        stock.adjust(actor=actor, batch=amox, quantity="-0.5", reason="Sample")
    client = sign_in(pharmacist)
    first = client.get(f"/pharmacy/stock/batches/{amox.pk}/").content.decode()
    assert 'data-testid="next-page"' in first
    ledger = first.split('data-testid="batch-ledger"')[1]
    assert ledger.count("<tr>") == 51  # the header and 50 rows
    assert "batch-actions" in first


# ---------------------------------------------------------------- goods receipts


def receipt_post(*lines, supplier="MedSupply", invoice="INV-77", extra=3):
    data = {
        "supplier": supplier,
        "invoice_number": invoice,
        "invoice_date": "",
        "note": "",
        "lines-TOTAL_FORMS": str(max(len(lines), extra)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200",
    }
    for n, values in enumerate(lines):
        for key, value in values.items():
            data[f"lines-{n}-{key}"] = value
    return data


def typed_line(medicine, number="NEW-1", days=300, quantity="100", cost="0.40", sale=""):
    return {
        "medicine": str(medicine),
        "batch_number": number,
        "expiry_date": in_days(days).isoformat(),
        "quantity": quantity,
        "cost_price": cost,
        "sale_price": sale,
    }


def test_the_receipt_form_offers_the_catalogue_and_three_lines(medicines, pharmacist, sign_in):
    page = sign_in(pharmacist).get("/pharmacy/stock/receipts/new/").content.decode()
    assert page.count('data-testid="receipt-line"') == 3
    datalist = page.split('<datalist id="receipt-medicines">')[1].split("</datalist>")[0]
    assert datalist.count("<option") == len(medicines)
    assert 'list="receipt-medicines"' in page


def test_receiving_goods_from_the_form(medicines, amoxicillin, pharmacist, sign_in):
    paracetamol = medicines[("Paracetamol", "", "500 mg")]
    response = sign_in(pharmacist).post(
        "/pharmacy/stock/receipts/new/",
        receipt_post(typed_line(amoxicillin), {}, typed_line(paracetamol, "P-9", sale="0.25")),
        follow=True,
    )
    receipt = GoodsReceipt.objects.get()
    assert response.redirect_chain[-1][0] == f"/pharmacy/stock/receipts/{receipt.pk}/"
    page = response.content.decode()
    assert "Received 2 lines of invoice INV-77." in page
    lines = page.split('data-testid="receipt-lines"')[1]
    assert "NEW-1" in lines
    assert "P-9" in lines
    assert batch(paracetamol, "P-9").sale_price == Decimal("0.25")
    assert batch(amoxicillin, "NEW-1").sale_price == amoxicillin.sale_price
    assert receipt.received_by == pharmacist


def test_a_refused_line_shows_at_its_field_and_nothing_is_received(
    medicines, amoxicillin, pharmacist, sign_in
):
    paracetamol = medicines[("Paracetamol", "", "500 mg")]
    response = sign_in(pharmacist).post(
        "/pharmacy/stock/receipts/new/",
        receipt_post({}, typed_line(amoxicillin), typed_line(paracetamol, "P-9", days=-5)),
    )
    assert response.status_code == 200
    page = response.content.decode()
    # The blank first line was not sent: the service's line 2 is the page's third line.
    errors = page.split('id="id_lines-2-expiry_date_errors"')[1].split("</div>")[0]
    assert "This batch has already expired." in errors
    assert "Line 2" not in errors
    assert 'id="id_lines-1-expiry_date_errors"' not in page
    assert 'value="P-9"' in page  # what was typed is kept
    assert not GoodsReceipt.objects.exists()
    assert not StockBatch.objects.exists()


def test_form_errors_show_at_the_lines_fields(medicines, amoxicillin, pharmacist, sign_in):
    unknown = typed_line(amoxicillin)
    unknown["medicine"] = "Unobtainium 5 mg tablet"
    bad_quantity = typed_line(amoxicillin, "B-2", quantity="-3")
    page = (
        sign_in(pharmacist)
        .post("/pharmacy/stock/receipts/new/", receipt_post(unknown, bad_quantity, supplier=""))
        .content.decode()
    )
    assert "Choose a medicine of the catalogue" in page.split('id="id_lines-0-medicine_errors"')[1]
    assert 'id="id_lines-1-quantity_errors"' in page
    assert 'id="id_supplier_errors"' in page
    assert not GoodsReceipt.objects.exists()


def test_an_invoice_received_twice_or_without_lines_is_refused(amoxicillin, pharmacist, sign_in):
    client = sign_in(pharmacist)
    client.post("/pharmacy/stock/receipts/new/", receipt_post(typed_line(amoxicillin)))
    again = client.post(
        "/pharmacy/stock/receipts/new/", receipt_post(typed_line(amoxicillin, "OTHER"))
    ).content.decode()
    assert "is already received" in again.split('data-testid="form-errors"')[1]
    empty = client.post("/pharmacy/stock/receipts/new/", receipt_post(invoice="INV-78"))
    assert "Add at least one line." in empty.content.decode()
    assert GoodsReceipt.objects.count() == 1
    assert StockBatch.objects.count() == 1


def test_a_line_is_added_by_htmx(medicines, pharmacist, sign_in):
    response = sign_in(pharmacist).get(
        "/pharmacy/stock/receipts/new/line/?lines-TOTAL_FORMS=3", headers={"HX-Request": "true"}
    )
    page = response.content.decode()
    assert 'name="lines-3-batch_number"' in page
    assert "Line 4" in page
    assert 'name="lines-TOTAL_FORMS" value="4"' in page
    assert 'hx-swap-oob="true"' in page


def test_the_receipts_list_and_page(stocked, manager, sign_in):
    client = sign_in(manager)
    receipt = GoodsReceipt.objects.get()
    listed = client.get("/pharmacy/stock/receipts/?q=medsupply").content.decode()
    row = listed.split('data-testid="receipts"')[1]
    assert f"/pharmacy/stock/receipts/{receipt.pk}/" in row
    assert '<td class="text-end">3</td>' in row
    assert "INV-" not in client.get("/pharmacy/stock/receipts/?q=nobody").content.decode()
    page = client.get(f"/pharmacy/stock/receipts/{receipt.pk}/").content.decode()
    lines = page.split('data-testid="receipt-lines"')[1]
    assert all(n in lines for n in ("AMX-1", "AMX-OLD", "PAR-1"))


def test_the_receipts_list_costs_the_same_queries_for_more_receipts(
    stocked, pharmacist, sign_in, receive, amoxicillin
):
    client = sign_in(pharmacist)
    before = queries(client, "/pharmacy/stock/receipts/")
    for n in range(5):
        receive((amoxicillin, f"R{n}", 100, 5))
    assert queries(client, "/pharmacy/stock/receipts/") == before


# ---------------------------------------------------------------- the ledger


def test_the_ledger_filters_by_kind_medicine_and_day(stocked, pharmacist, sign_in):
    stock.write_off(
        actor=actor_for(pharmacist), batch=batch(stocked["amoxicillin"], "AMX-OLD")
    )  # fmt: skip
    client = sign_in(pharmacist)
    written_off = client.get("/pharmacy/stock/ledger/?kind=write_off").content.decode()
    table = written_off.split('data-testid="ledger"')[1]
    assert table.count("<tr>") == 2
    assert "AMX-OLD" in table
    para = client.get("/pharmacy/stock/ledger/?medicine=paracetamol").content.decode()
    assert "PAR-1" in para
    assert "AMX-1" not in para
    today = in_days(0).isoformat()
    assert "PAR-1" in client.get(f"/pharmacy/stock/ledger/?since={today}").content.decode()
    tomorrow = in_days(1).isoformat()
    future = client.get(f"/pharmacy/stock/ledger/?since={tomorrow}").content.decode()
    assert "No movements match." in future


def test_the_ledger_costs_the_same_queries_for_more_rows(stocked, pharmacist, sign_in):
    client = sign_in(pharmacist)
    before = queries(client, "/pharmacy/stock/ledger/")
    actor = actor_for(pharmacist)
    for _ in range(6):
        stock.adjust(actor=actor, batch=batch(stocked["amoxicillin"], "AMX-1"), quantity="-1",
                     reason="Sample")  # fmt: skip
    assert queries(client, "/pharmacy/stock/ledger/") == before


def test_the_ledger_exports_read_back(stocked, pharmacist, sign_in):
    client = sign_in(pharmacist)
    rows = csv_rows(client.get("/pharmacy/stock/ledger/export.csv?kind=receive"))
    assert sorted(r["Batch"] for r in rows) == ["AMX-1", "AMX-OLD", "PAR-1"]
    amox = next(r for r in rows if r["Batch"] == "AMX-1")
    assert amox["Kind"] == "Received"
    assert Decimal(amox["Quantity"]) == 30
    assert amox["Goods receipt"].startswith("MedSupply")
    sheet = xlsx_rows(client.get("/pharmacy/stock/ledger/export.xlsx?medicine=paracetamol"))
    header, *body = sheet
    assert "Balance after" in header
    assert len(body) == 1
    assert body[0][header.index("Batch")] == "PAR-1"
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.EXPORT, object_type="pharmacy.stockmovement"
        ).count()
        == 2
    )


# ---------------------------------------------------------------- dispensing history


@pytest.fixture
def dispensed(pharmacist, amoxicillin, receive, issue, patient):
    """Three dispenses of one amoxicillin item (4 of its 15 capsules each) for ``patient``."""
    receive((amoxicillin, "AMX-H", 200, 100))
    prescription = issue()
    actor = actor_for(pharmacist)
    dispensing.review(actor=actor, prescription=prescription)
    item = prescription.items.get()
    for _ in range(3):
        dispensing.dispense(actor=actor, item=item, quantity="4")
    return prescription


def test_the_history_lists_what_was_given_and_audits_the_reading(
    dispensed, pharmacist, patient, sign_in
):
    page = sign_in(pharmacist).get("/pharmacy/history/").content.decode()
    table = page.split('data-testid="history"')[1]
    assert table.count(patient.mrn) == 3
    assert "AMX-H" in table
    event = AuditEvent.objects.filter(action=AuditAction.VIEW, object_type="pharmacy.dispense")
    assert event.get().changes["patients"] == [str(patient.pk)]


def test_the_history_filters(dispensed, pharmacist, manager, doctor, patient, sign_in):
    client = sign_in(manager)

    def count(query: str) -> int:
        page = client.get(f"/pharmacy/history/?{query}").content.decode()
        return page.split('data-testid="history"')[1].count(patient.mrn)

    practitioner = dispensed.prescriber
    assert count(f"patient={patient.mrn.lower()}") == 3
    assert count(f"patient={patient.given_name}") == 3
    assert count("patient=Nobody") == 0
    assert count("medicine=amoxi") == 3
    assert count("medicine=paracetamol") == 0
    assert count(f"doctor={practitioner.pk}") == 3
    assert count(f"pharmacist={pharmacist.pk}") == 3
    assert count(f"pharmacist={manager.pk}") == 0  # not a pharmacist: not a valid choice
    assert count(f"since={in_days(0).isoformat()}&until={in_days(0).isoformat()}") == 3
    assert count(f"until={in_days(-1).isoformat()}") == 0


def test_the_history_costs_the_same_queries_for_more_dispenses(
    dispensed, pharmacist, sign_in
):  # fmt: skip
    client = sign_in(pharmacist)
    before = queries(client, "/pharmacy/history/")
    item = dispensed.items.get()
    for _ in range(2):
        dispensing.dispense(actor=actor_for(pharmacist), item=item, quantity="0.5")
    assert Dispense.objects.count() == 5
    assert queries(client, "/pharmacy/history/") == before


def test_the_history_exports_read_back_and_are_audited(dispensed, pharmacist, patient, sign_in):
    client = sign_in(pharmacist)
    rows = csv_rows(client.get(f"/pharmacy/history/export.csv?patient={patient.mrn}"))
    assert len(rows) == 3
    assert {r["MRN"] for r in rows} == {patient.mrn}
    assert {r["Batch"] for r in rows} == {"AMX-H"}
    assert rows[0]["Pharmacist"]
    header, *body = xlsx_rows(client.get("/pharmacy/history/export.xlsx"))
    assert len(body) == 3
    assert body[0][header.index("Patient")] == patient.full_name
    exports = AuditEvent.objects.filter(action=AuditAction.EXPORT, object_type="pharmacy.dispense")
    assert exports.count() == 2


def test_the_ledger_links_a_dispense_to_its_prescription(dispensed, pharmacist, manager, sign_in):
    link = f'href="/clinical/prescriptions/{dispensed.pk}/"'
    page = sign_in(pharmacist).get("/pharmacy/stock/ledger/?kind=dispense").content.decode()
    assert page.split('data-testid="ledger"')[1].count(link) == 3
    # A manager reads the ledger but not prescriptions: the row names the dispense, no link.
    page = sign_in(manager).get("/pharmacy/stock/ledger/?kind=dispense").content.decode()
    assert link not in page
    assert page.count("dispense #") == 3


def test_another_clinic_sees_none_of_the_history(dispensed, other_clinic_manager, sign_in):
    client = sign_in(other_clinic_manager)
    page = client.get("/pharmacy/history/").content.decode()
    assert "AMX-H" not in page
    assert csv_rows(client.get("/pharmacy/history/export.csv")) == []


# ---------------------------------------------------------------- the demo


def test_the_demo_stock_is_received_once_with_low_near_and_expired(clinic):
    from clinicflow.accounts.demo import load_demo
    from clinicflow.accounts.models import User
    from clinicflow.pharmacy import levels
    from clinicflow.pharmacy.demo import load_demo_catalogue, load_demo_stock

    load_demo()
    pharmacist = User.objects.get(username="pharmacist")
    load_demo_catalogue(pharmacist=pharmacist)
    made = load_demo_stock(pharmacist=pharmacist)
    assert made == StockBatch.objects.count() > 300
    assert load_demo_stock(pharmacist=pharmacist) == 0
    medicines = levels.with_levels(Medicine.objects.all())
    assert medicines.filter(is_low=True).count() >= 5
    assert medicines.filter(expired__gt=0).count() == 1
    today = stock.today()
    assert StockBatch.objects.filter(expiry_date__gt=today, expiry_date__lte=in_days(60)).exists()
    assert not StockBatch.objects.filter(expiry_date__gt=in_days(24 * 31)).exists()
    assert GoodsReceipt.objects.count() > 5
    on_hand_matches_ledger()
