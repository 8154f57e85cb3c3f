"""Every write of the portal: registering an account, signing in with a code, linking records
to an account (by a code sent to the record's own address, or at the desk) and removing them,
and a new record for a family member who has none.

Each is one transaction; links are ``PatientLink`` rows (audited on every change), records are
created by the patients app's own registration service, accounts and their patient role by
the accounts app's models and provisioning.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicflow.accounts.lockout import is_locked_out
from clinicflow.accounts.models import Membership, User
from clinicflow.accounts.selectors import holds_staff_role
from clinicflow.accounts.services.credentials import validate_new_password
from clinicflow.accounts.services.provisioning import provision_role
from clinicflow.accounts.signals import record_failed_sign_in
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import Conflict, DomainError, LimitReached
from clinicflow.core.models import Clinic
from clinicflow.core.models.clinic import default_country
from clinicflow.core.roles import Role
from clinicflow.core.throttle import Throttle
from clinicflow.patients import services as patient_services
from clinicflow.patients.models import Patient
from clinicflow.patients.phones import normalise_phone
from clinicflow.portal import adolescents, codes, messages
from clinicflow.portal.models import (
    ACTIVE,
    CodePurpose,
    LinkedVia,
    OneTimeCode,
    PatientLink,
    Relationship,
)

LOCKED = _(
    "This account is locked after too many failed sign-ins. Try again in 15 minutes, or ask "
    "your clinic's reception."
)


def normalise_address(raw: str, *, region: str | None, field: str = "address") -> str:
    """An e-mail address (lower case) or a phone number (E.164), as typed by people.
    Errors: ``DomainError`` at ``field``."""
    text = (raw or "").strip()
    if not text:
        raise DomainError(_("Enter your mobile number or e-mail address."), field=field)
    if "@" in text:
        try:
            validate_email(text)
        except ValidationError:
            raise DomainError(_("This is not an e-mail address."), field=field) from None
        return text.lower()
    return normalise_phone(text, region=region, field=field)


def accounts_with(address: str) -> QuerySet[User]:
    """The accounts that hold ``address`` as a way in: their e-mail, or the mobile number they
    proved by a code. A contact phone typed at the desk or by a manager proves nothing, so it
    never stops the number's owner from registering or moving to it."""
    if "@" in address:
        return User.objects.filter(email__iexact=address)
    return User.objects.filter(verified_phone=address)


def _account_with(address: str) -> User | None:
    return accounts_with(address).first()


def taken_error(address: str) -> Conflict:
    what = _("e-mail address") if "@" in address else _("mobile number")
    return Conflict(
        _(
            "An account already uses this %(what)s. Sign in instead, or use "
            "“Forgot your password?” on the sign-in page."
        )
        % {"what": what},
        field="address",
    )


def answer_taken(purpose: CodePurpose, *, clinic: Clinic, address: str, ip: str) -> OneTimeCode:
    """An address that has an account, asked for by someone else: the address is told so
    (sign in instead), and the visitor gets a code that can never be right, so the next page
    is everyone's and never says who has an account."""
    messages.send_account_exists(clinic=clinic, address=address)
    return codes.issue(purpose=purpose, clinic=None, address="", ip=ip, asked=address)


def _refuse_taken(address: str) -> None:
    if _account_with(address) is not None:
        raise taken_error(address)


# ---------------------------------------------------------------- self-registration


@dataclass(frozen=True)
class Registration:
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    address: str  # as typed: a mobile number or an e-mail address
    password: str


