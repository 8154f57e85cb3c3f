"""The order's path through the lab: ordered at the consultation (and charged), collected at
the time the sample was taken, received, resulted with flags, verified by a second person,
amended with the original kept; critical values alerted, acknowledged and escalated."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.billing.models import Charge, ChargeStatus
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.core.roles import Role
from clinicflow.lab import alerts, orders, results, samples
from clinicflow.lab.models import (
    CriticalAlert,
    LabSettings,
    OrderedTest,
    Result,
    ResultStatus,
    Sample,
    SampleStatus,
    TestStatus,
)
from clinicflow.lab.tests.conftest import values_for
from clinicflow.notifications.models import Notice
from tests.factories import member

NORMAL = {"total_cholesterol": "180", "hdl": "50", "triglycerides": "100"}


@pytest.fixture
def second_technician(clinic):
    return member(Role.LAB_TECHNICIAN, clinic, username="lab2")


@pytest.fixture
def order(doctor, patient, encounter, lipid_profile):
    return orders.place(
        actor=actor_for(doctor),
        patient=patient,
        tests=[lipid_profile],
        urgency="urgent",
        clinical_note="Fasting",
        encounter=encounter,
    )


def collected(nurse, order, minutes_ago=5):
    return samples.collect(
        actor=actor_for(nurse),
        order=order,
        collected_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def entered(technician, order, **values):
    ordered_test = order.tests.get()
    results.enter(
        actor=actor_for(technician),
        ordered_test=ordered_test,
        values=values_for(ordered_test.test, **values),
    )
    return OrderedTest.objects.get(pk=ordered_test.pk)


def test_an_order_from_the_consultation_is_numbered_and_charged(order, lipid_profile, doctor):
    assert order.number.startswith("O")
    assert order.ordering_doctor == doctor
    ordered = order.tests.get()
    charge = Charge.objects.get(source_kind="lab.order", source_id=str(ordered.pk))
    assert (charge.amount, charge.description, charge.status) == (
        Decimal("800.00"),
        "Lipid profile",
        ChargeStatus.UNBILLED,
    )
    assert charge.item.code == "LAB-LIPID"


def test_cancelling_a_test_voids_its_unbilled_charge(order, doctor):
    ordered = order.tests.get()
    orders.cancel(actor=actor_for(doctor), ordered_test=ordered, reason="Done elsewhere")
    charge = Charge.objects.get(source_kind="lab.order", source_id=str(ordered.pk))
    assert charge.status == ChargeStatus.VOID
    assert OrderedTest.objects.get(pk=ordered.pk).status == TestStatus.CANCELLED


def test_a_collected_test_cannot_be_cancelled(order, doctor, nurse):
    collected(nurse, order)
    with pytest.raises(Conflict):
        orders.cancel(actor=actor_for(doctor), ordered_test=order.tests.get(), reason="No")


@pytest.mark.parametrize("role", [Role.NURSE, Role.LAB_TECHNICIAN, Role.CASHIER])
def test_only_doctors_reception_and_managers_order(role, clinic, patient, lipid_profile):
    with pytest.raises(DomainError, match="may not"):
        orders.place(
            actor=actor_for(member(role, clinic, username="x")),
            patient=patient,
            tests=[lipid_profile],
            referrer="Dr Outside",
        )


def test_reception_registers_a_direct_visit_naming_the_outside_doctor(
    receptionist, patient, lipid_profile
):
    with pytest.raises(DomainError) as refused:
        orders.place(actor=actor_for(receptionist), patient=patient, tests=[lipid_profile])
    assert refused.value.field == "referrer"
    assert not OrderedTest.objects.exists()
    order = orders.place(
        actor=actor_for(receptionist),
        patient=patient,
        tests=[lipid_profile],
        referrer="Dr K. Thapa, Bir Hospital",
    )
    assert (order.source, order.ordering_doctor) == ("direct", None)


def test_a_test_of_another_clinic_is_refused(doctor, patient, encounter, other_clinic):
    from clinicflow.lab.models import LabSection, LabTest

    section = LabSection.objects.create(clinic=other_clinic, name="Bio")
    theirs = LabTest.objects.create(clinic=other_clinic, code="X", name="X", section=section)
    with pytest.raises(DomainError):
        orders.place(actor=actor_for(doctor), patient=patient, tests=[theirs], encounter=encounter)
    assert not OrderedTest.objects.exists()


def test_collection_keeps_the_time_taken_not_the_time_recorded(order, nurse):
    taken = timezone.now() - timedelta(minutes=20)
    (sample,) = samples.collect(actor=actor_for(nurse), order=order, collected_at=taken)
    assert sample.collected_at == taken
    assert sample.recorded_at > taken
    assert sample.accession.startswith("S")
    assert sample.label_printed_at is None
    samples.label_printed(actor=actor_for(nurse), sample=sample)
    printed = Sample.objects.get(pk=sample.pk)
    assert printed.label_printed_at is not None
    assert printed.collected_at == taken
    assert order.tests.get().status == TestStatus.COLLECTED


@pytest.mark.parametrize("offset", [timedelta(hours=1), -timedelta(days=1)])
def test_a_collection_time_in_the_future_or_before_the_order_is_refused(order, nurse, offset):
    with pytest.raises(DomainError) as refused:
        samples.collect(actor=actor_for(nurse), order=order, collected_at=timezone.now() + offset)
    assert refused.value.field == "collected_at"
    assert not Sample.objects.exists()


def test_results_are_flagged_calculated_and_keep_their_range(
    order, nurse, lab_technician, lipid_profile
):
    collected(nurse, order)
    ordered = entered(lab_technician, order, total_cholesterol="240", hdl="35", triglycerides="150")
    assert ordered.status == TestStatus.RESULTED
    got = {r.parameter.code: r for r in Result.objects.filter(ordered_test=ordered)}
    assert got["total_cholesterol"].flag == "H"
    assert got["hdl"].flag == "L"
    assert got["triglycerides"].flag == ""  # on the limit is within it
    assert got["ldl"].value == Decimal("175.0")  # 240 - 35 - 150/5
    assert got["total_cholesterol"].applied_range["high"] == "200.0000"
    # A later change of the catalogue leaves the stored range as it was.
    lipid_profile.parameters.get(code="total_cholesterol").ranges.update(high=Decimal("190"))
    assert Result.objects.get(pk=got["total_cholesterol"].pk).applied_range["high"] == "200.0000"
    assert Sample.objects.get().status == SampleStatus.RECEIVED


def test_an_implausible_value_is_refused_and_nothing_is_saved(order, nurse, lab_technician):
    collected(nurse, order)
    with pytest.raises(DomainError) as refused:
        entered(lab_technician, order, total_cholesterol="5000", hdl="50", triglycerides="90")
    assert refused.value.code == "implausible"
    assert not Result.objects.exists()
    with pytest.raises(DomainError):
        entered(lab_technician, order, total_cholesterol="1x0")
    assert not Result.objects.exists()


def test_the_person_who_entered_cannot_verify(order, nurse, lab_technician, second_technician):
    collected(nurse, order)
    ordered = entered(lab_technician, order, **NORMAL)
    with pytest.raises(DomainError) as refused:
        results.verify(actor=actor_for(lab_technician), ordered_test=ordered)
    assert refused.value.code == "same_person"
    assert not Result.objects.filter(status=ResultStatus.VERIFIED).exists()
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    ordered.refresh_from_db()
    assert (ordered.status, ordered.verified_by) == (TestStatus.VERIFIED, second_technician)
    assert set(Result.objects.values_list("status", flat=True)) == {ResultStatus.VERIFIED}


def test_the_database_refuses_a_result_verified_by_its_author(order, nurse, lab_technician):
    collected(nurse, order)
    entered(lab_technician, order, **NORMAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Result.objects.filter(entered_by=lab_technician).update(
            verified_by=lab_technician, status=ResultStatus.VERIFIED
        )


def test_verification_tells_the_ordering_doctor(
    order, nurse, lab_technician, second_technician, doctor
):
    collected(nurse, order)
    ordered = entered(lab_technician, order, **NORMAL)
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    assert Notice.objects.filter(recipient=doctor, kind="lab.result").count() == 1


def test_an_amendment_keeps_the_original_and_tells_the_doctor(
    order, nurse, lab_technician, second_technician, doctor
):
    collected(nurse, order)
    ordered = entered(lab_technician, order, **NORMAL)
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    original = Result.objects.get(parameter__code="hdl")
    with pytest.raises(DomainError):
        results.amend(actor=actor_for(lab_technician), result=original, value="55", reason=" ")
    correction = results.amend(
        actor=actor_for(lab_technician), result=original, value="55", reason="Transcription"
    )
    original.refresh_from_db()
    assert original.status == ResultStatus.SUPERSEDED
    assert original.value == Decimal("50.0")
    assert correction.amends == original
    assert correction.value == Decimal("55.0")
    assert OrderedTest.objects.get(pk=ordered.pk).status == TestStatus.AMENDED
    assert Notice.objects.filter(recipient=doctor, kind="lab.result", title__contains="amended")


def test_a_large_change_from_the_previous_result_is_flagged(
    doctor, patient, encounter, lipid_profile, nurse, lab_technician, second_technician
):
    first = orders.place(
        actor=actor_for(doctor), patient=patient, tests=[lipid_profile], encounter=encounter
    )
    collected(nurse, first, minutes_ago=30)
    results.verify(
        actor=actor_for(second_technician), ordered_test=entered(lab_technician, first, **NORMAL)
    )
    second = orders.place(
        actor=actor_for(doctor), patient=patient, tests=[lipid_profile], encounter=encounter
    )
    collected(nurse, second)
    entered(lab_technician, second, total_cholesterol="182", hdl="80", triglycerides="102")
    latest = Result.objects.filter(ordered_test__order=second)
    hdl = latest.get(parameter__code="hdl")
    assert (hdl.previous_value, hdl.delta_flagged) == (Decimal("50.0000"), True)
    # A parameter without a delta limit is not checked.
    assert not latest.get(parameter__code="total_cholesterol").delta_flagged


def test_a_critical_value_alerts_the_doctor_at_verification(
    order, nurse, lab_technician, second_technician, doctor
):
    collected(nurse, order)
    ordered = entered(
        lab_technician, order, total_cholesterol="300", hdl="50", triglycerides="1200"
    )
    assert not CriticalAlert.objects.exists()  # by default: at verification
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    alert = CriticalAlert.objects.get()
    assert alert.doctor == doctor
    assert alert.result.flag == "HH"
    assert [t["as"] for t in alert.told] == ["doctor"]
    assert Notice.objects.filter(recipient=doctor, kind="lab.critical").exists()
    # LDL is not calculated above 400 of triglycerides, and says why.
    assert Result.objects.get(parameter__code="ldl").text.startswith("Not calculated")


def test_a_clinic_may_alert_critical_values_at_entry(clinic, order, nurse, lab_technician):
    LabSettings.objects.create(clinic=clinic, alert_on_entry=True)
    collected(nurse, order)
    entered(lab_technician, order, total_cholesterol="300", hdl="50", triglycerides="1200")
    assert CriticalAlert.objects.count() == 1


def test_an_alert_is_acknowledged_by_its_doctor_only(
    clinic, order, nurse, lab_technician, second_technician, doctor
):
    collected(nurse, order)
    ordered = entered(
        lab_technician, order, total_cholesterol="300", hdl="50", triglycerides="1200"
    )
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    alert = CriticalAlert.objects.get()
    other = member(Role.DOCTOR, clinic, username="dr_other")
    with pytest.raises(DomainError):
        alerts.acknowledge(actor=actor_for(other), alert=alert, action_taken="Called")
    with pytest.raises(DomainError):
        alerts.acknowledge(actor=actor_for(doctor), alert=alert, action_taken="  ")
    alerts.acknowledge(actor=actor_for(doctor), alert=alert, action_taken="Patient called back")
    alert.refresh_from_db()
    assert alert.acknowledged_by == doctor
    assert alert.action_taken == "Patient called back"
    with pytest.raises(Conflict):
        alerts.acknowledge(actor=actor_for(doctor), alert=alert, action_taken="Again")


def test_an_unacknowledged_alert_escalates_once_to_the_managers(
    clinic, order, nurse, lab_technician, second_technician, manager
):
    LabSettings.objects.create(clinic=clinic, escalate_after_minutes=10)
    collected(nurse, order)
    ordered = entered(
        lab_technician, order, total_cholesterol="300", hdl="50", triglycerides="1200"
    )
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    assert alerts.escalate_overdue(clinic) == 0  # not yet due
    later = timezone.now() + timedelta(minutes=11)
    assert alerts.escalate_overdue(clinic, now=later) == 1
    assert alerts.escalate_overdue(clinic, now=later) == 0
    alert = CriticalAlert.objects.get()
    assert alert.escalated_at is not None
    assert [t["as"] for t in alert.told] == ["doctor", "escalation"]
    assert Notice.objects.filter(recipient=manager, kind="lab.critical").exists()


def test_a_rejected_sample_sends_its_tests_back_to_collection(order, nurse, lab_technician):
    (sample,) = collected(nurse, order)
    with pytest.raises(DomainError):
        samples.reject(actor=actor_for(lab_technician), sample=sample, reason="dirty")
    samples.reject(actor=actor_for(lab_technician), sample=sample, reason="haemolysed")
    assert order.tests.get().status == TestStatus.REJECTED
    (again,) = collected(nurse, order)
    assert again.accession != sample.accession
    assert order.tests.get().sample == again


def test_the_lab_work_is_the_technicians(order, nurse, doctor):
    (sample,) = collected(nurse, order)
    with pytest.raises(DomainError, match="may not"):
        samples.receive(actor=actor_for(nurse), sample=sample)
    with pytest.raises(DomainError, match="may not"):
        results.enter(actor=actor_for(doctor), ordered_test=order.tests.get(), values={})


def test_each_entered_result_is_in_the_audit_trail(order, nurse, lab_technician):
    from clinicflow.core.models import AuditEvent

    collected(nurse, order)
    entered(lab_technician, order, **NORMAL)
    created = AuditEvent.objects.filter(object_type="lab.result", action="create")
    assert created.count() == Result.objects.count() == 4  # three values and LDL
    assert set(created.values_list("object_id", flat=True)) == {
        str(pk) for pk in Result.objects.values_list("pk", flat=True)
    }
    hdl = created.get(object_id=str(Result.objects.get(parameter__code="hdl").pk))
    assert hdl.changes["value"][1] == "50.0"


def test_a_merge_moves_orders_results_and_alerts_to_the_survivor(
    order, nurse, lab_technician, second_technician, patient, register, manager
):
    from clinicflow.patients.services import merge_patients

    collected(nurse, order)
    ordered = entered(
        lab_technician, order, total_cholesterol="300", hdl="50", triglycerides="1200"
    )
    results.verify(actor=actor_for(second_technician), ordered_test=ordered)
    survivor = register(given_name="Priya", family_name="Sharma-Rai", phone="9800000001")
    merge_patients(
        actor=actor_for(manager), duplicate=patient, survivor=survivor, reason="same person"
    )
    order.refresh_from_db()
    assert order.patient == survivor
    assert set(Result.objects.values_list("patient_id", flat=True)) == {survivor.pk}
    assert CriticalAlert.objects.get().patient == survivor
