"""The pharmacy API answers like the services: the same policy, refusals, ledger and audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from clinicflow.accounts.actors import actor_for
from clinicflow.clinical import prescribing
from clinicflow.clinical import services as clinical
from clinicflow.clinical.models import PrescriptionStatus
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.frontdesk import services as frontdesk
from clinicflow.pharmacy import dispensing, stock
from clinicflow.pharmacy.models import (
    Dispense,
    GoodsReceipt,
    Medicine,
    MovementKind,
    StockBatch,
    StockMovement,
)
from clinicflow.pharmacy.tests.conftest import PRESCRIBED, batch, in_days, on_hand_matches_ledger
from tests.factories import member

pytestmark = pytest.mark.django_db

NEW_MEDICINE = {
    "generic_name": "Cetirizine",
    "form": "tablet",
    "strength": "10 mg",
    "ingredients": " Cetirizine ",
    "drug_class": "antihistamine",
    "reorder_level": 30,
    "sale_price": "0.25",
}


def post(client, url, data=None):
    return client.post(url, data or {}, content_type="application/json")


def patch(client, url, data):
    return client.patch(url, data, content_type="application/json")


def reviewed(pharmacist, prescription):
    dispensing.review(actor=actor_for(pharmacist), prescription=prescription)
    return prescription


@pytest.fixture
def prescribe(receptionist, doctor, practitioner, register, icd10):
    """Another patient through the front desk and a signed consultation: their prescription."""

    def _prescribe(name: str, *items):
        patient = register(given_name=name, phone="")
        frontdesk.add_walk_in(
            actor=actor_for(receptionist), patient=patient, practitioner=practitioner
        )
        visit = frontdesk.call_next(actor=actor_for(doctor), practitioner=practitioner)
        encounter = clinical.open_encounter(actor=actor_for(doctor), entry=visit)
        for details in items or (PRESCRIBED,):
            prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=details)
        encounter.refresh_from_db()
        signed = clinical.save_note(
            actor=actor_for(doctor), encounter=encounter, fields={"plan": "Medicines"},
            version=encounter.version,
        )  # fmt: skip
        clinical.sign(
            actor=actor_for(doctor), encounter=signed, allergies_unasked_acknowledged=True
        )
        return signed.prescription

    return _prescribe


# ---------------------------------------------------------------- the catalogue


def test_a_pharmacist_adds_a_medicine_and_later_deactivates_it(pharmacist, sign_in):
    api = sign_in(pharmacist)
    created = post(api, "/api/v1/medicines/", NEW_MEDICINE)
    assert created.status_code == 201
    body = created.json()
    assert body["ingredients"] == "cetirizine"
    assert body["available"] == "0.00"
    url = f"/api/v1/medicines/{body['id']}/"
    assert patch(api, url, {"is_active": False}).json()["is_active"] is False
    listed = api.get("/api/v1/medicines/", {"is_active": "false", "q": "ceti"}).json()
    assert [m["id"] for m in listed["results"]] == [body["id"]]
    assert api.delete(url).status_code == 405
    assert Medicine.objects.filter(pk=body["id"]).exists()


def test_a_bad_medicine_is_refused_at_its_field_and_nothing_is_saved(
    pharmacist, amoxicillin, sign_in
):
    api = sign_in(pharmacist)
    before = Medicine.objects.count()
    missing = post(api, "/api/v1/medicines/", {**NEW_MEDICINE, "ingredients": ""})
    assert missing.status_code == 400
    assert "ingredients" in missing.json()
    negative = post(api, "/api/v1/medicines/", {**NEW_MEDICINE, "sale_price": "-1"})
    assert negative.status_code == 400
    assert "sale_price" in negative.json()
    twin = post(
        api,
        "/api/v1/medicines/",
        {"generic_name": "amoxicillin", "form": "Capsule", "strength": "500 MG",
         "ingredients": "amoxicillin"},
    )  # fmt: skip
    assert twin.status_code == 400
    assert twin.json()["field"] == "generic_name"
    renamed = patch(api, f"/api/v1/medicines/{amoxicillin.pk}/", {"generic_name": " "})
    assert renamed.status_code == 400
    assert Medicine.objects.count() == before
    amoxicillin.refresh_from_db()
    assert amoxicillin.generic_name == "Amoxicillin"


def test_a_pasted_control_character_is_refused_and_changes_nothing(
    pharmacist, amoxicillin, sign_in
):
    api = sign_in(pharmacist)
    refused = patch(api, f"/api/v1/medicines/{amoxicillin.pk}/", {"drug_class": "Analgesic\u0001"})
    assert refused.status_code == 400
    assert "control character" in refused.json()["drug_class"][0]
    amoxicillin.refresh_from_db()
    assert amoxicillin.drug_class == "penicillin"


def test_prescribers_read_the_catalogue_but_only_the_pharmacy_edits_it(
    doctor, receptionist, amoxicillin, sign_in
):
    as_doctor = sign_in(doctor)
    assert as_doctor.get(f"/api/v1/medicines/{amoxicillin.pk}/").status_code == 200
    assert post(as_doctor, "/api/v1/medicines/", NEW_MEDICINE).status_code == 403
    url = f"/api/v1/medicines/{amoxicillin.pk}/"
    assert patch(as_doctor, url, {"is_active": False}).status_code == 403
    assert sign_in(receptionist).get("/api/v1/medicines/").status_code == 403


def test_available_counts_only_usable_stock_on_the_list_and_the_record(
    pharmacist, amoxicillin, receive, sign_in
):
    receive(
        (amoxicillin, "A", 100, 30), (amoxicillin, "B", 200, 20), (amoxicillin, "OLD", 50, 40),
        (amoxicillin, "GONE", 60, 5),
    )  # fmt: skip
    StockBatch.objects.filter(batch_number="OLD").update(expiry_date=in_days(-1))
    stock.write_off(actor=actor_for(pharmacist), batch=batch(amoxicillin, "GONE"), reason="spilt")
    api = sign_in(pharmacist)
    listed = {m["id"]: m for m in api.get("/api/v1/medicines/").json()["results"]}
    assert Decimal(listed[amoxicillin.pk]["available"]) == stock.available(amoxicillin) == 50
    one = api.get(f"/api/v1/medicines/{amoxicillin.pk}/").json()
    assert one["available"] == "50.00"
    assert all(m["available"] == "0.00" for pk, m in listed.items() if pk != amoxicillin.pk)


def test_the_catalogue_list_costs_the_same_queries_for_few_and_many(
    pharmacist, medicines, receive, sign_in, django_assert_max_num_queries
):
    api = sign_in(pharmacist)
    with django_assert_max_num_queries(20) as few:
        api.get("/api/v1/medicines/")
    baseline = len(few.captured_queries)  # read now: each request clears the query log
    for n in range(12):
        medicine = post(api, "/api/v1/medicines/", {**NEW_MEDICINE, "strength": f"{n} mg"}).json()
        receive((Medicine.objects.get(pk=medicine["id"]), f"L{n}", 100, 10))
    with django_assert_max_num_queries(baseline):
        assert len(api.get("/api/v1/medicines/").json()["results"]) == 16


# ---------------------------------------------------------------- stock


def test_a_delivery_received_over_the_api_fills_its_batches(pharmacist, medicines, sign_in):
    amoxicillin, paracetamol = (
        medicines[("Amoxicillin", "", "500 mg")], medicines[("Paracetamol", "", "500 mg")]
    )  # fmt: skip
    api = sign_in(pharmacist)
    delivery = {
        "supplier": "MedSupply",
        "invoice_number": "INV-9",
        "invoice_date": str(in_days(-1)),
        "lines": [
            {"medicine": amoxicillin.pk, "batch_number": "AX1", "expiry_date": str(in_days(300)),
             "quantity": "100", "cost_price": "0.40", "sale_price": "1.20"},
            {"medicine": paracetamol.pk, "batch_number": "PC1", "expiry_date": str(in_days(400)),
             "quantity": "500", "cost_price": "0.05"},
        ],
    }  # fmt: skip
    created = post(api, "/api/v1/goods-receipts/", delivery)
    assert created.status_code == 201
    lines = created.json()["lines"]
    assert [(line["batch_number"], line["quantity"]) for line in lines] == [
        ("AX1", "100.00"),
        ("PC1", "500.00"),
    ]
    assert lines[1]["sale_price"] == "0.20"  # the catalogue's price when none is given
    assert batch(amoxicillin, "AX1").on_hand == 100
    one = api.get(f"/api/v1/goods-receipts/{created.json()['id']}/").json()
    assert one["invoice_number"] == "INV-9"
    again = post(api, "/api/v1/goods-receipts/", delivery)
    assert again.status_code == 409
    assert batch(amoxicillin, "AX1").on_hand == 100
    on_hand_matches_ledger()


def test_a_bad_line_names_itself_and_nothing_is_received(pharmacist, amoxicillin, sign_in):
    api = sign_in(pharmacist)
    good = {"medicine": amoxicillin.pk, "batch_number": "G1", "expiry_date": str(in_days(90)),
            "quantity": "10", "cost_price": "0.40"}  # fmt: skip
    expired = {**good, "batch_number": "X1", "expiry_date": str(in_days(-3))}
    refused = post(
        api,
        "/api/v1/goods-receipts/",
        {"supplier": "MedSupply", "invoice_number": "INV-1", "lines": [good, expired]},
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "lines.2.expiry_date"
    assert refused.json()["detail"].startswith("Line 2:")
    zero = {**good, "quantity": "0"}
    nothing = post(
        api, "/api/v1/goods-receipts/", {"supplier": "M", "invoice_number": "2", "lines": [zero]}
    )
    assert nothing.json()["field"] == "lines.1.quantity"
    empty = post(api, "/api/v1/goods-receipts/")
    assert empty.status_code == 400
    assert {"supplier", "invoice_number", "lines"} <= set(empty.json())
    assert not GoodsReceipt.objects.exists()
    assert not StockBatch.objects.exists()
    assert not StockMovement.objects.exists()


def test_batches_by_expiry_and_their_corrections_write_the_ledger(
    pharmacist, amoxicillin, receive, sign_in
):
    receive((amoxicillin, "SOON", 20, 30), (amoxicillin, "LATE", 400, 50))
    StockBatch.objects.filter(batch_number="SOON").update(expiry_date=in_days(-2))
    api = sign_in(pharmacist)
    rows = api.get("/api/v1/batches/", {"medicine": amoxicillin.pk}).json()["results"]
    assert [(b["batch_number"], b["expired"]) for b in rows] == [("SOON", True), ("LATE", False)]
    expired = api.get("/api/v1/batches/", {"expired": "true"}).json()["results"]
    assert [b["batch_number"] for b in expired] == ["SOON"]
    assert api.get("/api/v1/batches/", {"near_expiry": "90"}).json()["results"] == []
    near = api.get("/api/v1/batches/", {"near_expiry": "500"}).json()["results"]
    assert [b["batch_number"] for b in near] == ["LATE"]
    assert api.get("/api/v1/batches/", {"near_expiry": "-1"}).status_code == 400

    late, soon = batch(amoxicillin, "LATE"), batch(amoxicillin, "SOON")
    adjusted = post(api, f"/api/v1/batches/{late.pk}/adjust/", {"quantity": "-5", "reason": "wet"})
    assert adjusted.status_code == 201
    assert (adjusted.json()["kind"], adjusted.json()["balance_after"]) == ("adjust", "45.00")
    no_reason = post(api, f"/api/v1/batches/{late.pk}/adjust/", {"quantity": "-5"})
    assert no_reason.status_code == 400
    assert no_reason.json()["field"] == "reason"
    assert post(api, f"/api/v1/batches/{late.pk}/adjust/").status_code == 400
    same = post(api, f"/api/v1/batches/{late.pk}/count/", {"counted": "45", "reason": "count"})
    assert same.status_code == 204
    counted = post(api, f"/api/v1/batches/{late.pk}/count/", {"counted": "44", "reason": "count"})
    assert counted.json()["quantity"] == "-1.00"
    written = post(api, f"/api/v1/batches/{soon.pk}/write-off/")
    assert written.status_code == 201
    assert written.json()["reason"].startswith("Expired on")
    assert post(api, f"/api/v1/batches/{soon.pk}/write-off/").status_code == 409
    assert batch(amoxicillin, "LATE").on_hand == 44
    on_hand_matches_ledger()


def test_the_ledger_is_read_only_and_filtered(pharmacist, medicines, receive, sign_in):
    amoxicillin = medicines[("Amoxicillin", "", "500 mg")]
    paracetamol = medicines[("Paracetamol", "", "500 mg")]
    receive((amoxicillin, "A", 100, 30), (paracetamol, "P", 100, 60))
    stock.adjust(actor=actor_for(pharmacist), batch=batch(paracetamol, "P"), quantity="-2",
                 reason="broken")  # fmt: skip
    api = sign_in(pharmacist)
    rows = api.get("/api/v1/stock-movements/", {"medicine": paracetamol.pk}).json()["results"]
    assert [(m["kind"], m["quantity"]) for m in rows] == [("adjust", "-2.00"), ("receive", "60.00")]
    kinds = api.get("/api/v1/stock-movements/", {"kind": MovementKind.RECEIVE}).json()["results"]
    assert len(kinds) == 2
    today = str(in_days(0))
    assert len(api.get("/api/v1/stock-movements/", {"since": today}).json()["results"]) == 3
    tomorrow = str(in_days(1))
    assert api.get("/api/v1/stock-movements/", {"since": tomorrow}).json()["results"] == []
    assert post(api, "/api/v1/stock-movements/", {"kind": "adjust"}).status_code == 405
    one = rows[0]["id"]
    assert api.delete(f"/api/v1/stock-movements/{one}/").status_code == 405


def test_stock_is_the_pharmacy_and_managers_business(
    receptionist, doctor, manager, other_clinic_manager, amoxicillin, receive, sign_in
):
    receive((amoxicillin, "A", 100, 30))
    row = batch(amoxicillin, "A")
    for person in (receptionist, doctor):
        api = sign_in(person)
        assert api.get("/api/v1/batches/").status_code == 403
        assert api.get("/api/v1/stock-movements/").status_code == 403
        assert api.get("/api/v1/goods-receipts/").status_code == 403
        refused = post(api, f"/api/v1/batches/{row.pk}/adjust/", {"quantity": "-1", "reason": "x"})
        assert refused.status_code == 403
    as_manager = sign_in(manager)
    done = post(
        as_manager, f"/api/v1/batches/{row.pk}/adjust/", {"quantity": "2", "reason": "found"}
    )
    assert done.status_code == 201
    elsewhere = sign_in(other_clinic_manager)
    assert elsewhere.get(f"/api/v1/batches/{row.pk}/").status_code == 404
    assert elsewhere.get(f"/api/v1/medicines/{amoxicillin.pk}/").status_code == 404
    assert elsewhere.get("/api/v1/batches/").json()["results"] == []
    moved = post(elsewhere, f"/api/v1/batches/{row.pk}/adjust/", {"quantity": "-1", "reason": "x"})
    assert moved.status_code == 404
    assert batch(amoxicillin, "A").on_hand == 32


def test_the_stock_lists_cost_the_same_queries_for_few_and_many(
    pharmacist, amoxicillin, receive, sign_in, django_assert_max_num_queries
):
    receive((amoxicillin, "B0", 100, 10))
    api = sign_in(pharmacist)
    urls = ["/api/v1/batches/", "/api/v1/stock-movements/", "/api/v1/goods-receipts/"]
    few = {}
    for url in urls:
        with django_assert_max_num_queries(20) as counted:
            api.get(url)
        few[url] = len(counted.captured_queries)
    for n in range(1, 8):
        receive((amoxicillin, f"B{n}", 100 + n, 10), (amoxicillin, f"C{n}", 200 + n, 5))
    for url in urls:
        with django_assert_max_num_queries(few[url]):
            assert len(api.get(url).json()["results"]) > 7


# ---------------------------------------------------------------- dispensing


def test_the_queue_shows_what_remains_of_each_item(
    pharmacist, amoxicillin, receive, issue, sign_in
):
    receive((amoxicillin, "B1", 100, 100))
    prescription = reviewed(pharmacist, issue())
    item = prescription.items.get()
    dispensing.dispense(actor=actor_for(pharmacist), item=item, quantity="6")
    [row] = sign_in(pharmacist).get("/api/v1/pharmacy-queue/").json()["results"]
    assert row["id"] == str(prescription.pk)
    assert row["status"] == PrescriptionStatus.PARTIALLY_DISPENSED
    assert row["prescriber_name"].startswith("Dr ")
    [line] = row["items"]
    assert line["in_words"] == item.in_words
    expected = dispensing.progress(prescription)[0]
    assert (line["dispensed"], line["remaining"]) == ("6.00", "9.00")
    assert Decimal(line["remaining"]) == expected.remaining


def test_the_queue_costs_the_same_queries_for_few_and_many(
    pharmacist, amoxicillin, receive, prescribe, sign_in, django_assert_max_num_queries
):
    receive((amoxicillin, "B1", 100, 500))
    first = reviewed(pharmacist, prescribe("First"))
    dispensing.dispense(actor=actor_for(pharmacist), item=first.items.get(), quantity="3")
    api = sign_in(pharmacist)
    with django_assert_max_num_queries(20) as few:
        assert len(api.get("/api/v1/pharmacy-queue/").json()["results"]) == 1
    baseline = len(few.captured_queries)
    for name in ("Second", "Third", "Fourth"):
        prescription = reviewed(pharmacist, prescribe(name, PRESCRIBED, {**PRESCRIBED,
                                "medicine_name": "Paracetamol", "strength": "500 mg",
                                "form": "tablet"}))  # fmt: skip
        dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.first(),
                            quantity="1")  # fmt: skip
    with django_assert_max_num_queries(baseline):
        rows = api.get("/api/v1/pharmacy-queue/").json()["results"]
    assert [len(r["items"]) for r in rows] == [1, 2, 2, 2]


def test_a_prescription_reviewed_dispensed_in_part_and_finished_over_the_api(
    pharmacist, amoxicillin, receive, issue, sign_in
):
    receive((amoxicillin, "LATE", 300, 100), (amoxicillin, "SOON", 30, 10))
    prescription = issue()
    item = prescription.items.get()
    api = sign_in(pharmacist)
    url = f"/api/v1/dispensing/{prescription.pk}/"
    assert api.get(f"{url}findings/").json() == []
    early = post(api, f"{url}dispense/", {"item": item.pk})
    assert early.status_code == 400
    assert "Review" in early.json()["detail"]
    reviewed_now = post(api, f"{url}review/")
    assert reviewed_now.status_code == 201
    assert reviewed_now.json()["findings"] == []
    part = post(api, f"{url}dispense/", {"item": item.pk, "quantity": "12"})
    assert part.status_code == 201
    assert [(d["batch_number"], d["quantity"]) for d in part.json()] == [
        ("SOON", "10.00"),
        ("LATE", "2.00"),
    ]
    standing = api.get(url).json()
    assert standing["status"] == PrescriptionStatus.PARTIALLY_DISPENSED
    assert standing["items"][0]["remaining"] == "3.00"
    assert standing["review"]["reviewed_by"]
    too_much = post(api, f"{url}dispense/", {"item": item.pk, "quantity": "4"})
    assert too_much.status_code == 400
    assert too_much.json()["field"] == "quantity"
    assert post(api, f"{url}dispense/", {"item": 99999}).json()["field"] == "item"
    assert post(api, f"{url}dispense/", {"item": item.pk, "batch": 99999}).json()["field"] == (
        "batch"
    )
    assert post(api, f"{url}dispense/").status_code == 400
    rest = post(api, f"{url}dispense/", {"item": item.pk})
    assert rest.json()[0]["quantity"] == "3.00"
    assert api.get(url).json()["status"] == PrescriptionStatus.DISPENSED
    after = post(api, f"{url}dispense/", {"item": item.pk, "quantity": "1"})
    assert after.status_code == 409
    assert batch(amoxicillin, "LATE").on_hand == 95
    on_hand_matches_ledger()


def test_a_dispense_over_the_api_costs_at_most_twelve_queries(
    pharmacist, amoxicillin, receive, issue, sign_in, committed_chains
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    receive((amoxicillin, "B1", 100, 40))
    prescription = reviewed(pharmacist, issue())
    item = prescription.items.get()
    api = sign_in(pharmacist)
    api.get("/api/v1/dispensing/")
    committed_chains()
    with CaptureQueriesContext(connection) as captured:
        response = post(api, f"/api/v1/dispensing/{prescription.pk}/dispense/", {"item": item.pk})
    assert response.status_code == 201
    assert response.json()[0]["prescriber_name"] == str(prescription.prescriber)
    # The tests' own transaction turns the service's into a savepoint: not counted.
    statements = [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # The patient has no phone or e-mail: telling them the medicines are ready reads nothing.
    assert len(statements) <= 12, "\n".join(s[:80] for s in statements)
    assert sum(s.startswith('INSERT INTO "core_auditevent"') for s in statements) == 1


def test_a_dispense_names_an_item_of_that_prescription_in_reach(
    pharmacist, other_clinic_manager, amoxicillin, receive, prescribe, sign_in
):
    """The item and its prescription are read in one query: an item of another prescription,
    a malformed address and another clinic's manager are still refused, nothing given."""
    receive((amoxicillin, "B1", 100, 100))
    first, second = (reviewed(pharmacist, prescribe(n)) for n in ("Asha", "Bina"))
    api = sign_in(pharmacist)
    other_item = post(
        api, f"/api/v1/dispensing/{first.pk}/dispense/", {"item": second.items.get().pk}
    )
    assert (other_item.status_code, other_item.json()["field"]) == (400, "item")
    assert post(api, "/api/v1/dispensing/not-an-id/dispense/", {"item": 1}).status_code == 404
    stranger = post(
        sign_in(other_clinic_manager),
        f"/api/v1/dispensing/{first.pk}/dispense/",
        {"item": first.items.get().pk},
    )
    assert stranger.status_code == 403  # no dispensing there, let alone here
    assert not Dispense.objects.exists()


