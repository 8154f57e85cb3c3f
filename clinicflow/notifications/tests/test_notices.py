"""In-app notices: raised once per person and key, for the active members holding the roles
asked, told live after commit; each person reads and marks only their own."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import Membership
from clinicflow.core.roles import Role
from clinicflow.notifications import notices
from clinicflow.notifications.models import Notice
from tests.factories import member

pytestmark = pytest.mark.django_db

LOW = notices.Draft(
    kind="pharmacy.low_stock", key="low:1:2025-03-01", title="Low stock: amoxicillin",
    url="/pharmacy/stock/alerts/",
)  # fmt: skip
EXPIRED = notices.Draft(kind="pharmacy.expired", key="expired:7:2025-03-01", title="Expired")


def test_notify_roles_reaches_every_active_member_with_those_roles_once(
    clinic, other_clinic, pharmacist, manager, receptionist, other_clinic_manager
):
    second = member(Role.PHARMACIST, clinic, username="pharmacist2")
    gone = member(Role.PHARMACIST, clinic, username="pharmacist_gone")
    Membership.objects.filter(user=gone).update(is_active=False)
    locked = member(Role.MANAGER, clinic, username="manager_locked")
    type(locked).objects.filter(pk=locked.pk).update(is_active=False)
    both = member(Role.PHARMACIST, clinic, username="pharmacist_manager")
    Membership.objects.create(user=both, clinic=clinic, role=Role.MANAGER)

    roles = [Role.PHARMACIST, Role.MANAGER]
    assert notices.notify_roles(clinic=clinic, roles=roles, drafts=[LOW, EXPIRED]) == 2 * 4
    told = set(Notice.objects.values_list("recipient__username", flat=True))
    assert told == {pharmacist.username, second.username, manager.username, both.username}
    assert Notice.objects.filter(recipient=both).count() == 2  # two roles, one notice each
    assert set(Notice.objects.values_list("clinic_id", flat=True)) == {clinic.pk}
    # Again: nothing new.
    assert notices.notify_roles(clinic=clinic, roles=roles, drafts=[LOW, EXPIRED]) == 0
    assert Notice.objects.count() == 8


def test_raise_notice_is_idempotent_by_key_and_per_clinic(clinic, other_clinic, pharmacist):
    kwargs = {"recipient": pharmacist, "kind": "k", "key": "same", "title": "T"}
    assert notices.raise_notice(clinic=clinic, **kwargs) is True
    assert notices.raise_notice(clinic=clinic, **kwargs) is False
    # The same person in another clinic hears that clinic's notice of the same key.
    assert notices.raise_notice(clinic=other_clinic, **kwargs) is True
    assert Notice.objects.filter(recipient=pharmacist).count() == 2


def test_the_database_refuses_a_duplicate_notice(clinic, pharmacist):
    Notice.objects.create(clinic=clinic, recipient=pharmacist, kind="k", key="x", title="T")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(clinic=clinic, recipient=pharmacist, kind="k", key="x", title="T")


def test_raising_for_many_costs_the_same_queries(
    clinic, pharmacist, manager, django_assert_max_num_queries
):
    def drafts(prefix, n):
        return [notices.Draft(kind="k", key=f"{prefix}-{i}", title=f"T{i}") for i in range(n)]

    with django_assert_max_num_queries(5) as few:  # keys already raised, one insert
        assert (
            notices.raise_notices(clinic=clinic, recipients=[pharmacist], drafts=drafts("a", 2))
            == 2
        )
    people = [pharmacist, manager, *(member(Role.PHARMACIST, clinic) for _ in range(5))]
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert notices.raise_notices(clinic=clinic, recipients=people, drafts=drafts("b", 10)) == 70


def test_new_notices_are_told_live_after_commit_once_per_person(
    clinic, pharmacist, manager, django_capture_on_commit_callbacks, monkeypatch
):
    told: list[dict] = []
    monkeypatch.setattr(notices.live, "tell_each", told.append)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notices.notify_roles(clinic=clinic, roles=[Role.PHARMACIST], drafts=[LOW, EXPIRED])
    assert told == []  # nothing is sent before the commit
    for callback in callbacks:
        callback()
    [payloads] = told
    assert set(payloads) == {pharmacist.pk}
    assert payloads[pharmacist.pk]["count"] == 2
    assert payloads[pharmacist.pk]["title"] in {LOW.title, EXPIRED.title}
    # A second raise of the same notices has nothing to tell.
    with django_capture_on_commit_callbacks() as callbacks:
        notices.notify_roles(clinic=clinic, roles=[Role.PHARMACIST], drafts=[LOW, EXPIRED])
    assert callbacks == []


# ---------------------------------------------------------------- one's own notices


@pytest.fixture
def raised(clinic, other_clinic, pharmacist, manager, other_clinic_manager):
    notices.notify_roles(
        clinic=clinic, roles=[Role.PHARMACIST, Role.MANAGER], drafts=[LOW, EXPIRED]
    )
    notices.raise_notice(
        clinic=other_clinic, recipient=other_clinic_manager, kind="k", key="theirs",
        title="Their clinic's notice",
    )  # fmt: skip


def test_the_list_shows_only_ones_own_notices_with_the_unread_badge(raised, pharmacist, sign_in):
    page = sign_in(pharmacist).get(reverse("notifications:list"))
    assert page.status_code == 200
    assert {n.title for n in page.context["page"].items} == {LOW.title, EXPIRED.title}
    assert all(n.recipient_id == pharmacist.pk for n in page.context["page"].items)
    body = page.content.decode()
    assert "Their clinic" not in body
    assert "data-notification-count>2</span>" in body


def test_opening_a_notice_marks_it_read_and_follows_its_link(raised, pharmacist, sign_in):
    client = sign_in(pharmacist)
    notice = Notice.objects.get(recipient=pharmacist, key=LOW.key)
    response = client.post(reverse("notifications:read", args=[notice.pk]), {"open": "1"})
    assert response.status_code == 302
    assert response["Location"] == LOW.url
    notice.refresh_from_db()
    assert notice.read_at is not None
    unread = client.get(reverse("notifications:list"), {"unread": "1"})
    assert [n.key for n in unread.context["page"].items] == [EXPIRED.key]


def test_a_link_out_of_the_site_is_not_followed(clinic, pharmacist, sign_in):
    notices.raise_notice(
        clinic=clinic, recipient=pharmacist, kind="k", key="evil", title="T",
        url="https://evil.example/",
    )  # fmt: skip
    notice = Notice.objects.get(key="evil")
    response = sign_in(pharmacist).post(
        reverse("notifications:read", args=[notice.pk]), {"open": "1"}
    )
    assert response["Location"] == reverse("notifications:list")


def test_nobody_marks_another_persons_notice(raised, pharmacist, manager, sign_in):
    theirs = Notice.objects.get(recipient=manager, key=LOW.key)
    response = sign_in(pharmacist).post(reverse("notifications:read", args=[theirs.pk]))
    assert response.status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_all_read_touches_only_ones_own(raised, pharmacist, manager, sign_in):
    client = sign_in(pharmacist)
    assert client.post(reverse("notifications:read_all")).status_code == 302
    assert not Notice.objects.filter(recipient=pharmacist, read_at__isnull=True).exists()
    assert Notice.objects.filter(recipient=manager, read_at__isnull=True).count() == 2
    page = client.get(reverse("notifications:list"))
    assert 'd-none" data-notification-count>0</span>' in page.content.decode()


def test_marking_read_needs_a_post(raised, pharmacist, sign_in):
    notice = Notice.objects.filter(recipient=pharmacist).first()
    assert (
        sign_in(pharmacist).get(reverse("notifications:read", args=[notice.pk])).status_code == 405
    )
    notice.refresh_from_db()
    assert notice.read_at is None


def test_anyone_signed_in_has_a_list_and_nobody_else(client, patient, sign_in):
    assert sign_in(patient).get(reverse("notifications:list")).status_code == 200
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_list_and_the_badge_cost_the_same_queries_with_more_notices(
    clinic, pharmacist, sign_in, django_assert_max_num_queries
):
    client = sign_in(pharmacist)
    client.get(reverse("notifications:list"))
    notices.raise_notices(clinic=clinic, recipients=[pharmacist], drafts=[LOW])  # badge recounted
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("notifications:list"))
    drafts = [notices.Draft(kind="k", key=f"k{n}", title=f"T{n}") for n in range(80)]
    notices.raise_notices(clinic=clinic, recipients=[pharmacist], drafts=drafts)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("notifications:list"))
    assert page.context["page"].has_next
    assert "data-notification-count>81</span>" in page.content.decode()


def test_the_badge_counts_once_then_from_the_cache_until_a_change(
    clinic, pharmacist, django_assert_num_queries
):
    notices.raise_notices(clinic=clinic, recipients=[pharmacist], drafts=[LOW, EXPIRED])
    actor = actor_for(pharmacist)
    with django_assert_num_queries(1):
        assert notices.unread_badge(actor) == 2
    with django_assert_num_queries(0):
        assert notices.unread_badge(actor) == 2
    notices.mark_read(actor=actor, notice_id=Notice.objects.get(key=LOW.key).pk)
    assert notices.unread_badge(actor) == 1
    notices.raise_notice(clinic=clinic, recipient=pharmacist, kind="k", key="n", title="N")
    assert notices.unread_badge(actor) == 2
    notices.mark_all_read(actor=actor)
    assert notices.unread_badge(actor) == 0


@pytest.mark.django_db(transaction=True)
def test_the_live_channel_greets_with_the_unread_count_and_tells_of_new_notices(
    clinic, pharmacist, sign_in
):
    from asgiref.sync import sync_to_async

    from tests.sockets import connect, cookie_header

    notices.raise_notices(clinic=clinic, recipients=[pharmacist], drafts=[LOW, EXPIRED])
    headers = cookie_header(sign_in(pharmacist))

    async def scenario() -> tuple[dict, dict]:
        communicator, connected = await connect(headers)
        assert connected
        hello = await communicator.receive_json_from()
        await sync_to_async(notices.raise_notice)(
            clinic=clinic, recipient=pharmacist, kind="k", key="new", title="New one", url="/x/"
        )
        told = await communicator.receive_json_from()
        await communicator.disconnect()
        return hello, told

    hello, told = async_to_sync(scenario)()
    assert hello == {"type": "hello", "unread": 2}
    assert told == {
        "type": "notification",
        "payload": {"count": 1, "title": "New one", "url": "/x/", "kind": "k"},
    }
