"""One-time codes: issued, sent through the outbox, checked once.

Six random digits, kept only as an HMAC keyed by ``SECRET_KEY`` and salted with the code's id;
ten minutes to use them, five tries, used once. Asking for codes is limited per address and
per IP, and so is typing them (``core.throttle``); a wrong code typed to sign in also counts
towards the account's lockout (``accounts.lockout``), so the sign-in page and the code page
share one limit per account.

A check and the step it unlocks (an account created, a record linked) run in one transaction
holding the code's row lock: two requests with the same code do the step once. A wrong try is
committed before the refusal, so a refusal never rolls its count back.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from clinicflow.core.errors import DomainError, LimitReached
from clinicflow.core.throttle import Throttle
from clinicflow.portal import messages
from clinicflow.portal.models import CodePurpose, OneTimeCode

DIGITS = 6
LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5

#: Codes asked for one address (or one record, for linking), and from one IP.
SEND_PER_ADDRESS = Throttle("portal.code.send.address", 3, timedelta(minutes=15))
SEND_PER_IP = Throttle("portal.code.send.ip", 10, timedelta(hours=1))
#: Codes one signed-in account asks for, whichever records and addresses (to link a record,
#: to prove a new phone or e-mail): an account rotating IPs cannot send codes to any number.
PER_ACCOUNT = Throttle("portal.code.account", 6, timedelta(hours=1))
#: Codes typed for one address, and from one IP (each code also allows only MAX_ATTEMPTS).
VERIFY_PER_ADDRESS = Throttle("portal.code.verify.address", 10, timedelta(minutes=15))
VERIFY_PER_IP = Throttle("portal.code.verify.ip", 30, timedelta(hours=1))

T = TypeVar("T")


class TooManyTries(LimitReached):
    status_code = 429
    default_code = "too_many_tries"


class Verdict(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    SPENT = "spent"  # no tries left


def _wrong_message(verdict: Verdict) -> str:
    return {
        Verdict.WRONG: _("That code is not right. Check the digits, or ask for a new code."),
        Verdict.EXPIRED: _("That code has expired. Ask for a new one."),
        Verdict.USED: _("That code was already used. Ask for a new one."),
        Verdict.SPENT: _("Too many wrong tries for this code. Ask for a new one."),
    }[verdict]


def new_digits() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def digest(code: OneTimeCode, digits: str) -> str:
    return salted_hmac("clinicflow.portal.code", f"{code.pk}:{digits}").hexdigest()


def check_send_limits(*, address_key: str, ip: str, account: Any = None) -> None:
    """Count one code asked for ``address_key`` from ``ip`` (by ``account``, when a signed-in
    account asks); refuse beyond any limit."""
    by_address = SEND_PER_ADDRESS.hit(address_key)
    by_ip = SEND_PER_IP.hit(ip or "unknown")
    by_account = account is None or PER_ACCOUNT.hit(str(account))
    if not (by_address and by_ip and by_account):
        raise TooManyTries(
            _("Too many codes were asked for. Wait 15 minutes, then ask again."), field=None
        )


def issue(
    *,
    purpose: CodePurpose,
    clinic: Any,
    address: str,
    ip: str,
    user: Any = None,
    patient: Any = None,
    payload: Mapping[str, Any] | None = None,
    asked: str = "",
) -> OneTimeCode:
    """A new code for ``purpose``, sent to ``address`` through the clinic's outbox in the
    caller's transaction. Without an address (or a clinic) nothing is sent and the code can
    never be right: the visitor's next page is the same as for a real one. ``asked``: what
    the visitor typed to ask for it (the phone, or the clinic and MRN), by which its tries
    are counted whether or not it led anywhere (``address`` when not given)."""
    code = OneTimeCode(
        purpose=purpose,
        clinic=clinic,
        ip=ip or "",
        user=user,
        patient=patient,
        payload={**(payload or {}), "asked": asked or address},
        expires_at=timezone.now() + LIFETIME,
    )
    if address and clinic is not None:
        digits = new_digits()
        code.address = address
        code.code_hash = digest(code, digits)
        code.save(force_insert=True)
        messages.send_code(code, digits)
    else:
        code.save(force_insert=True)
    return code


def send_later(code: OneTimeCode, *, address: str, patient: Any = None) -> None:
    """Give a code issued without an address (a link asked for by MRN and birth date) the
    address found for it, and send it. The caller holds the code's row lock."""
    digits = new_digits()
    code.address = address
    code.patient = patient
    code.code_hash = digest(code, digits)
    code.expires_at = timezone.now() + LIFETIME
    code.save(update_fields=["address", "patient", "code_hash", "expires_at"])
    messages.send_code(code, digits)


def _judge(code: OneTimeCode, digits: str) -> Verdict:
    if code.used_at is not None:
        return Verdict.USED
    if code.attempts >= MAX_ATTEMPTS:
        return Verdict.SPENT
    if code.expires_at <= timezone.now():
        return Verdict.EXPIRED
    typed = "".join(ch for ch in digits if ch.isdigit())
    if (
        code.code_hash
        and len(typed) == DIGITS
        and constant_time_compare(code.code_hash, digest(code, typed))
    ):
        return Verdict.RIGHT
    return Verdict.WRONG


def redeem(
    *,
    code_id: Any,
    digits: str,
    purpose: CodePurpose,
    ip: str,
    then: Callable[[OneTimeCode], T],
    on_wrong: Callable[[OneTimeCode], None] | None = None,
) -> T:
    """Check ``digits`` against the code and, when right, mark it used and run ``then`` in
    the same transaction (its error rolls the use back too). A wrong try is counted and
    committed, ``on_wrong`` runs after the commit, and the refusal says what to do.
    Errors: ``DomainError`` (wrong, expired, used, no tries left), ``TooManyTries``."""
    found = OneTimeCode.objects.filter(pk=code_id, purpose=purpose).only("payload").first()
    if found is None:
        raise DomainError(_wrong_message(Verdict.EXPIRED), field="code")
    # Counted by what the visitor typed, the same whether it named an account or nobody.
    asked = found.payload.get("asked") or str(found.pk)
    within = VERIFY_PER_IP.hit(ip or "unknown") & VERIFY_PER_ADDRESS.hit(asked)
    if not within:
        raise TooManyTries(_("Too many codes were tried. Wait 15 minutes."), field="code")
    with transaction.atomic():
        code = OneTimeCode.objects.select_for_update().get(pk=code_id)
        verdict = _judge(code, digits)
        if verdict is Verdict.RIGHT:
            code.used_at = timezone.now()
            code.attempts += 1
            code.save(update_fields=["used_at", "attempts"])
            return then(code)
        if verdict in (Verdict.WRONG, Verdict.EXPIRED):
            code.attempts += 1
            code.save(update_fields=["attempts"])
    if on_wrong is not None and verdict is Verdict.WRONG:
        on_wrong(code)
    raise DomainError(_wrong_message(verdict), field="code")


#: How long an unused code's row keeps what it held after its expiry (a support question).
KEPT_AFTER_EXPIRY = timedelta(days=1)


def forget_expired(*, now: Any = None) -> int:
    """Unused codes a day past their expiry lose their details (a registration's name, birth
    date and password hash) and their HMAC; used ones keep their address, which proves it.
    How many were forgotten."""
    before = (now or timezone.now()) - KEPT_AFTER_EXPIRY
    stale = OneTimeCode.objects.filter(used_at__isnull=True, expires_at__lt=before).exclude(
        payload={}, code_hash=""
    )
    return stale.update(payload={}, code_hash="")