@transaction.atomic
def start_registration(*, clinic: Clinic, registration: Registration, ip: str) -> OneTimeCode:
    """Check what a visitor typed to register at ``clinic`` and send a code to their address.
    Nothing is created until the code comes back (``complete_registration``). An address that
    already has an account gets, instead of a code, a message saying so (sign in, or reset the
    password), and the visitor the same page as anyone: the form never tells a stranger who
    has an account. Errors: ``DomainError`` naming the field; ``codes.TooManyTries``."""
    address = normalise_address(registration.address, region=clinic.country)
    details = _details(registration, address)
    patient_services.checked_details(clinic, details)
    adolescents.check_own_account(clinic, registration.birth_date, field="birth_date")
    validate_new_password(
        registration.password,
        User(username=address, first_name=registration.given_name, email=details["email"]),
    )
    codes.check_send_limits(address_key=address, ip=ip)
    if _account_with(address) is not None:
        return answer_taken(CodePurpose.REGISTER, clinic=clinic, address=address, ip=ip)
    return codes.issue(
        purpose=CodePurpose.REGISTER,
        clinic=clinic,
        address=address,
        ip=ip,
        payload={
            **{k: v for k, v in details.items() if k != "birth_date"},
            "birth_date": registration.birth_date.isoformat(),
            "password": make_password(registration.password),
        },
    )


def _details(registration: Registration, address: str) -> dict[str, Any]:
    return {
        "given_name": registration.given_name,
        "family_name": registration.family_name,
        "birth_date": registration.birth_date,
        "sex": registration.sex,
        "phone": "" if "@" in address else address,
        "email": address if "@" in address else "",
    }


def complete_registration(*, code_id: Any, digits: str, ip: str) -> User:
    """The right code: the account is created as a patient's (nothing else: a patient role at
    the chosen clinic), with a new record and a fresh MRN there, linked as its own.
    Errors: ``DomainError`` (wrong code...), ``Conflict`` (the address was taken meanwhile)."""
    return codes.redeem(
        code_id=code_id,
        digits=digits,
        purpose=CodePurpose.REGISTER,
        ip=ip,
        then=_create_account,
    )


def _username_for(address: str) -> str:
    base = address.lower()
    if not User.objects.filter(username=base).exists():
        return base
    return f"{base}-{secrets.token_hex(3)}"


def _create_account(code: OneTimeCode) -> User:
    address, details, clinic = code.address, dict(code.payload), code.clinic
    assert clinic is not None
    details["birth_date"] = date.fromisoformat(details["birth_date"])
    adolescents.check_own_account(clinic, details["birth_date"])  # the setting may have changed
    _refuse_taken(address)
    user = User(
        username=_username_for(address),
        first_name=details["given_name"],
        last_name=details["family_name"],
        email=details["email"],
        phone=details["phone"],
        verified_phone=details["phone"],  # proved by the code just redeemed
    )
    user.password = details.pop("password")
    details.pop("asked", None)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError:
        # The e-mail's or the verified phone's unique index: another registration of the
        # same address won between the check above and now. Answered as the check answers.
        raise taken_error(address) from None
    Membership.objects.create(user=user, clinic=clinic, role=Role.PATIENT)
    actor = Actor(user=user, clinic=clinic, roles=frozenset({Role.PATIENT}))
    patient = patient_services.register_own_record(actor=actor, details=details)
    PatientLink.objects.create(
        clinic=clinic,
        user=user,
        patient=patient,
        relationship=Relationship.SELF,
        linked_via=LinkedVia.REGISTRATION,
    )
    code.user, code.patient = user, patient
    code.payload = {}  # the details and password hash are the account's now
    code.save(update_fields=["user", "patient", "payload"])
    return user


# ---------------------------------------------------------------- signing in with a code


def _code_account(phone: str) -> User | None:
    """The patient account (no staff role, no authenticator app) that proved ``phone``: at
    most one, the database holds it (``user_verified_phone_unique``)."""
    user = User.objects.filter(verified_phone=phone, is_active=True).first()
    if user is None:
        return None
    roles = set(Membership.objects.filter(user=user, is_active=True).values_list("role", flat=True))
    if roles != {Role.PATIENT} or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return None
    return user


def _home_clinic(user: User) -> Clinic | None:
    membership = (
        Membership.objects.filter(user=user, is_active=True, role=Role.PATIENT)
        .select_related("clinic")
        .order_by("created_at")
        .first()
    )
    return membership.clinic if membership else None