def test_too_little_stock_is_a_conflict_and_nothing_is_given(
    pharmacist, amoxicillin, receive, issue, sign_in
):
    receive((amoxicillin, "B1", 100, 4))
    prescription = reviewed(pharmacist, issue())
    item = prescription.items.get()
    refused = post(
        sign_in(pharmacist), f"/api/v1/dispensing/{prescription.pk}/dispense/", {"item": item.pk}
    )
    assert refused.status_code == 409
    assert not Dispense.objects.exists()
    assert batch(amoxicillin, "B1").on_hand == 4


def test_a_new_warning_needs_the_pharmacists_note(pharmacist, nurse, patient, issue, sign_in):
    from clinicflow.patients.services import record_allergy

    prescription = issue()
    record_allergy(
        actor=actor_for(nurse), patient=patient, substance="Amoxicillin", severity="severe"
    )
    api = sign_in(pharmacist)
    url = f"/api/v1/dispensing/{prescription.pk}/"
    [finding] = api.get(f"{url}findings/").json()
    assert finding["kind"] == "allergy"
    assert finding["is_new"] is True
    refused = post(api, f"{url}review/")
    assert refused.status_code == 400
    assert refused.json()["field"] == "note"
    done = post(api, f"{url}review/", {"note": "Spoke to the doctor: switched"})
    assert done.json()["findings"][0]["kind"] == "allergy"
    assert (
        AuditEvent.objects.all_clinics()
        .filter(action=AuditAction.VIEW, object_id=str(prescription.pk), changes__part="findings")
        .exists()
    )


