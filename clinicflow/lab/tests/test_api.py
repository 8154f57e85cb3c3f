"""The lab's API answers like the services: each role's work end to end, the same refusals,
the fields the policy gives each role, every read of results audited, lists in a bounded
number of queries, and one verification of a test when two are sent at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core import policy
from clinicflow.core.models import AuditAction, AuditEvent
from clinicflow.core.roles import Role
from clinicflow.lab import orders, results, samples
from clinicflow.lab.models import (
    CriticalAlert,
    LabOrder,
    LabSection,
    LabTest,
    OrderedTest,
    Result,
    ResultStatus,
    Sample,
    TestStatus,
)
from clinicflow.lab.tests.conftest import lab_queries, values_for
from tests.concurrency import at_once
from tests.factories import member

pytestmark = pytest.mark.django_db

NORMAL = {"total_cholesterol": "180", "hdl": "50", "triglycerides": "100"}
CRITICAL = {"total_cholesterol": "260", "hdl": "35", "triglycerides": "1200"}


def post(client: Any, url: str, data: Any = None) -> Any:
    return client.post(url, data or {}, content_type="application/json")


def taken_minutes_ago(minutes: int = 5) -> str:
    return (timezone.now() - timedelta(minutes=minutes)).isoformat()


@pytest.fixture
def second_technician(clinic):
    return member(Role.LAB_TECHNICIAN, clinic, username="lab2")


@pytest.fixture
def order(doctor, patient, encounter, lipid_profile) -> LabOrder:
    return orders.place(
        actor=actor_for(doctor),
        patient=patient,
        tests=[lipid_profile],
        urgency="urgent",
        clinical_note="Fasting",
        encounter=encounter,
    )


def collect(nurse: Any, order: LabOrder) -> OrderedTest:
    samples.collect(
        actor=actor_for(nurse), order=order, collected_at=timezone.now() - timedelta(minutes=5)
    )
    return order.tests.get()


def enter(technician: Any, ordered_test: OrderedTest, by_code: dict[str, str]) -> None:
    results.enter(
        actor=actor_for(technician),
        ordered_test=ordered_test,
        values=values_for(ordered_test.test, **by_code),
    )


def views_of(patient: Any) -> list[AuditEvent]:
    key = str(patient.pk)
    return [
        event
        for event in AuditEvent.objects.for_clinic(patient.clinic).filter(action=AuditAction.VIEW)
        if event.changes.get("patient") == key or key in event.changes.get("patients", [])
    ]


# ---------------------------------------------------------------- each role's work, end to end


def test_an_order_goes_from_the_doctor_to_the_bench_and_its_critical_value_back(
    doctor, nurse, lab_technician, second_technician, patient, encounter, lipid_profile, sign_in
):
    as_doctor, as_nurse = sign_in(doctor), sign_in(nurse)
    bench, checker = sign_in(lab_technician), sign_in(second_technician)

    placed = post(
        as_doctor,
        "/api/v1/lab-orders/",
        {
            "patient": str(patient.pk),
            "tests": [lipid_profile.pk],
            "urgency": "urgent",
            "encounter": str(encounter.pk),
            "clinical_note": "Fasting",
        },
    )
    assert placed.status_code == 201, placed.content
    body = placed.json()
    assert sorted(body) == sorted(policy.LAB_ORDER_STATUS)  # ordering hands out no results
    assert body["source"] == "consultation"
    assert body["number"].startswith("O")
    (ordered,) = body["tests"]
    assert (ordered["code"], ordered["status"]) == ("LIPID", "ordered")
    order_url = f"/api/v1/lab-orders/{body['id']}/"

    taken = post(as_nurse, order_url + "collect/", {"collected_at": taken_minutes_ago(10)})
    assert taken.status_code == 201, taken.content
    (sample,) = taken.json()
    assert sample["tests"] == [ordered["id"]]
    assert sample["accession"]

    test_url = f"/api/v1/lab-ordered-tests/{ordered['id']}/"
    entered = post(bench, test_url + "results/", {"values": values_for(lipid_profile, **CRITICAL)})
    assert entered.status_code == 200, entered.content
    flags = {r["code"]: r["flag"] for r in entered.json()["results"]}
    assert flags["triglycerides"] == "HH"
    assert entered.json()["status"] == "resulted"
    # Not yet released: the doctor and the nurse see no value, the bench sees it.
    assert as_nurse.get(order_url).json()["results"] == []
    assert len(bench.get(order_url).json()["results"]) == 4

    own = post(bench, test_url + "verify/")
    assert own.status_code == 400
    assert own.json()["code"] == "same_person"
    verified = post(checker, test_url + "verify/")
    assert verified.status_code == 200, verified.content
    assert verified.json()["status"] == "verified"

    mine = as_doctor.get("/api/v1/lab-alerts/").json()["results"]
    assert [(a["parameter"], a["flag"], a["order"]) for a in mine] == [
        ("Triglycerides", "HH", body["id"])
    ]
    done = post(
        as_doctor,
        f"/api/v1/lab-alerts/{mine[0]['id']}/acknowledge/",
        {"action_taken": "Patient called back; repeat fasting sample tomorrow"},
    )
    assert done.status_code == 200, done.content
    assert done.json()["acknowledged_by"]
    assert done.json()["acknowledged_at"]
    assert as_doctor.get("/api/v1/lab-alerts/").json()["results"] == []
    assert CriticalAlert.objects.get().action_taken.startswith("Patient called back")

    read = as_doctor.get(order_url).json()
    assert {r["code"]: r["value"] for r in read["results"]}["triglycerides"] == "1200.0000"
    assert sorted(read["results"][0]) == sorted(policy.LAB_RESULT_CLINICAL)
    assert sorted(bench.get(order_url).json()["results"][0]) == sorted(policy.LAB_RESULT_BENCH)


def test_reception_registers_a_direct_visit_and_follows_it_without_its_results(
    receptionist, doctor, nurse, lab_technician, second_technician, patient, lipid_profile, sign_in
):
    desk = sign_in(receptionist)
    refused = post(
        desk, "/api/v1/lab-orders/", {"patient": str(patient.pk), "tests": [lipid_profile.pk]}
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "referrer"
    assert not LabOrder.objects.exists()
    placed = post(
        desk,
        "/api/v1/lab-orders/",
        {"patient": str(patient.pk), "tests": [lipid_profile.pk], "referrer": "Dr K. Thapa"},
    )
    assert placed.status_code == 201, placed.content
    order = LabOrder.objects.get()
    assert (order.source, order.ordering_doctor, order.referrer) == ("direct", None, "Dr K. Thapa")
    ordered = collect(nurse, order)
    enter(lab_technician, ordered, NORMAL)
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)

    assert desk.get("/api/v1/lab-orders/").status_code == 403
    assert desk.get(f"/api/v1/lab-orders/{order.pk}/").status_code == 403
    (row,) = desk.get("/api/v1/lab-order-status/").json()["results"]
    assert sorted(row) == sorted(policy.LAB_ORDER_STATUS)
    assert sorted(row["tests"][0]) == sorted(policy.LAB_TEST_STATUS)
    assert row["tests"][0]["status"] == "verified"
    assert row["ordering_doctor_name"] == "Dr K. Thapa"
    detail = desk.get(f"/api/v1/lab-order-status/{order.pk}/")
    assert b"180" not in detail.content
    assert b"results" not in detail.content


def test_every_read_of_an_order_is_audited(order, doctor, nurse, patient, sign_in):
    client = sign_in(doctor)
    before = len(views_of(patient))
    assert client.get("/api/v1/lab-orders/", {"patient": str(patient.pk)}).status_code == 200
    assert client.get(f"/api/v1/lab-orders/{order.pk}/").status_code == 200
    events = views_of(patient)[before:]
    assert len(events) == 2
    listed, opened = sorted(events, key=lambda e: e.pk)
    assert listed.changes["patients"] == [str(patient.pk)]
    assert listed.changes["filters"] == {"patient": str(patient.pk)}
    assert opened.object_id == str(order.pk)


def test_the_catalogue_lists_tests_with_parameters_and_ranges(lipid_profile, receptionist, sign_in):
    rows = sign_in(receptionist).get("/api/v1/lab-tests/", {"q": "lipid"}).json()["results"]
    (lipid,) = rows
    assert lipid["code"] == "LIPID"
    assert lipid["price"] == "800.00"
    by_code = {p["code"]: p for p in lipid["parameters"]}
    assert by_code["triglycerides"]["ranges"][0]["critical_high"] == "1000.0000"
    assert by_code["ldl"]["result_type"] == "calculated"


def test_a_result_is_amended_with_a_reason_and_the_original_kept(
    order, nurse, lab_technician, second_technician, sign_in
):
    ordered = collect(nurse, order)
    enter(lab_technician, ordered, NORMAL)
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    hdl = Result.objects.get(ordered_test=ordered, parameter__code="hdl")
    bench = sign_in(lab_technician)
    url = f"/api/v1/lab-results/{hdl.pk}/amend/"
    blank = post(bench, url, {"value": "55", "reason": " "})
    assert blank.status_code == 400
    assert blank.json()["field"] == "reason"
    amended = post(bench, url, {"value": "55", "reason": "Transcription error"})
    assert amended.status_code == 201, amended.content
    assert (amended.json()["value"], amended.json()["amends"]) == ("55.0000", hdl.pk)
    hdl.refresh_from_db()
    assert hdl.status == ResultStatus.SUPERSEDED


def test_a_sample_is_received_or_rejected_with_a_reason(
    order, nurse, lab_technician, lipid_profile, sign_in
):
    collect(nurse, order)
    sample = Sample.objects.get()
    bench = sign_in(lab_technician)
    received = post(bench, f"/api/v1/lab-samples/{sample.pk}/receive/")
    assert received.status_code == 200
    assert received.json()["status"] == "received"
    unknown = post(bench, f"/api/v1/lab-samples/{sample.pk}/reject/", {"reason": "spilt"})
    assert unknown.status_code == 400
    assert "reason" in unknown.json()
    rejected = post(
        bench, f"/api/v1/lab-samples/{sample.pk}/reject/", {"reason": "haemolysed", "note": "Pink"}
    )
    assert rejected.status_code == 200
    assert rejected.json()["rejection_reason"] == "haemolysed"
    assert order.tests.get().status == TestStatus.REJECTED


def test_the_ordering_doctor_cancels_a_test_with_a_reason(order, doctor, sign_in):
    client = sign_in(doctor)
    url = f"/api/v1/lab-ordered-tests/{order.tests.get().pk}/cancel/"
    assert post(client, url, {"reason": ""}).json()["field"] == "reason"
    cancelled = post(client, url, {"reason": "Done elsewhere last week"})
    assert cancelled.status_code == 200, cancelled.content
    assert sorted(cancelled.json()) == sorted(policy.LAB_TEST_STATUS)
    assert cancelled.json()["status"] == "cancelled"


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("role", "method", "url"),
    [
        (Role.NURSE, "post", "/api/v1/lab-orders/"),
        (Role.PHARMACIST, "get", "/api/v1/lab-orders/"),
        (Role.RECEPTIONIST, "post", "/api/v1/lab-ordered-tests/{test}/results/"),
        (Role.NURSE, "post", "/api/v1/lab-ordered-tests/{test}/verify/"),
        (Role.DOCTOR, "post", "/api/v1/lab-samples/{sample}/receive/"),
        (Role.CASHIER, "post", "/api/v1/lab-orders/{order}/collect/"),
        (Role.LAB_TECHNICIAN, "get", "/api/v1/lab-alerts/"),
        (Role.NURSE, "post", "/api/v1/lab-ordered-tests/{test}/cancel/"),
    ],
)
def test_a_role_without_the_action_is_refused(role, method, url, clinic, order, nurse, sign_in):
    ordered = collect(nurse, order)
    client = sign_in(member(role, clinic, username=f"refused_{role.value}"))
    address = url.format(order=order.pk, test=ordered.pk, sample=ordered.sample_id)
    response = getattr(client, method)(address, {}, content_type="application/json")
    assert response.status_code == 403


def test_another_clinics_records_are_not_found(
    other_clinic, other_clinic_doctor, other_clinic_manager, register, order, doctor, nurse,
    lab_technician, sign_in
):  # fmt: skip
    section = LabSection.objects.create(clinic=other_clinic, name="Biochemistry")
    glucose = LabTest.objects.create(
        clinic=other_clinic, code="GLU", name="Glucose", section=section
    )
    elsewhere = register(actor_user=other_clinic_manager, given_name="Pema")
    theirs = orders.place(actor=actor_for(other_clinic_doctor), patient=elsewhere, tests=[glucose])
    their_test = theirs.tests.get()
    assert sign_in(doctor).get(f"/api/v1/lab-orders/{theirs.pk}/").status_code == 404
    assert sign_in(doctor).get(f"/api/v1/lab-order-status/{theirs.pk}/").status_code == 404
    when = {"collected_at": taken_minutes_ago()}
    assert post(sign_in(nurse), f"/api/v1/lab-orders/{theirs.pk}/collect/", when).status_code == 404
    bench = sign_in(lab_technician)
    assert post(bench, f"/api/v1/lab-ordered-tests/{their_test.pk}/verify/").status_code == 404
    cancel = f"/api/v1/lab-ordered-tests/{their_test.pk}/cancel/"
    assert post(sign_in(doctor), cancel, {"reason": "x"}).status_code == 404
    # Naming their patient or test in an order is "no such record", as a missing one would be.
    as_doctor = sign_in(doctor)
    foreign_patient = post(
        as_doctor, "/api/v1/lab-orders/", {"patient": str(elsewhere.pk), "tests": [glucose.pk]}
    )
    assert foreign_patient.status_code == 400
    assert foreign_patient.json()["field"] == "patient"
    foreign_test = post(
        as_doctor,
        "/api/v1/lab-orders/",
        {"patient": str(order.patient_id), "tests": [glucose.pk], "referrer": "x"},
    )
    assert foreign_test.status_code == 400
    assert foreign_test.json()["field"] == "tests"
    assert LabOrder.objects.for_clinic(order.clinic).count() == 1


def test_bad_values_are_refused_by_field_and_nothing_is_saved(
    order, nurse, lab_technician, lipid_profile, sign_in
):
    ordered = collect(nurse, order)
    bench = sign_in(lab_technician)
    url = f"/api/v1/lab-ordered-tests/{ordered.pk}/results/"
    ids = values_for(lipid_profile, total_cholesterol="", hdl="")
    tc, hdl = ids  # the parameters' ids, in the order named
    not_a_number = post(bench, url, {"values": {tc: "abc", hdl: "50"}})
    assert not_a_number.status_code == 400
    assert not_a_number.json()["field"] == f"values.{tc}"
    assert not_a_number.json()["code"] == "not_a_number"
    implausible = post(bench, url, {"values": {tc: "5000", hdl: "50"}})
    assert implausible.status_code == 400
    assert implausible.json()["field"] == f"values.{tc}"
    shapeless = post(bench, url, {"values": ["180"]})
    assert shapeless.status_code == 400
    assert "values" in shapeless.json()
    assert not Result.objects.exists()
    assert OrderedTest.objects.get(pk=ordered.pk).status == TestStatus.COLLECTED


def test_a_collection_time_in_the_future_is_refused(order, nurse, sign_in):
    when = (timezone.now() + timedelta(hours=1)).isoformat()
    refused = post(
        sign_in(nurse), f"/api/v1/lab-orders/{order.pk}/collect/", {"collected_at": when}
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "collected_at"
    assert not Sample.objects.exists()


def test_a_doctor_sees_only_their_own_alerts(
    order, nurse, lab_technician, second_technician, clinic, sign_in
):
    ordered = collect(nurse, order)
    enter(lab_technician, ordered, CRITICAL)
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    alert = CriticalAlert.objects.get()
    colleague = sign_in(member(Role.DOCTOR, clinic, username="colleague"))
    assert colleague.get("/api/v1/lab-alerts/").json()["results"] == []
    url = f"/api/v1/lab-alerts/{alert.pk}/acknowledge/"
    assert post(colleague, url, {"action_taken": "Seen"}).status_code == 404


# ---------------------------------------------------------------- lists: bounded queries


def test_lists_cost_the_same_queries_for_few_and_many_orders(
    doctor, nurse, lab_technician, second_technician, patient, lipid_profile, manager, sign_in
):
    def one_more_order() -> None:
        placed = orders.place(
            actor=actor_for(doctor), patient=patient, tests=[lipid_profile], referrer=""
        )
        ordered = collect(nurse, placed)
        enter(lab_technician, ordered, CRITICAL)
        results.verify(actor=actor_for(second_technician), ordered_test=ordered)
        CriticalAlert.objects.filter(result__ordered_test=ordered).update(
            escalated_at=timezone.now()
        )

    one_more_order()
    readers = {
        "/api/v1/lab-orders/": sign_in(doctor),
        "/api/v1/lab-order-status/": sign_in(doctor),
        "/api/v1/lab-tests/": sign_in(nurse),
        "/api/v1/lab-alerts/": sign_in(manager),
    }
    few = {url: lab_queries(client, url)[0] for url, client in readers.items()}
    for _ in range(5):
        one_more_order()
    assert {url: lab_queries(client, url)[0] for url, client in readers.items()} == few
    assert len(readers["/api/v1/lab-orders/"].get("/api/v1/lab-orders/").json()["results"]) == 6


def test_orders_are_filtered_by_status_urgency_and_date(
    order, doctor, patient, lipid_profile, sign_in
):
    orders.place(actor=actor_for(doctor), patient=patient, tests=[lipid_profile], urgency="stat")
    client = sign_in(doctor)

    def numbers(**query: str) -> list[str]:
        return [o["number"] for o in client.get("/api/v1/lab-orders/", query).json()["results"]]

    assert numbers(urgency="urgent") == [order.number]
    assert len(numbers(status="ordered")) == 2
    assert numbers(status="verified") == []
    today = order.clinic.local_date().isoformat()
    assert len(numbers(date=today)) == 2
    assert client.get("/api/v1/lab-orders/", {"status": "nonsense"}).status_code == 400


# ---------------------------------------------------------------- races (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_verifications_of_one_test_at_once_verify_it_once(
    clinic, order, nurse, lab_technician, second_technician, sign_in
):
    ordered = collect(nurse, order)
    enter(lab_technician, ordered, NORMAL)
    third = member(Role.LAB_TECHNICIAN, clinic, username="lab3")
    clients = [sign_in(second_technician), sign_in(third)]
    url = f"/api/v1/lab-ordered-tests/{ordered.pk}/verify/"

    def verify(n: int) -> int:
        return int(post(clients[n], url).status_code)

    codes, errors = at_once(verify, 2)
    assert errors == []
    assert sorted(codes) == [200, 409]
    ordered.refresh_from_db()
    assert ordered.status == TestStatus.VERIFIED
    verifiers = set(
        Result.objects.filter(ordered_test=ordered).values_list("verified_by", flat=True)
    )
    assert verifiers == {ordered.verified_by_id}
