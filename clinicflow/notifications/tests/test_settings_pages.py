"""The clinic's messaging settings page: managers change when reminders go, the quiet hours
and the patients' language; nobody else, and never another clinic's."""

from __future__ import annotations

from datetime import time

import pytest
from django.urls import reverse

from clinicflow.notifications.models import MessagingSettings

pytestmark = pytest.mark.django_db

URL = reverse("notifications:settings")
GOOD = {
    "first_reminder_hours": "48",
    "second_reminder_hours": "3",
    "quiet_from": "22:00",
    "quiet_until": "06:30",
    "language": "ne",
}


def test_a_manager_sets_the_reminders_quiet_hours_and_language(clinic, manager, sign_in):
    client = sign_in(manager)
    page = client.get(URL)
    assert page.status_code == 200
    assert b'data-testid="messaging-settings-form"' in page.content
    assert b'value="24"' in page.content  # the defaults, before anyone changed them

    response = client.post(URL, GOOD)

    assert response.status_code == 302
    saved = MessagingSettings.objects.for_clinic(clinic).get()
    assert (saved.first_reminder_hours, saved.second_reminder_hours) == (48, 3)
    assert (saved.quiet_from, saved.quiet_until, saved.language) == (
        time(22, 0),
        time(6, 30),
        "ne",
    )
    again = client.get(URL)
    assert b'value="48"' in again.content
    assert b'value="22:00"' in again.content


def test_the_page_is_in_the_administration_area_of_the_sidebar(manager, receptionist, sign_in):
    assert URL.encode() in sign_in(manager).get(reverse("core:dashboard")).content
    assert URL.encode() not in sign_in(receptionist).get(reverse("core:dashboard")).content


@pytest.mark.parametrize("role", ["receptionist", "doctor", "pharmacist", "nurse"])
def test_other_roles_are_refused_and_change_nothing(role, request, sign_in):
    client = sign_in(request.getfixturevalue(role))
    assert client.get(URL).status_code == 403
    assert client.post(URL, GOOD).status_code == 403
    assert not MessagingSettings.objects.all_clinics().exists()


def test_a_manager_changes_only_their_own_clinic(
    clinic, other_clinic, other_clinic_manager, sign_in
):
    assert sign_in(other_clinic_manager).post(URL, GOOD).status_code == 302
    assert MessagingSettings.objects.for_clinic(other_clinic).get().first_reminder_hours == 48
    assert not MessagingSettings.objects.for_clinic(clinic).exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"first_reminder_hours": "0"}, "first_reminder_hours", "1 to 168 hours"),
        ({"first_reminder_hours": "200"}, "first_reminder_hours", "1 to 168 hours"),
        ({"second_reminder_hours": "48"}, "second_reminder_hours", "fewer hours before"),
        ({"second_reminder_hours": "-1"}, "second_reminder_hours", "fewer hours before"),
        ({"quiet_from": "25:00"}, "quiet_from", "valid time"),
        ({"language": "fr"}, "language", "valid choice"),
    ],
)
def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(
    change, field, words, clinic, manager, sign_in
):
    response = sign_in(manager).post(URL, {**GOOD, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert words in " ".join(errors[field])
    assert f'id="id_{field}_errors"'.encode() in response.content
    assert not MessagingSettings.objects.for_clinic(clinic).exists()
