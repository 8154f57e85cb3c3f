"""Raising and reading in-app notices.

A notice is raised for people (``raise_notice``) or for every active member of a clinic who
holds some roles (``notify_roles``). Raising is idempotent by ``key``: a notice already raised
for a person under that key is not raised again (the database's unique constraint settles two
raisers racing). Once the notices are committed, each person who got new ones hears it on
their live channel (the navbar's bell counts up).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from clinicflow.accounts.models import Membership
from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role
from clinicflow.notifications import live
from clinicflow.notifications.models import Notice


@dataclass(frozen=True)
class Draft:
    """A notice to raise, before it has a recipient."""

    kind: str
    key: str
    title: str
    body: str = ""
    url: str = ""


def recipients_with_roles(clinic: Any, roles: Iterable[Role | str]) -> list[Any]:
    """Ids of the people who hold one of ``roles`` in the clinic, active there and active
    as users (one query)."""
    return list(
        Membership.objects.filter(
            clinic=clinic, role__in=list(roles), is_active=True, user__is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
        .order_by("user_id")
    )


@transaction.atomic
def raise_notices(*, clinic: Any, recipients: Sequence[Any], drafts: Sequence[Draft]) -> int:
    """Every draft for every recipient (user ids or users), except those each already has;
    returns how many were new. The same queries whatever the numbers: the keys already
    raised, then a bulk insert (in batches of 500); the live messages go after commit."""
    user_ids = [getattr(r, "pk", r) for r in recipients]
    if not user_ids or not drafts:
        return 0
    keys = {d.key for d in drafts}
    had = set(
        Notice.objects.for_clinic(clinic)
        .filter(recipient_id__in=user_ids, key__in=keys)
        .values_list("recipient_id", "key")
    )
    new = [
        Notice(
            clinic=clinic,
            recipient_id=user_id,
            kind=d.kind[:40],
            key=d.key[:200],
            title=d.title[:200],
            body=d.body,
            url=d.url[:300],
        )
        for user_id in user_ids
        for d in drafts
        if (user_id, d.key) not in had
    ]
    if not new:
        return 0
    # Another run may insert the same notices between the read and the insert: the unique
    # constraint keeps one, and this insert skips it.
    Notice.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    _forget_unread(clinic, user_ids)
    per_person = Counter(n.recipient_id for n in new)
    latest = {n.recipient_id: n for n in new}
    transaction.on_commit(
        lambda: live.tell_each(
            {
                user_id: {
                    "count": count,
                    "title": latest[user_id].title,
                    "url": latest[user_id].url,
                    "kind": latest[user_id].kind,
                }
                for user_id, count in per_person.items()
            }
        ),
        robust=True,  # a live channel down must not undo or fail what was raised
    )
    return len(new)


def raise_notice(
    *,
    clinic: Any,
    recipient: Any,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
) -> bool:
    """One notice for one person; False when they already had it."""
    draft = Draft(kind=kind, key=key, title=title, body=body, url=url)
    return raise_notices(clinic=clinic, recipients=[recipient], drafts=[draft]) == 1


def notify_roles(*, clinic: Any, roles: Iterable[Role | str], drafts: Sequence[Draft]) -> int:
    """The drafts for every active member of the clinic holding one of ``roles``."""
    return raise_notices(
        clinic=clinic, recipients=recipients_with_roles(clinic, roles), drafts=drafts
    )


# ---------------------------------------------------------------- one's own notices


def inbox(actor: Actor) -> QuerySet[Notice]:
    """The actor's own notices in their current clinic, newest first."""
    if actor.clinic is None or not actor.is_authenticated:
        return Notice.objects.none()
    return Notice.objects.for_clinic(actor.clinic).filter(recipient=actor.user)


def unread_count(actor: Actor) -> int:
    """One COUNT on the partial index of unread notices."""
    if actor.clinic is None or not actor.is_authenticated:
        return 0
    return inbox(actor).filter(read_at__isnull=True).count()


#: The navbar's figure is kept this long in the cache, so a page costs no query for it; every
#: raise and read forgets it at once, and a count read during a raise lives at most this long.
UNREAD_CACHE_SECONDS = 60


def _unread_key(clinic_id: Any, user_id: Any) -> str:
    return f"notices:unread:{clinic_id}:{user_id}"


def _forget_unread(clinic: Any, user_ids: Iterable[Any]) -> None:
    keys = [_unread_key(clinic.pk, user_id) for user_id in user_ids]
    cache.delete_many(keys)
    # Again once committed: a page that counted before the commit may have cached the old count.
    transaction.on_commit(lambda: cache.delete_many(keys), robust=True)


def unread_badge(actor: Actor) -> int:
    """The navbar's unread figure: ``unread_count``, cached."""
    if actor.clinic is None or not actor.is_authenticated:
        return 0
    key = _unread_key(actor.clinic.pk, actor.user.pk)
    count = cache.get(key)
    if count is None:
        count = unread_count(actor)
        cache.set(key, count, UNREAD_CACHE_SECONDS)
    return int(count)


def mark_read(*, actor: Actor, notice_id: Any) -> Notice | None:
    """Mark one of the actor's own notices read (someone else's, or a missing one, is None)."""
    notice = inbox(actor).filter(pk=notice_id).first()
    if notice is not None and notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
        _forget_unread(actor.clinic, [actor.user.pk])
    return notice


def mark_all_read(*, actor: Actor, now: datetime | None = None) -> int:
    marked = inbox(actor).filter(read_at__isnull=True).update(read_at=now or timezone.now())
    if marked:
        _forget_unread(actor.clinic, [actor.user.pk])
    return marked
