"""Reviews: one per completed visit of a record the account looks after, ratings 1–5,
moderated by managers, and the directory's average of the visible ones."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.core.errors import Conflict, DomainError
from clinicflow.scheduling import reviews, services
from clinicflow.scheduling.models import Appointment, AppointmentStatus, VisitReview
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(receptionist, cardiologist, next_monday, at):
    """Book a visit for a patient, and make it completed (or left as booked)."""

    def _visit(patient, *, hour=9, status=AppointmentStatus.COMPLETED):
        booked = services.book_appointment(
            actor=actor_for(receptionist),
            patient=patient,
            practitioner=cardiologist,
            starts_at=at(next_monday, hour),
        )
        Appointment.objects.for_clinic(patient.clinic).filter(pk=booked.pk).update(status=status)
        booked.refresh_from_db()
        return booked

    return _visit


def _reviews(clinic):
    return VisitReview.objects.for_clinic(clinic)


def test_a_patient_rates_a_completed_visit(family, priya, visit, sign_in):
    done = visit(priya)
    client = sign_in(family)
    listed = client.get(reverse("portal:reviews"))
    assert list(listed.context["visits"]) == [done]
    form = client.get(reverse("portal:review_write", args=[done.pk]))
    assert form.status_code == 200
    assert 'data-testid="review-form"' in form.content.decode()
    answer = client.post(
        reverse("portal:review_write", args=[done.pk]),
        {"doctor_rating": "5", "clinic_rating": "4", "comment": "Kind and clear."},
    )
    assert answer.status_code == 302
    review = _reviews(priya.clinic).get()
    assert (review.doctor_rating, review.clinic_rating, review.patient) == (5, 4, priya)
    assert review.practitioner_id == done.practitioner_id
    assert review.written_by == family
    assert list(client.get(reverse("portal:reviews")).context["visits"]) == []


def test_a_parent_rates_their_childs_visit(family, anjali, visit, sign_in):
    done = visit(anjali)
    client = sign_in(family)
    client.post(reverse("portal:select", args=[anjali.pk]))
    client.post(
        reverse("portal:review_write", args=[done.pk]), {"doctor_rating": "3", "clinic_rating": "3"}
    )
    assert _reviews(anjali.clinic).get().patient == anjali


def test_a_visit_not_completed_cannot_be_reviewed(family, priya, visit, sign_in):
    booked = visit(priya, status=AppointmentStatus.BOOKED)
    answer = sign_in(family).post(
        reverse("portal:review_write", args=[booked.pk]),
        {"doctor_rating": "5", "clinic_rating": "5"},
    )
    assert answer.status_code == 400
    assert "once it is completed" in answer.content.decode()
    assert not _reviews(priya.clinic).exists()


def test_a_visit_is_reviewed_once(family, priya, visit):
    done = visit(priya)
    actor = actor_for(family)
    reviews.write_review(actor=actor, appointment=done, doctor_rating=4, clinic_rating=4)
    with pytest.raises(Conflict, match="already reviewed"):
        reviews.write_review(actor=actor, appointment=done, doctor_rating=1, clinic_rating=1)
    assert _reviews(priya.clinic).get().doctor_rating == 4


@pytest.mark.parametrize("rating", ["0", "6", "five", ""])
def test_a_rating_outside_one_to_five_is_refused(family, priya, visit, sign_in, rating):
    done = visit(priya)
    answer = sign_in(family).post(
        reverse("portal:review_write", args=[done.pk]),
        {"doctor_rating": rating, "clinic_rating": "4"},
    )
    assert answer.status_code == 400
    assert not _reviews(priya.clinic).exists()
    with pytest.raises(DomainError, match="1 to 5"):
        reviews.write_review(
            actor=actor_for(family), appointment=done, doctor_rating=rating, clinic_rating=4
        )


def test_the_database_refuses_a_rating_out_of_range(priya, visit, family):
    done = visit(priya)
    with pytest.raises(IntegrityError), transaction.atomic():
        VisitReview.objects.create(
            clinic=priya.clinic,
            appointment=done,
            patient=priya,
            practitioner=done.practitioner,
            doctor_rating=9,
            clinic_rating=3,
        )


def test_another_patients_visit_is_a_404_and_nothing_is_written(family, stranger, visit, sign_in):
    theirs = visit(stranger)
    client = sign_in(family)
    url = reverse("portal:review_write", args=[theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"doctor_rating": "1", "clinic_rating": "1"}).status_code == 404
    assert not _reviews(stranger.clinic).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_of_one_visit_at_once_keep_one(family, priya, visit):
    done = visit(priya)

    def write(n: int) -> object:
        return reviews.write_review(
            actor=actor_for(family), appointment=done, doctor_rating=n + 1, clinic_rating=3
        )

    written, errors = at_once(write, 2)
    assert len(written) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], Conflict)
    assert _reviews(priya.clinic).count() == 1


def test_the_directory_shows_the_average_of_visible_reviews(
    family, priya, anjali, visit, manager, client, sign_in
):
    first, second = visit(priya, hour=9), visit(anjali, hour=10)
    actor = actor_for(family)
    kept = reviews.write_review(actor=actor, appointment=first, doctor_rating=5, clinic_rating=5)
    hidden = reviews.write_review(actor=actor, appointment=second, doctor_rating=1, clinic_rating=1)
    page = client.get(reverse("scheduling:directory"))
    assert page.context["doctors"][0].rating == reviews.Rating(3.0, 2)
    managers = sign_in(manager)
    listing = managers.get(reverse("portal:review_moderation"))
    assert {r.pk for r in listing.context["page"]} == {kept.pk, hidden.pk}
    bad = managers.post(reverse("portal:review_moderate", args=[hidden.pk]), {"reason": ""})
    assert bad.status_code == 302
    hidden.refresh_from_db()
    assert hidden.is_visible
    managers.post(reverse("portal:review_moderate", args=[hidden.pk]), {"reason": "Names a nurse"})
    hidden.refresh_from_db()
    assert (hidden.hidden_reason, hidden.hidden_by) == ("Names a nurse", manager)
    page = client.get(reverse("scheduling:directory"))
    assert page.context["doctors"][0].rating == reviews.Rating(5.0, 1)
    assert "1 review" in page.content.decode()
    managers.post(reverse("portal:review_moderate", args=[hidden.pk]), {"show": "1"})
    hidden.refresh_from_db()
    assert hidden.is_visible


@pytest.mark.parametrize("role", ["receptionist", "doctor", "patient"])
def test_only_managers_moderate(role, request, sign_in):
    client = sign_in(request.getfixturevalue(role))
    assert client.get(reverse("portal:review_moderation")).status_code == 403


@pytest.mark.parametrize("role", ["receptionist", "doctor", "manager"])
def test_staff_do_not_write_patients_reviews(role, request, sign_in):
    assert sign_in(request.getfixturevalue(role)).get(reverse("portal:reviews")).status_code == 403


def test_another_clinics_manager_cannot_hide_a_review(
    family, priya, visit, other_clinic_manager, sign_in
):
    done = visit(priya)
    review = reviews.write_review(
        actor=actor_for(family), appointment=done, doctor_rating=5, clinic_rating=5
    )
    answer = sign_in(other_clinic_manager).post(
        reverse("portal:review_moderate", args=[review.pk]), {"reason": "spam"}
    )
    assert answer.status_code == 404
    review.refresh_from_db()
    assert review.is_visible
