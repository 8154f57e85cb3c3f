"""Security events told to the person themselves, by e-mail and in-app: a sign-in from a
device their account was never signed in from, and their password changed (by them, or by a
reset link). Not something one may turn off, and sent at night too (urgent): that is when a
stranger signs in. Told in the clinic whose trail the sign-in belongs in (their first active
membership); a platform admin of no clinic is not told this way. Patients' portal accounts
come later.

Registered as event kinds of the notifications app; emitted when the session record is started
(``signals.on_logged_in``) and inside the password's transaction (``services.credentials``)."""

from __future__ import annotations

from typing import Any

from django.utils import formats, timezone

from clinicflow.accounts.models import Membership, User, UserSession
from clinicflow.notifications import events
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel

NEW_DEVICE = "accounts.new_device"
PASSWORD_CHANGED = "accounts.password_changed"

CHANNELS = (Channel.EMAIL, Channel.IN_APP)

KINDS = (
    EventKind(
        key=NEW_DEVICE,
        label="A sign-in from a new device",
        audience=Audience.STAFF,
        channels=CHANNELS,
        placeholders=("name", "username", "device", "ip", "when"),
        urgent=True,
        optional=False,
        texts={
            "en": Text(
                subject="New sign-in to your account from {device}",
                body="Hello {name},\n\nYour account {username} was signed in to on {when} from "
                "{device} (address {ip}), a device it had not been used from before.\n\n"
                "If this was you, there is nothing to do. If not, change your password now and "
                "tell your clinic's administrator.",
            ),
            "ne": Text(
                subject="{device} बाट तपाईंको खातामा नयाँ साइन-इन",
                body="नमस्ते {name},\n\nतपाईंको खाता {username} मा {when} मा {device} (ठेगाना "
                "{ip}) बाट साइन-इन भयो, जुन उपकरणबाट पहिले कहिल्यै भएको थिएन।\n\nयो तपाईं "
                "हुनुहुन्थ्यो भने केही गर्नु पर्दैन। होइन भने, अहिल्यै पासवर्ड फेर्नुहोस् र "
                "क्लिनिकको प्रशासकलाई भन्नुहोस्।",
            ),
        },
    ),
    EventKind(
        key=PASSWORD_CHANGED,
        label="Your password was changed",
        audience=Audience.STAFF,
        channels=CHANNELS,
        placeholders=("name", "username", "how", "when"),
        urgent=True,
        optional=False,
        texts={
            "en": Text(
                subject="Your password was changed",
                body="Hello {name},\n\nThe password of your account {username} was changed on "
                "{when} ({how}). Your other sessions were signed out.\n\nIf this was not you, "
                "tell your clinic's administrator at once.",
            ),
            "ne": Text(
                subject="तपाईंको पासवर्ड फेरियो",
                body="नमस्ते {name},\n\nतपाईंको खाता {username} को पासवर्ड {when} मा फेरियो "
                "({how})। अरू सत्रहरूबाट साइन-आउट गरियो।\n\nयो तपाईंले गर्नुभएको होइन भने "
                "क्लिनिकको प्रशासकलाई तुरुन्तै भन्नुहोस्।",
            ),
        },
    ),
)


def register() -> None:
    for kind in KINDS:
        events.register_kind(kind)


def _home_membership(user: User) -> Membership | None:
    return (
        Membership.objects.filter(user=user, is_active=True, clinic__isnull=False)
        .select_related("clinic")
        .order_by("created_at")
        .first()
    )


def _tell(kind: str, user: User, key: str, values: dict[str, Any]) -> events.Emitted | None:
    membership = _home_membership(user)
    if membership is None or membership.clinic is None:
        return None
    clinic = membership.clinic
    when = timezone.localtime(timezone.now(), clinic.zone)
    return events.emit(
        kind,
        clinic=clinic,
        key=key,
        users=[user],
        values={
            "name": user.get_full_name() or user.username,
            "username": user.username,
            "when": f"{formats.date_format(when, 'j M Y')} {formats.time_format(when, 'G:i')}",
            **values,
        },
    )


def is_new_device(session: UserSession) -> bool:
    """The account has been signed in to before, never from this kind of device (the browser
    and system its user agent names)."""
    earlier = list(
        UserSession.objects.filter(user_id=session.user_id)
        .exclude(pk=session.pk)
        .values_list("user_agent", flat=True)
        .distinct()
    )
    return bool(earlier) and all(
        UserSession(user_agent=agent).device != session.device for agent in earlier
    )


def signed_in(session: UserSession) -> events.Emitted | None:
    """A session just started: tell its person when it is from a new device (once per
    session)."""
    if not is_new_device(session):
        return None
    return _tell(
        NEW_DEVICE,
        session.user,
        str(session.pk),
        {"device": session.device, "ip": session.ip or "unknown"},
    )


def password_changed(user: User, how: str) -> events.Emitted | None:
    """The password was just changed (``how``: by the person, by a reset link)."""
    return _tell(PASSWORD_CHANGED, user, f"{user.pk}:{timezone.now().isoformat()}", {"how": how})