@transaction.atomic
def start_code_sign_in(*, phone: str, ip: str) -> OneTimeCode:
    """Send a sign-in code to ``phone`` when a patient account proved it; the same answer
    whether or not one did. Errors: ``DomainError`` (not a phone number),
    ``codes.TooManyTries``."""
    address = normalise_phone(phone, region=default_country(), field="phone")
    if not address:
        raise DomainError(_("Enter your mobile number."), field="phone")
    codes.check_send_limits(address_key=address, ip=ip)
    user = _code_account(address)
    clinic = _home_clinic(user) if user else None
    return codes.issue(
        purpose=CodePurpose.SIGN_IN,
        clinic=clinic,
        address=address if clinic else "",
        ip=ip,
        user=user if clinic else None,
        asked=address,
    )


def complete_code_sign_in(*, code_id: Any, digits: str, ip: str) -> User:
    """The account a right sign-in code opens (the caller signs it in: the sign-in is audited
    and its session recorded like a password sign-in). Wrong codes are limited by the codes'
    own counts, not the account's lockout (which anyone knowing the phone could then trigger),
    and a locked account is said to be so only to whoever holds its right code: before that,
    a known phone and an unknown one are answered alike. Errors: ``DomainError``."""

    def signed_in(code: OneTimeCode) -> User:
        user = User.objects.filter(pk=code.user_id, is_active=True).first()
        if user is None:
            raise DomainError(_("That code is not right."), field="code")
        if is_locked_out(user.username):
            raise DomainError(LOCKED, field="code", code="locked")
        return user

    def failed(code: OneTimeCode) -> None:
        # Audited as a failed sign-in, but not counted towards the account's lockout.
        record_failed_sign_in(code.user)

    return codes.redeem(
        code_id=code_id,
        digits=digits,
        purpose=CodePurpose.SIGN_IN,
        ip=ip,
        then=signed_in,
        on_wrong=failed,
    )


# ---------------------------------------------------------------- linking records


@transaction.atomic
def request_link(
    *, actor: Actor, mrn: str, birth_date: date, relationship: str, ip: str
) -> OneTimeCode:
    """Ask to link the record with this MRN and birth date. The record is looked up only after
    this request has answered (``tasks.send_link_code``): right and wrong details take the
    same path and get the same page, and the code goes to the phone or e-mail on the record,
    never one the person typed. Errors: ``DomainError``, ``codes.TooManyTries``."""
    clinic = policy.require(actor, "portal.link")
    if relationship not in Relationship.values:
        raise DomainError(_("Choose how you are related."), field="relationship")
    key = f"{clinic.pk}:{mrn.strip().upper()}"
    codes.check_send_limits(address_key=key, ip=ip, account=actor.user.pk)
    code = codes.issue(
        purpose=CodePurpose.LINK,
        clinic=None,
        address="",
        ip=ip,
        user=actor.user,
        asked=key,
        payload={
            "clinic": str(clinic.pk),
            "mrn": mrn.strip().upper()[:20],
            "birth_date": birth_date.isoformat(),
            "relationship": relationship,
        },
    )
    from clinicflow.portal import tasks

    code_id = str(code.pk)
    transaction.on_commit(lambda: tasks.send_link_code.delay(code_id), robust=True)
    return code


def send_link_code(code_id: Any) -> bool:
    """Find the record a link code asked for and send the code to its phone (else e-mail);
    nothing when no active record of the clinic has that MRN and birth date, or it has
    neither. Whether a code was sent (for the task's log only)."""
    with transaction.atomic():
        code = OneTimeCode.objects.select_for_update().filter(pk=code_id).first()
        if code is None or code.code_hash or code.used_at is not None:
            return False
        wanted = code.payload
        clinic = Clinic.objects.filter(pk=wanted.get("clinic")).first()
        if clinic is None:
            return False
        patient = (
            Patient.objects.for_clinic(clinic)
            .filter(mrn=wanted.get("mrn"), birth_date=wanted.get("birth_date"), is_active=True)
            .first()
        )
        address = (patient.phone or patient.email) if patient else ""
        if patient is None or not address:
            return False
        code.clinic = clinic
        code.save(update_fields=["clinic"])
        codes.send_later(code, address=address, patient=patient)
        return True


