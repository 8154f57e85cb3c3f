"""A signed-in request takes the person's memberships from the cache, and every change to
them, to the account or to a clinic counts from the very next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinicflow.accounts.actors import access_changed
from clinicflow.accounts.models import Membership
from clinicflow.core.roles import Role
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db
SEARCH = "/patients/"


def membership_queries(client, path=SEARCH):
    with CaptureQueriesContext(connection) as seen:
        response = client.get(path)
    return response, [q["sql"] for q in seen.captured_queries if "accounts_membership" in q["sql"]]


def test_a_signed_in_request_does_not_reload_the_memberships(receptionist, sign_in):
    client = sign_in(receptionist)
    client.get(SEARCH)
    response, queries = membership_queries(client)
    assert response.status_code == 200
    assert queries == []


def test_a_role_taken_away_is_refused_on_the_next_request(receptionist, sign_in):
    client = sign_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    membership = Membership.objects.get(user=receptionist, role=Role.RECEPTIONIST)
    membership.is_active = False
    membership.save()
    assert client.get(SEARCH).status_code != 200


def test_a_role_given_counts_on_the_next_request(nurse, clinic, sign_in):
    client = sign_in(nurse)
    assert client.get(reverse("accounts:staff_list")).status_code == 403
    MembershipFactory(user=nurse, clinic=clinic, role=Role.MANAGER)
    assert client.get(reverse("accounts:staff_list")).status_code == 200


def test_a_clinic_made_inactive_drops_out_of_everyones_access(receptionist, clinic, sign_in):
    client = sign_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    clinic.is_active = False
    clinic.save()
    assert client.get(SEARCH).status_code != 200


def test_a_change_that_skips_the_signals_counts_once_announced(receptionist, sign_in):
    """A bulk ``update()`` sends no signal: whoever makes one calls ``access_changed`` (and
    without it the cached access lives at most ``ACCESS_CACHE_SECONDS``)."""
    client = sign_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    Membership.objects.filter(user=receptionist).update(is_active=False)
    access_changed(user_id=receptionist.pk)
    assert client.get(SEARCH).status_code != 200


def test_each_session_keeps_its_own_clinic(receptionist, clinic, other_clinic, sign_in):
    MembershipFactory(user=receptionist, clinic=other_clinic, role=Role.RECEPTIONIST)
    here, there = sign_in(receptionist), sign_in(receptionist)
    there.post(reverse("core:clinic_switch"), {"clinic": str(other_clinic.pk)})
    assert clinic.name in here.get(SEARCH).content.decode()
    assert other_clinic.name in there.get(SEARCH).content.decode()