def test_cancelling_keeps_what_was_given_and_stops_the_rest(
    pharmacist, amoxicillin, receive, issue, sign_in
):
    receive((amoxicillin, "B1", 100, 100))
    prescription = reviewed(pharmacist, issue())
    dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get(), quantity="5")
    api = sign_in(pharmacist)
    url = f"/api/v1/dispensing/{prescription.pk}/"
    no_reason = post(api, f"{url}cancel/")
    assert no_reason.status_code == 400
    assert no_reason.json()["field"] == "reason"
    cancelled = post(api, f"{url}cancel/", {"reason": "Patient went to hospital"})
    assert cancelled.json()["status"] == PrescriptionStatus.CANCELLED
    assert cancelled.json()["status_reason"] == "Patient went to hospital"
    assert post(api, f"{url}cancel/", {"reason": "again"}).status_code == 409
    assert api.get("/api/v1/pharmacy-queue/").json()["results"] == []
    assert Dispense.objects.count() == 1


def test_only_a_pharmacist_of_the_clinic_dispenses(
    doctor, manager, receptionist, clinic, other_clinic, amoxicillin, receive, issue, sign_in
):
    receive((amoxicillin, "B1", 100, 100))
    prescription = issue()
    item = prescription.items.get()
    url = f"/api/v1/dispensing/{prescription.pk}/"
    for person in (doctor, manager):
        api = sign_in(person)
        assert post(api, f"{url}review/").status_code == 403
        assert post(api, f"{url}dispense/", {"item": item.pk}).status_code == 403
        assert post(api, f"{url}cancel/", {"reason": "no"}).status_code == 403
        assert api.get(f"{url}findings/").status_code == 403
    assert sign_in(manager).get(url).status_code == 200  # managers follow the queue
    assert sign_in(receptionist).get("/api/v1/pharmacy-queue/").status_code == 403
    elsewhere = sign_in(member(Role.PHARMACIST, other_clinic, username="elsewhere"))
    assert elsewhere.get(url).status_code == 404
    assert post(elsewhere, f"{url}review/").status_code == 404
    assert elsewhere.get("/api/v1/pharmacy-queue/").json()["results"] == []
    assert not Dispense.objects.exists()
    prescription.refresh_from_db()
    assert prescription.status == PrescriptionStatus.ISSUED