def confirm_link(*, actor: Actor, code_id: Any, digits: str, ip: str) -> PatientLink:
    """The right code links the record it was sent for to the account (once, however many
    times it is sent at once). Errors: ``DomainError`` (wrong code...), ``Conflict``."""
    clinic = policy.require(actor, "portal.link")

    def link(code: OneTimeCode) -> PatientLink:
        if code.user_id != actor.user.pk or code.patient is None or code.clinic_id != clinic.pk:
            raise DomainError(_("That code is not right."), field="code")
        return _link(
            clinic=clinic,
            user=actor.user,
            patient=code.patient,
            relationship=code.payload.get("relationship", Relationship.OTHER),
            via=LinkedVia.CODE,
        )

    return codes.redeem(code_id=code_id, digits=digits, purpose=CodePurpose.LINK, ip=ip, then=link)


def _link(
    *,
    clinic: Clinic,
    user: User,
    patient: Patient,
    relationship: str,
    via: LinkedVia,
    by: User | None = None,
) -> PatientLink:
    """The account's active link to the record: the existing one, or a new one."""
    existing = (
        PatientLink.objects.for_clinic(clinic).filter(ACTIVE).filter(user=user, patient=patient)
    )
    found = existing.first()
    if found is not None:
        return found
    if relationship == Relationship.SELF:
        adolescents.check_own_account(clinic, patient.birth_date, field="relationship")
        mine = (
            PatientLink.objects.for_clinic(clinic)
            .filter(ACTIVE)
            .filter(Q(patient=patient) | Q(user=user), relationship=Relationship.SELF)
        )
        if mine.exists():
            raise Conflict(
                _(
                    "This record is already someone's own, or your account already has its "
                    "own record here: choose how you are related."
                ),
                field="relationship",
            )
    try:
        with transaction.atomic():
            return PatientLink.objects.create(
                clinic=clinic,
                user=user,
                patient=patient,
                relationship=relationship,
                linked_via=via,
                linked_by=by,
            )
    except IntegrityError:  # linked by a request racing this one
        raced = existing.first()
        if raced is None:
            raise Conflict(_("The record changed meanwhile. Try again.")) from None
        return raced


def find_account(identifier: str, clinic: Clinic) -> User | None:
    """The account a receptionist names: its username, e-mail or mobile number."""
    text = (identifier or "").strip()
    if not text:
        return None
    if "@" in text:
        return User.objects.filter(email__iexact=text, is_active=True).first()
    found = User.objects.filter(username=text.lower(), is_active=True).first()
    if found is not None:
        return found
    try:
        phone = normalise_phone(text, region=clinic.country)
    except DomainError:
        return None
    matches = list(User.objects.filter(phone=phone, is_active=True)[:2])
    return matches[0] if len(matches) == 1 else None


@transaction.atomic
def link_at_desk(*, actor: Actor, patient: Patient, account: str, relationship: str) -> PatientLink:
    """At the desk, after checking the person's ID: the account (named by username, e-mail or
    mobile number) looks after ``patient`` from now on; it becomes a patient account of this
    clinic if it was not one. Errors: ``DomainError``, ``Conflict``."""
    clinic = policy.require(actor, "portal.desk_link", patient)
    if relationship not in Relationship.values:
        raise DomainError(_("Choose how they are related."), field="relationship")
    user = find_account(account, clinic)
    if user is None:
        raise DomainError(
            _("No single active account has this username, e-mail or mobile number."),
            field="account",
        )
    if user.pk == actor.user.pk or holds_staff_role(user):
        raise DomainError(
            _(
                "This is a staff account: only a patient's own portal account looks after "
                "records. The person registers one for themselves."
            ),
            field="account",
        )
    provision_role(user, Role.PATIENT, clinic)
    return _link(
        clinic=clinic,
        user=user,
        patient=patient,
        relationship=relationship,
        via=LinkedVia.DESK,
        by=actor.user,
    )


