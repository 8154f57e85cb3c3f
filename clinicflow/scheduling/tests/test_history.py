"""Histories in words: every from → to history shows the states' labels ("Booked → Checked
in"), never the stored codes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.scheduling.models import AppointmentChange
from clinicflow.scheduling.models import AppointmentStatus as S
from clinicflow.scheduling.services import change_status

pytestmark = pytest.mark.django_db


def test_the_appointment_history_says_each_state_in_words(
    next_monday, at, book, receptionist, sign_in, monkeypatch
):
    monday_ten = book(at(next_monday, 10))
    monkeypatch.setattr(timezone, "now", lambda: at(next_monday, 9, 50))
    change_status(actor=actor_for(receptionist), appointment=monday_ten, to_status=S.CHECKED_IN)
    html = (
        sign_in(receptionist)
        .get(reverse("scheduling:appointment", args=[monday_ten.pk]))
        .content.decode()
    )
    history = html.split('data-testid="history"')[1]
    assert "— → Booked" in history
    assert "Booked → Checked in" in history
    assert "checked_in" not in history
    assert str(AppointmentChange.objects.last()) == "Booked → Checked in"


def test_history_fields_of_every_state_machine_carry_their_labels():
    """Any model keeping a from → to history of states gives its fields the states' choices,
    so every page shows words ("Checked in"), never the stored code."""
    from django.apps import apps

    histories = [
        model
        for model in apps.get_models()
        if {"from_status", "to_status"} <= {f.name for f in model._meta.get_fields()}
    ]
    assert len(histories) >= 2
    for model in histories:
        for name in ("from_status", "to_status"):
            assert model._meta.get_field(name).choices, f"{model.__name__}.{name}"