def test_the_dispensing_history_is_filtered_and_each_read_audited(
    pharmacist, manager, receptionist, other_clinic_manager, amoxicillin, receive, prescribe,
    sign_in,
):  # fmt: skip
    receive((amoxicillin, "B1", 100, 100))
    first, second = (reviewed(pharmacist, prescribe(n)) for n in ("Asha", "Bina"))
    for prescription in (first, second):
        dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    api = sign_in(manager)
    rows = api.get("/api/v1/dispenses/", {"patient": str(first.patient_id)}).json()["results"]
    assert [(r["patient_name"], r["quantity"]) for r in rows] == [("Asha Sharma", "15.00")]
    assert rows[0]["batch_number"] == "B1"
    assert len(api.get("/api/v1/dispenses/", {"medicine": amoxicillin.pk}).json()["results"]) == 2
    by_pharmacist = api.get("/api/v1/dispenses/", {"dispensed_by": pharmacist.pk}).json()
    assert len(by_pharmacist["results"]) == 2
    assert api.get("/api/v1/dispenses/", {"since": str(in_days(1))}).json()["results"] == []
    prescriber = api.get("/api/v1/dispenses/", {"prescriber": first.prescriber_id}).json()
    assert len(prescriber["results"]) == 2
    listed = AuditEvent.objects.all_clinics().filter(
        action=AuditAction.VIEW, object_type="pharmacy.dispense"
    )
    first_read = listed.order_by("pk").first()
    assert first_read.changes["patients"] == [str(first.patient_id)]
    assert first_read.actor == manager
    one = api.get(f"/api/v1/dispenses/{rows[0]['id']}/")
    assert one.status_code == 200
    assert listed.filter(object_id=str(rows[0]["id"])).exists()
    assert sign_in(receptionist).get("/api/v1/dispenses/").status_code == 403
    elsewhere = sign_in(other_clinic_manager)
    assert elsewhere.get(f"/api/v1/dispenses/{rows[0]['id']}/").status_code == 404


