"""What the lab tells through the notifications app: the patient that the report is ready once
the order's last open test is released (once; not when verification is refused; nothing
without a phone or e-mail; once too when two tests are verified at the same moment), and the
doctor of a critical value in-app, urgent and not to be turned off; a corrected result is told
to the patient too."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.core.roles import Role
from clinicflow.lab import messages, orders, results, samples
from clinicflow.lab.models import CriticalAlert, OrderedTest
from clinicflow.lab.tests.conftest import values_for
from clinicflow.notifications import events, wording
from clinicflow.notifications.models import Message, Notice, UserPreference
from clinicflow.notifications.sms.segments import count_segments
from tests.factories import member

pytestmark = pytest.mark.django_db

NORMAL = {"total_cholesterol": "180", "hdl": "50", "triglycerides": "100"}


@pytest.fixture
def patient(register):
    """The shared visit's patient, reachable by SMS and e-mail."""
    return register(phone="+9779841000001", email="priya@example.com")


@pytest.fixture
def second_technician(clinic):
    return member(Role.LAB_TECHNICIAN, clinic, username="lab2")


@pytest.fixture
def order(doctor, patient, encounter, lipid_profile, creatinine):
    """Two tests: the lipid profile and creatinine, collected."""
    return orders.place(
        actor=actor_for(doctor),
        patient=patient,
        tests=[lipid_profile, creatinine.test],
        encounter=encounter,
    )


def collect(nurse, order):
    samples.collect(
        actor=actor_for(nurse), order=order, collected_at=timezone.now() - timedelta(minutes=5)
    )


def enter(technician, ordered_test, **values):
    results.enter(
        actor=actor_for(technician),
        ordered_test=ordered_test,
        values=values_for(ordered_test.test, **values),
    )
    return OrderedTest.objects.get(pk=ordered_test.pk)


def entered_both(nurse, technician, order, **lipids):
    collect(nurse, order)
    lipid = enter(technician, order.tests.get(test__code="LIPID"), **(lipids or NORMAL))
    crea = enter(technician, order.tests.get(test__code="CREA"), CREA="0.9")
    return lipid, crea


def reports():
    return list(
        Message.objects.filter(event=messages.REPORT_READY)
        .order_by("channel")
        .values_list("channel", "to", "subject", "body")
    )


def test_the_report_is_ready_when_the_orders_last_test_is_released(
    order, nurse, lab_technician, second_technician, clinic
):
    lipid, crea = entered_both(nurse, lab_technician, order)
    results.verify(actor=actor_for(second_technician), ordered_test=lipid)
    assert not reports()  # creatinine is still to verify
    results.verify(actor=actor_for(second_technician), ordered_test=crea)
    [(email, address, subject, body), (sms, phone, _s, text)] = reports()
    assert (email, address, sms, phone) == (
        "email",
        "priya@example.com",
        "sms",
        "+9779841000001",
    )
    assert subject == f"Your lab report {order.number} is ready"
    assert "Lipid profile, Creatinine" in body
    assert text == f"{clinic.name}: your lab report {order.number} is ready."


def test_a_refused_verification_tells_nothing(order, nurse, lab_technician):
    _lipid, crea = entered_both(nurse, lab_technician, order)
    with pytest.raises(DomainError):
        results.verify(actor=actor_for(lab_technician), ordered_test=crea)  # the same person
    assert not reports()


def test_an_amendment_does_not_tell_the_report_again(
    order, nurse, lab_technician, second_technician
):
    lipid, crea = entered_both(nurse, lab_technician, order)
    results.verify(actor=actor_for(second_technician), ordered_test=lipid)
    results.verify(actor=actor_for(second_technician), ordered_test=crea)
    result = crea.results.get()
    results.amend(actor=actor_for(lab_technician), result=result, value="1.0", reason="Typo")
    assert messages.report_ready(OrderedTest.objects.get(pk=crea.pk)).messages == 0
    assert len(reports()) == 2
    corrected = Message.objects.filter(event="lab.report_amended")
    assert sorted(corrected.values_list("channel", flat=True)) == ["email", "sms"]
    assert all(order.number in m.body and "corrected" in m.body for m in corrected)


def test_a_refused_amendment_tells_nobody(order, nurse, lab_technician, second_technician):
    _lipid, crea = entered_both(nurse, lab_technician, order)
    results.verify(actor=actor_for(second_technician), ordered_test=crea)
    with pytest.raises(DomainError):
        results.amend(
            actor=actor_for(lab_technician), result=crea.results.get(), value="1.0", reason=" "
        )
    assert not Message.objects.filter(event="lab.report_amended").exists()


def test_a_patient_without_contact_gets_the_results_and_no_message(
    order, nurse, lab_technician, second_technician, patient
):
    type(patient).objects.filter(pk=patient.pk).update(phone="", email="")
    lipid, crea = entered_both(nurse, lab_technician, order)
    results.verify(actor=actor_for(second_technician), ordered_test=lipid)
    verified = results.verify(actor=actor_for(second_technician), ordered_test=crea)
    assert verified.status == "verified"
    assert not Message.objects.exists()


def test_a_critical_value_rings_the_doctor_even_if_they_turned_lab_alerts_off(
    order, nurse, lab_technician, second_technician, doctor, patient
):
    UserPreference.objects.create(user=doctor, channels={messages.CRITICAL: []})
    lipid, _crea = entered_both(
        nurse, lab_technician, order, total_cholesterol="300", hdl="50", triglycerides="1200"
    )
    results.verify(actor=actor_for(second_technician), ordered_test=lipid)
    alert = CriticalAlert.objects.get()
    notice = Notice.objects.get(recipient=doctor, kind=messages.CRITICAL)
    assert notice.key == f"lab.critical:{alert.pk}"
    assert notice.title == f"Critical value: Triglycerides 1200 (critically high) for {patient}"
    assert notice.body == "Acknowledge it and say what was done."
    assert events.kind_of(messages.CRITICAL).urgent
    assert not events.kind_of(messages.CRITICAL).optional


@pytest.mark.parametrize("kind", [messages.REPORT_READY, messages.REPORT_AMENDED])
@pytest.mark.parametrize("language", ["en", "ne"])
def test_the_patients_report_messages_fit_one_sms_segment_in_each_language(kind, language):
    values = {
        "clinic": "Kathmandu Family Health Clinic",
        "patient": "Ramchandra",
        "number": "O-20260314-0123",
        "tests": "Lipid profile, Creatinine",
        "parameter": "Triglycerides",
    }
    text = events.kind_of(kind).text(language).sms
    assert count_segments(wording.fill(text, values)).segments == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_last_tests_verified_at_once_tell_the_report_once(
    order, nurse, lab_technician, second_technician, doctor, clinic
):
    third = member(Role.LAB_TECHNICIAN, clinic, username="lab3")
    lipid, crea = entered_both(nurse, lab_technician, order)
    barrier = threading.Barrier(2)
    errors = []

    def verify(person, ordered_test):
        try:
            barrier.wait()
            results.verify(actor=actor_for(person), ordered_test=ordered_test)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=verify, args=(second_technician, lipid)),
        threading.Thread(target=verify, args=(third, crea)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(reports()) == 2
