"""The one-time code, told through the notifications outbox.

Urgent (it goes during quiet hours: the person is waiting for it) and not optional. Marked
``secret``: the delivery log shows its text with the code masked (``••••••``), the stored
text is masked once the message has been sent or has failed for good, and a manager cannot
send it again (the person asks for a new code). The code is never in a subject or an in-app
notice.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from clinicflow.notifications import events
from clinicflow.notifications.events import Audience, EventKind, Text
from clinicflow.notifications.models import Channel

CODE = "portal.code"

#: What the code is for, as the message says it.
PURPOSES = {
    "register": ("create your account", "तपाईंको खाता बनाउन"),
    "sign_in": ("sign in", "साइन-इन गर्न"),
    "link": ("link a record to your account", "तपाईंको खातामा रेकर्ड जोड्न"),
    "contact": ("confirm this as your new contact", "यसलाई तपाईंको नयाँ सम्पर्क बनाउन"),
}

KIND = EventKind(
    key=CODE,
    label=str(_("A one-time code (portal)")),
    audience=Audience.PATIENT,
    channels=(Channel.SMS, Channel.EMAIL),
    placeholders=("code", "purpose", "minutes"),
    urgent=True,
    optional=False,
    secret=True,
    texts={
        "en": Text(
            subject="Your {clinic} code",
            body="Your code to {purpose} at {clinic} is {code}. It expires in {minutes} "
            "minutes.\n\nNobody from the clinic will ever ask you for it. If you did not ask "
            "for a code, you can ignore this message.",
            sms="{code} is your {clinic} code to {purpose}. Valid {minutes} min. Never share it.",
        ),
        "ne": Text(
            subject="तपाईंको {clinic} कोड",
            body="{clinic} मा {purpose} तपाईंको कोड {code} हो। यो {minutes} मिनेटमा सकिन्छ।"
            "\n\nक्लिनिकका कसैले पनि यो कोड कहिल्यै माग्दैनन्। तपाईंले कोड मागेको होइन भने "
            "यो सन्देश बेवास्ता गर्नुहोस्।",
            sms="{code} {clinic} मा {purpose} तपाईंको कोड हो। {minutes} मिनेट। कसैलाई नदिनुहोस्।",
        ),
    },
)


ACCOUNT_EXISTS = "portal.account_exists"

EXISTS_KIND = EventKind(
    key=ACCOUNT_EXISTS,
    label=str(_("Someone tried to register an address that has an account (portal)")),
    audience=Audience.PATIENT,
    channels=(Channel.SMS, Channel.EMAIL),
    placeholders=(),
    urgent=True,
    optional=False,
    texts={
        "en": Text(
            subject="You already have a {clinic} account",
            body="Someone asked to create a {clinic} patient account with this address. You "
            "already have one: sign in, or use \u201cForgot your password?\u201d on the sign-in "
            "page.\n\nIf it was not you, you can ignore this message.",
            sms="{clinic}: you already have an account. Sign in, or reset your password. "
            "Not you? Ignore this.",
        ),
        "ne": Text(
            subject="तपाईंको {clinic} खाता पहिल्यै छ",
            body="कसैले यो ठेगानाबाट {clinic} मा बिरामी खाता बनाउन खोज्नुभयो। तपाईंको खाता "
            "पहिल्यै छ: साइन-इन गर्नुहोस्, वा पासवर्ड बिर्सनुभयो भने नयाँ बनाउनुहोस्।\n\n"
            "तपाईं हुनुहुन्न भने यो सन्देश बेवास्ता गर्नुहोस्।",
            sms="{clinic}: तपाईंको खाता पहिल्यै छ। साइन-इन गर्नुहोस्।",
        ),
    },
)


CONTACT_CHANGED = "portal.contact_changed"

CHANGED_KIND = EventKind(
    key=CONTACT_CHANGED,
    label=str(_("A record's phone or e-mail was changed in the portal (to the old address)")),
    audience=Audience.PATIENT,
    channels=(Channel.SMS, Channel.EMAIL),
    placeholders=(),
    urgent=True,
    optional=False,
    texts={
        "en": Text(
            subject="Your {clinic} contact details were changed",
            body="The phone number or e-mail address on your {clinic} record was changed in "
            "the patient portal, and the clinic will no longer write to this address.\n\n"
            "If you did not ask for this, call or visit the clinic's reception.",
            sms="{clinic}: the phone or e-mail on your record was changed. Not you? Call the "
            "clinic.",
        ),
        "ne": Text(
            subject="तपाईंको {clinic} सम्पर्क विवरण परिवर्तन भयो",
            body="बिरामी पोर्टलमा {clinic} को तपाईंको रेकर्डको फोन नम्बर वा इमेल परिवर्तन "
            "गरियो, र क्लिनिकले अब यो ठेगानामा लेख्ने छैन।\n\nतपाईंले यो नमागेको भए क्लिनिकको "
            "रिसेप्सनमा फोन गर्नुहोस् वा आउनुहोस्।",
            sms="{clinic}: तपाईंको रेकर्डको फोन वा इमेल परिवर्तन भयो। तपाईं होइन? क्लिनिकमा फोन गर्नुहोस्।",
        ),
    },
)


def register() -> None:
    events.register_kind(KIND)
    events.register_kind(EXISTS_KIND)
    events.register_kind(CHANGED_KIND)


def _notice(kind: str, *, clinic: Any, address: str, patient: Any = None) -> events.Emitted:
    """A notice (no placeholders) to one ``address``, in the caller's transaction."""
    from django.utils.crypto import get_random_string

    return events.emit_to_address(
        kind, clinic=clinic, key=get_random_string(16), values={}, address=address, patient=patient
    )


def send_account_exists(*, clinic: Any, address: str) -> events.Emitted:
    """Tell an address that asked to register (or to become a record's), and has an account,
    to sign in instead (the visitor sees only the usual "code sent" page)."""
    return _notice(ACCOUNT_EXISTS, clinic=clinic, address=address)


def send_contact_changed(*, clinic: Any, address: str, patient: Any) -> events.Emitted:
    """Tell the address a record no longer has that it was changed, so a change the person
    did not ask for does not go unnoticed."""
    return _notice(CONTACT_CHANGED, clinic=clinic, address=address, patient=patient)


def send_code(code: Any, digits: str) -> events.Emitted:
    """Queue ``digits`` to the code's address, in the caller's transaction."""
    from clinicflow.notifications.messaging import settings_of

    english, nepali = PURPOSES[code.purpose]
    purpose = nepali if settings_of(code.clinic).language == "ne" else english
    return events.emit_to_address(
        CODE,
        clinic=code.clinic,
        key=str(code.pk),
        values={"code": digits, "purpose": purpose, "minutes": "10"},
        address=code.address,
        patient=code.patient_id,
        user=code.user_id,
    )