def test_the_history_costs_the_same_queries_for_few_and_many(
    pharmacist, amoxicillin, receive, prescribe, sign_in, django_assert_max_num_queries
):
    receive((amoxicillin, "B1", 100, 50), (amoxicillin, "B2", 200, 500))
    first = reviewed(pharmacist, prescribe("One"))
    dispensing.dispense(actor=actor_for(pharmacist), item=first.items.get())
    api = sign_in(pharmacist)
    with django_assert_max_num_queries(25) as few:
        api.get("/api/v1/dispenses/")
    baseline = len(few.captured_queries)
    for name in ("Two", "Three", "Four"):
        prescription = reviewed(pharmacist, prescribe(name))
        dispensing.dispense(actor=actor_for(pharmacist), item=prescription.items.get())
    with django_assert_max_num_queries(baseline):
        assert len(api.get("/api/v1/dispenses/").json()["results"]) >= 4


def test_a_draft_prescription_is_not_the_pharmacys(pharmacist, doctor, encounter, sign_in):
    prescribing.add_item(actor=actor_for(doctor), encounter=encounter, details=PRESCRIBED)
    draft = encounter.prescription
    assert draft.status == PrescriptionStatus.DRAFT
    assert sign_in(pharmacist).get(f"/api/v1/dispensing/{draft.pk}/").status_code == 404


def test_a_batch_expiring_soon_is_listed_by_days(pharmacist, amoxicillin, receive, sign_in):
    receive((amoxicillin, "SOON", 10, 5), (amoxicillin, "LATER", 120, 5))
    days = (batch(amoxicillin, "SOON").expiry_date - in_days(0)) + timedelta(days=1)
    rows = sign_in(pharmacist).get("/api/v1/batches/", {"near_expiry": days.days}).json()
    assert [b["batch_number"] for b in rows["results"]] == ["SOON"]
