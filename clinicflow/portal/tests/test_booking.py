"""Booking online: the same slot engine and booking service as the desk, within the clinic's
window, for the selected family member; the desk hears of requests; cancelling and moving
until the clinic's limit; another patient's ids are 404s and change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import DomainError
from clinicflow.notifications.models import Message, Notice
from clinicflow.patients.models import PatientDocument
from clinicflow.patients.tests.files import pdf_bytes
from clinicflow.portal import booking
from clinicflow.scheduling import services
from clinicflow.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    OnlineBookingSettings,
)
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


def _settings(clinic, **values):
    OnlineBookingSettings.objects.for_clinic(clinic).update_or_create(
        clinic=clinic, defaults=values
    )


def _appointments(clinic):
    return Appointment.objects.for_clinic(clinic)


def _post_booking(client, doctor, patient, when, reason="Chest pain when climbing stairs", **extra):
    return client.post(
        reverse("portal:book_doctor", args=[doctor.pk]),
        {"patient": str(patient.pk), "starts_at": when.isoformat(), "reason": reason, **extra},
    )


def test_the_doctors_page_shows_fee_rating_and_the_free_times_of_the_slot_engine(
    family, cardiologist, sign_in, next_monday
):
    client = sign_in(family)
    listing = client.get(reverse("portal:book"))
    assert listing.status_code == 200
    assert "800.00" in listing.content.decode()
    page = client.get(
        reverse("portal:book_doctor", args=[cardiologist.pk]), {"day": next_monday.isoformat()}
    )
    assert page.status_code == 200
    first_day = page.context["days"][next_monday]
    assert first_day[0].starts_at == timezone.localtime(first_day[0].starts_at)
    expected = services.slots.free_slots(cardiologist, next_monday, next_monday)
    assert first_day == expected


def test_a_patient_books_for_themself_and_the_desk_hears_of_the_request(
    family, priya, cardiologist, receptionist, sign_in, next_monday, at
):
    client = sign_in(family)
    answer = _post_booking(client, cardiologist, priya, at(next_monday, 9, 20))
    assert answer.status_code == 302
    booked = _appointments(priya.clinic).get(patient=priya)
    assert booked.status == AppointmentStatus.REQUESTED  # the default: the desk confirms
    assert booked.starts_at == at(next_monday, 9, 20)
    assert booked.booked_by == family
    notice = Notice.objects.for_clinic(priya.clinic).get(recipient=receptionist)
    assert notice.key == f"appointment.requested:{booked.pk}"
    # Nothing is confirmed to the patient before the desk confirms it; then it is.
    sent = Message.objects.for_clinic(priya.clinic).filter(event="appointment.booked")
    assert not sent.exists()
    services.change_status(
        actor=actor_for(receptionist), appointment=booked, to_status=AppointmentStatus.BOOKED
    )
    assert sent.filter(patient=priya).exists()
    assert answer["Location"] == reverse("portal:appointments")
    listed = client.get(reverse("portal:appointments"))
    assert [a for a, _, _ in listed.context["rows"]] == [booked]


def test_a_parent_books_for_their_child_booked_at_once_when_the_clinic_allows(
    family, anjali, cardiologist, sign_in, next_monday, at
):
    _settings(anjali.clinic, needs_confirmation=False)
    client = sign_in(family)
    client.post(reverse("portal:select", args=[anjali.pk]))
    page = client.get(reverse("portal:book_doctor", args=[cardiologist.pk]))
    assert page.context["member"] == anjali
    assert _post_booking(client, cardiologist, anjali, at(next_monday, 10)).status_code == 302
    booked = _appointments(anjali.clinic).get(patient=anjali)
    assert booked.status == AppointmentStatus.BOOKED
    assert (
        Message.objects.for_clinic(anjali.clinic)
        .filter(event="appointment.booked", patient=anjali)
        .exists()
    )
    assert not Notice.objects.for_clinic(anjali.clinic).exists()


def test_a_document_sent_with_the_booking_is_kept_and_attached(
    family, priya, cardiologist, sign_in, next_monday, at
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = sign_in(family)
    upload = SimpleUploadedFile("referral.pdf", PDF, content_type="application/pdf")
    assert (
        _post_booking(client, cardiologist, priya, at(next_monday, 9), file=upload).status_code
        == 302
    )
    booked = _appointments(priya.clinic).get(patient=priya)
    assert [d.patient for d in booked.documents.all()] == [priya]


def test_a_file_that_is_not_a_document_refuses_the_booking_and_keeps_nothing(
    family, priya, cardiologist, sign_in, next_monday, at
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = sign_in(family)
    upload = SimpleUploadedFile("x.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    answer = _post_booking(client, cardiologist, priya, at(next_monday, 9), file=upload)
    assert answer.status_code == 400
    assert not _appointments(priya.clinic).exists()
    assert not PatientDocument.objects.for_clinic(priya.clinic).exists()


def test_a_booking_without_a_reason_is_refused_with_a_clear_message(
    family, priya, cardiologist, sign_in, next_monday, at
):
    answer = _post_booking(sign_in(family), cardiologist, priya, at(next_monday, 9), reason="")
    assert answer.status_code == 400
    assert not _appointments(priya.clinic).exists()


def test_booking_for_someone_elses_record_is_a_404_and_books_nothing(
    family, stranger, cardiologist, sign_in, next_monday, at
):
    answer = _post_booking(sign_in(family), cardiologist, stranger, at(next_monday, 9))
    assert answer.status_code == 404
    assert not _appointments(stranger.clinic).exists()


@pytest.mark.parametrize(
    ("rules", "offset_days", "hour"),
    [({"days_ahead": 7}, 20, 9), ({"min_notice_hours": 24 * 30}, 10, 9)],
    ids=["too-far-ahead", "too-soon"],
)
def test_a_booking_outside_the_clinics_window_is_refused(
    family, priya, cardiologist, at, rules, offset_days, hour
):
    _settings(priya.clinic, **rules)
    when = at(timezone.localdate() + timedelta(days=offset_days), hour)
    with pytest.raises(DomainError, match="Online you can book"):
        booking.book_online(
            actor=actor_for(family),
            patient=priya,
            practitioner=cardiologist,
            starts_at=when,
            reason="Check-up",
        )
    assert not _appointments(priya.clinic).exists()


def test_the_page_offers_no_time_outside_the_window(family, cardiologist, sign_in, clinic):
    _settings(clinic, days_ahead=2, min_notice_hours=0)
    page = sign_in(family).get(reverse("portal:book_doctor", args=[cardiologist.pk]))
    last = timezone.localdate() + timedelta(days=2)
    assert all(day <= last for day in page.context["days"])
    assert page.context["later"] is None


def test_bookings_closed_by_the_clinic_are_refused(family, priya, cardiologist, next_monday, at):
    _settings(priya.clinic, enabled=False)
    with pytest.raises(DomainError, match="does not take bookings online"):
        booking.book_online(
            actor=actor_for(family),
            patient=priya,
            practitioner=cardiologist,
            starts_at=at(next_monday, 9),
            reason="Check-up",
        )


def test_a_slot_the_desk_took_is_refused_online_as_at_the_desk(
    family, priya, register, cardiologist, receptionist, next_monday, at
):
    other = register(given_name="Hari", family_name="Thapa", phone="+9779801111111")
    services.book_appointment(
        actor=actor_for(receptionist),
        patient=other,
        practitioner=cardiologist,
        starts_at=at(next_monday, 9),
    )
    with pytest.raises(services.SlotTaken):
        booking.book_online(
            actor=actor_for(family),
            patient=priya,
            practitioner=cardiologist,
            starts_at=at(next_monday, 9),
            reason="Check-up",
        )
    assert not _appointments(priya.clinic).filter(patient=priya).exists()


def _booked(family, patient, cardiologist, when):
    _settings(patient.clinic, needs_confirmation=False)
    return booking.book_online(
        actor=actor_for(family),
        patient=patient,
        practitioner=cardiologist,
        starts_at=when,
        reason="Check-up",
    )


def test_the_patient_cancels_within_the_window(
    family, priya, cardiologist, sign_in, next_monday, at
):
    booked = _booked(family, priya, cardiologist, at(next_monday, 9))
    client = sign_in(family)
    assert client.get(reverse("portal:appointment_cancel", args=[booked.pk])).status_code == 200
    answer = client.post(
        reverse("portal:appointment_cancel", args=[booked.pk]), {"reason": "Feeling better"}
    )
    assert answer.status_code == 302
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert "Feeling better" in booked.status_reason
    assert (
        Message.objects.for_clinic(priya.clinic)
        .filter(event="appointment.cancelled", patient=priya)
        .exists()
    )


def test_the_patient_moves_it_to_another_free_time(
    family, priya, cardiologist, sign_in, next_monday, at
):
    booked = _booked(family, priya, cardiologist, at(next_monday, 9))
    client = sign_in(family)
    page = client.get(
        reverse("portal:appointment_move", args=[booked.pk]), {"day": next_monday.isoformat()}
    )
    assert page.status_code == 200
    answer = client.post(
        reverse("portal:appointment_move", args=[booked.pk]),
        {"starts_at": at(next_monday, 11).isoformat()},
    )
    assert answer.status_code == 302
    booked.refresh_from_db()
    assert booked.starts_at == at(next_monday, 11)
    change = AppointmentChange.objects.for_clinic(priya.clinic).filter(appointment=booked).last()
    assert change.old_starts_at == at(next_monday, 9)
    assert change.changed_by == family


def test_too_close_to_the_time_it_cannot_be_changed_online(
    family, priya, cardiologist, next_monday, at, sign_in
):
    booked = _booked(family, priya, cardiologist, at(next_monday, 9))
    _settings(priya.clinic, change_until_hours=24 * 30)
    listed = sign_in(family).get(reverse("portal:appointments"))
    assert listed.context["rows"] == [(booked, False, None)]  # no fee to pay
    with pytest.raises(DomainError, match="until 720 hours"):
        booking.cancel_online(actor=actor_for(family), appointment=booked)
    with pytest.raises(DomainError, match="until 720 hours"):
        booking.move_online(
            actor=actor_for(family), appointment=booked, starts_at=at(next_monday, 11)
        )
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert booked.starts_at == at(next_monday, 9)


def test_another_patients_appointment_is_a_404_and_stays_as_it_was(
    family, other_family, stranger, cardiologist, sign_in, next_monday, at
):
    theirs = _booked(other_family, stranger, cardiologist, at(next_monday, 9))
    client = sign_in(family)
    for name in ("portal:appointment_cancel", "portal:appointment_move"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404
        assert (
            client.post(
                reverse(name, args=[theirs.pk]), {"starts_at": at(next_monday, 11).isoformat()}
            ).status_code
            == 404
        )
    theirs.refresh_from_db()
    assert theirs.status == AppointmentStatus.BOOKED
    assert theirs.starts_at == at(next_monday, 9)


def test_the_portal_may_only_cancel_through_the_shared_service(
    family, priya, cardiologist, next_monday, at
):
    """A patient confirming their own request, or checking in, is refused by the service."""
    requested = booking.book_online(
        actor=actor_for(family),
        patient=priya,
        practitioner=cardiologist,
        starts_at=at(next_monday, 9),
        reason="Check-up",
    )
    for move in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN):
        with pytest.raises(DomainError):
            services.change_status(
                actor=actor_for(family),
                appointment=requested,
                to_status=move,
                action=booking.MANAGE,
            )
    requested.refresh_from_db()
    assert requested.status == AppointmentStatus.REQUESTED


@pytest.mark.parametrize("role", ["receptionist", "doctor", "manager"])
def test_staff_do_not_use_the_patients_booking_pages(role, request, sign_in, cardiologist):
    client = sign_in(request.getfixturevalue(role))
    for url in (
        reverse("portal:book"),
        reverse("portal:book_doctor", args=[cardiologist.pk]),
        reverse("portal:appointments"),
    ):
        assert client.get(url).status_code == 403


def test_the_desk_lists_every_request_still_ahead(
    family, priya, cardiologist, receptionist, sign_in, next_monday, at
):
    requested = booking.book_online(
        actor=actor_for(family),
        patient=priya,
        practitioner=cardiologist,
        starts_at=at(next_monday, 9),
        reason="Check-up",
    )
    page = sign_in(receptionist).get(reverse("scheduling:appointments"), {"status": "requested"})
    assert list(page.context["page"].items) == [requested]


def test_a_manager_sets_the_window_and_bad_input_changes_nothing(manager, clinic, sign_in):
    client = sign_in(manager)
    assert client.get(reverse("portal:booking_settings")).status_code == 200
    data = {
        "enabled": "on",
        "days_ahead": "14",
        "min_notice_hours": "4",
        "change_until_hours": "12",
    }
    assert client.post(reverse("portal:booking_settings"), data).status_code == 302
    saved = booking.settings_of(clinic)
    assert (saved.days_ahead, saved.min_notice_hours, saved.needs_confirmation) == (14, 4, False)
    bad = client.post(reverse("portal:booking_settings"), {**data, "days_ahead": "0"})
    assert bad.status_code == 400
    assert booking.settings_of(clinic).days_ahead == 14


def test_a_patient_may_not_set_the_window(family, sign_in):
    assert sign_in(family).get(reverse("portal:booking_settings")).status_code == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_online_bookings_of_one_slot_at_once_get_one(
    family, other_family, priya, stranger, cardiologist, next_monday, at
):
    """Two families choose the same time at the same instant: the database's guard settles it
    exactly as for two desks; the loser hears the time was taken, nothing half-booked."""
    who = [(family, priya), (other_family, stranger)]

    def attempt(n: int) -> object:
        account, patient = who[n]
        return booking.book_online(
            actor=actor_for(account),
            patient=patient,
            practitioner=cardiologist,
            starts_at=at(next_monday, 9),
            reason="Check-up",
        )

    booked, errors = at_once(attempt, 2)
    assert len(booked) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], services.SlotTaken)
    assert _appointments(priya.clinic).filter(starts_at=at(next_monday, 9)).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_online_booking_and_the_desk_at_once_get_one(
    family, priya, register, receptionist, cardiologist, next_monday, at
):
    walk_up = register(given_name="Hari", family_name="Thapa", phone="+9779801111111")

    def attempt(n: int) -> object:
        if n:
            return services.book_appointment(
                actor=actor_for(receptionist),
                patient=walk_up,
                practitioner=cardiologist,
                starts_at=at(next_monday, 9),
            )
        return booking.book_online(
            actor=actor_for(family),
            patient=priya,
            practitioner=cardiologist,
            starts_at=at(next_monday, 9),
            reason="Check-up",
        )

    booked, errors = at_once(attempt, 2)
    assert len(booked) == 1
    assert [type(e) for e in errors] == [services.SlotTaken]
    assert _appointments(priya.clinic).filter(starts_at=at(next_monday, 9)).count() == 1


def test_with_online_booking_closed_an_appointment_is_not_moved_online(
    family, priya, cardiologist, next_monday, at
):
    booked = _booked(family, priya, cardiologist, at(next_monday, 9))
    _settings(priya.clinic, enabled=False)
    with pytest.raises(DomainError, match="does not take bookings online"):
        booking.move_online(
            actor=actor_for(family), appointment=booked, starts_at=at(next_monday, 11)
        )
    booked.refresh_from_db()
    assert booked.starts_at == at(next_monday, 9)


def test_reading_the_upcoming_appointments_is_audited(family, priya, sign_in):
    from clinicflow.core.models import AuditEvent

    sign_in(family).get(reverse("portal:appointments"))
    assert AuditEvent.objects.filter(
        action="view", object_id=str(priya.pk), changes__part="appointments"
    ).exists()
