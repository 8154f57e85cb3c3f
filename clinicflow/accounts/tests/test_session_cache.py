"""A signed-in request takes the person's account and session record from the cache, and an
account deactivated, a password changed or a session ended counts from the very next request."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clinicflow.accounts.models import UserSession
from clinicflow.accounts.services.sessions import EndReason, end_own_session, mark_ended

pytestmark = pytest.mark.django_db
SEARCH = "/patients/"


def account_queries(client):
    """The response and how many queries read the account and the session record."""
    with CaptureQueriesContext(connection) as seen:
        response = client.get(SEARCH)
    sql = [q["sql"] for q in seen.captured_queries]
    return (
        response,
        sum('FROM "accounts_user"' in q for q in sql),
        sum('FROM "accounts_usersession"' in q for q in sql),
        len(sql),
    )


def test_the_second_request_reads_neither_the_account_nor_the_session_record(receptionist, sign_in):
    client = sign_in(receptionist)
    first, users, sessions, total = account_queries(client)
    assert first.status_code == 200
    assert (users, sessions) == (1, 1)
    second, users, sessions, fewer = account_queries(client)
    assert second.status_code == 200
    assert (users, sessions) == (0, 0)
    assert fewer <= total - 2


def test_a_deactivated_account_is_refused_on_the_next_request(receptionist, sign_in):
    client = sign_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    receptionist.is_active = False
    receptionist.save()  # not the staff service: the session itself is left alone
    assert client.get(SEARCH).status_code == 302


def test_a_changed_password_signs_the_old_session_out_on_the_next_request(receptionist, sign_in):
    client = sign_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    receptionist.set_password("a whole new passphrase")
    receptionist.save()
    assert client.get(SEARCH).status_code == 302


def test_a_session_marked_ended_is_refused_on_the_next_request(receptionist, sign_in):
    client = sign_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    # The record only (the session store still has it): the cached record must not count.
    assert mark_ended(client.session.session_key, reason=EndReason.LOGOUT)
    assert client.get(SEARCH).status_code == 302


def test_a_session_record_saved_as_ended_is_refused_on_the_next_request(receptionist, sign_in):
    client = sign_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    record = UserSession.objects.get(session_key=client.session.session_key)
    record.ended_at = timezone.now()
    record.save()
    assert client.get(SEARCH).status_code == 302


def test_a_session_ended_from_another_device_is_refused_on_the_next_request(receptionist, sign_in):
    phone, desk = sign_in(receptionist), sign_in(receptionist)
    assert desk.get(SEARCH).status_code == 200
    record = UserSession.objects.get(session_key=desk.session.session_key)
    end_own_session(user=receptionist, session_id=record.pk)
    assert desk.get(SEARCH).status_code == 302
    assert phone.get(SEARCH).status_code == 200


def test_an_idle_session_is_judged_on_the_stored_record(receptionist, sign_in, settings):
    """A cached record a little behind never ends a session that another request kept alive."""
    client = sign_in(receptionist)
    assert client.get(SEARCH).status_code == 200
    record = UserSession.objects.get(session_key=client.session.session_key)
    long_ago = timezone.now() - settings.SESSION_IDLE_TIMEOUT * 2
    UserSession.objects.filter(pk=record.pk).update(last_seen_at=long_ago)  # a stale copy …
    from django.core.cache import cache

    from clinicflow.accounts.services.sessions import _record_key

    stale = UserSession.objects.get(pk=record.pk)
    cache.set(_record_key(record.session_key), stale)
    UserSession.objects.filter(pk=record.pk).update(last_seen_at=timezone.now())  # … and now
    assert client.get(SEARCH).status_code == 200