def _end(link: PatientLink, by: User) -> PatientLink:
    link.removed_at = timezone.now()
    link.removed_by = by
    link.save(update_fields=["removed_at", "removed_by"])
    return link


@transaction.atomic
def stop_looking_after(*, actor: Actor, patient: Patient) -> PatientLink:
    """The account stops looking after ``patient`` (one of its own links).
    Errors: ``DomainError``."""
    clinic = policy.require(actor, "portal.family", patient)
    link = (
        PatientLink.objects.for_clinic(clinic)
        .filter(ACTIVE)
        .select_for_update()
        .filter(user=actor.user, patient=patient)
        .first()
    )
    if link is None:
        raise DomainError(_("You do not look after this record."))
    return _end(link, actor.user)


@transaction.atomic
def remove_at_desk(*, actor: Actor, link_id: Any) -> PatientLink:
    """At the desk: an account no longer looks after the record. Errors: ``DomainError``."""
    clinic = policy.require(actor, "portal.desk_link")
    link = (
        PatientLink.objects.for_clinic(clinic)
        .filter(ACTIVE)
        .select_for_update(of=("self",))
        .filter(pk=link_id)
        .select_related("patient")
        .first()
    )
    if link is None or not policy.allows_object(actor, "portal.desk_link", link.patient):
        raise DomainError(_("This account no longer looks after the record."))
    return _end(link, actor.user)


# ---------------------------------------------------------------- a family member with no record

#: New records one account may make for its family in a day: enough for a household, too few
#: to fill a clinic's register with invented people (the desk adds more after checking ID).
MEMBERS_PER_DAY = Throttle("portal.member.add.account", 3, timedelta(days=1))


@dataclass(frozen=True)
class NewMember:
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    relationship: str


@transaction.atomic
def add_family_member(*, actor: Actor, clinic: Clinic, member: NewMember) -> PatientLink:
    """A family member with no record at ``clinic`` gets one there (the rules and MRN series
    of self-registration, ``patients.services.register_own_record``), looked after by the
    account with ``member.relationship``; the account becomes a patient account of ``clinic``
    if it was not one. The account proved its own address already, so no code is sent; at most
    ``MEMBERS_PER_DAY`` such records a day. Errors: ``DomainError`` naming the field,
    ``LimitReached``."""
    policy.require(actor, "portal.add_member")
    if member.relationship not in Relationship.values or member.relationship == Relationship.SELF:
        raise DomainError(_("Choose how this person is related to you."), field="relationship")
    if holds_staff_role(actor.user):
        raise DomainError(_("A staff account does not look after patients' records."))
    details = {
        "given_name": member.given_name,
        "family_name": member.family_name,
        "birth_date": member.birth_date,
        "sex": member.sex,
    }
    patient_services.checked_details(clinic, details)  # bad input costs none of the day's tries
    if not MEMBERS_PER_DAY.hit(str(actor.user.pk)):
        raise LimitReached(
            _(
                "Your account has added as many new records as it may today. Try again "
                "tomorrow, or ask reception to add them when you visit."
            )
        )
    provision_role(actor.user, Role.PATIENT, clinic)
    there = Actor(user=actor.user, clinic=clinic, roles=frozenset({Role.PATIENT}))
    patient = patient_services.register_own_record(actor=there, details=details)
    return _link(
        clinic=clinic,
        user=actor.user,
        patient=patient,
        relationship=member.relationship,
        via=LinkedVia.REGISTRATION,
    )
