"""A patient changes the contact details of a record their account looks after.

A new phone or e-mail counts only once a code sent *to it* comes back (``codes``, the same
send and verify limits as registering); the old address is then told that it was changed.
When the record is the account's own, the account's sign-in phone (its verified number) or
e-mail changes with it: the person proved the new one, and the old one would otherwise still
open an account whose record no longer knows it. A family member's record changes alone (one
phone often serves a household; the account keeps its own).

An address another account uses is refused for one's own record as registration refuses it:
the same "code sent" page, no code, and the address told it has an account already.
The postal address is saved directly. Every change goes through the patients' service under
``portal.contact`` and is audited field by field like any edit of the record.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clinicflow.accounts.models import User
from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.patients import services as patient_services
from clinicflow.patients.models import Patient
from clinicflow.portal import codes, messages
from clinicflow.portal.access import patients_of
from clinicflow.portal.models import ACTIVE, CodePurpose, OneTimeCode, PatientLink, Relationship
from clinicflow.portal.services import accounts_with, answer_taken, normalise_address, taken_error

ACTION = "portal.contact"


def is_own_record(user: Any, patient: Patient) -> bool:
    return (
        PatientLink.objects.for_clinic(patient.clinic)
        .filter(ACTIVE)
        .filter(user=user, patient=patient, relationship=Relationship.SELF)
        .exists()
    )


def _used_by_another(address: str, user: Any) -> bool:
    return accounts_with(address).exclude(pk=user.pk).exists()


def _field(address: str) -> str:
    return "email" if "@" in address else "phone"


@transaction.atomic
def request_contact_change(*, actor: Actor, patient: Patient, address: str, ip: str) -> OneTimeCode:
    """Send a code to the new phone or e-mail ``address`` for ``patient``'s record; nothing
    changes until it comes back (``confirm_contact_change``).
    Errors: ``DomainError`` naming ``address``, ``codes.TooManyTries``."""
    clinic = policy.require(actor, ACTION, patient)
    wanted = normalise_address(address, region=clinic.country)
    field = _field(wanted)
    if wanted == getattr(patient, field):
        raise DomainError(_("This is already the record's contact."), field="address")
    codes.check_send_limits(address_key=wanted, ip=ip, account=actor.user.pk)
    own = is_own_record(actor.user, patient)
    if own and _used_by_another(wanted, actor.user):
        return answer_taken(CodePurpose.CONTACT, clinic=clinic, address=wanted, ip=ip)
    return codes.issue(
        purpose=CodePurpose.CONTACT,
        clinic=clinic,
        address=wanted,
        ip=ip,
        user=actor.user,
        patient=patient,
    )


def confirm_contact_change(*, actor: Actor, code_id: Any, digits: str, ip: str) -> Patient:
    """The right code makes its address the record's phone or e-mail (and, on the account's
    own record, the account's), and tells the old address. Errors: ``DomainError`` (wrong,
    expired, used code; the record no longer looked after), ``Conflict`` (another account
    took the address meanwhile), ``codes.TooManyTries``."""
    clinic = policy.require(actor, ACTION)

    def change(code: OneTimeCode) -> Patient:
        found = None
        if code.user_id == actor.user.pk and code.patient_id is not None:
            # Still looked after now (a link removed meanwhile ends the change).
            found = patients_of(actor.user, clinic).filter(pk=code.patient_id).first()
        if found is None:
            raise DomainError(_("That code is not right."), field="code")
        address, field = code.address, _field(code.address)
        old = getattr(found, field)
        patient = patient_services.update_patient(
            actor=actor, patient=found, changes={field: address}, action=ACTION
        )
        if is_own_record(actor.user, patient):
            _change_account(actor.user, address)
        if old and old != address:
            messages.send_contact_changed(clinic=clinic, address=old, patient=patient)
        return patient

    return codes.redeem(
        code_id=code_id, digits=digits, purpose=CodePurpose.CONTACT, ip=ip, then=change
    )


def _change_account(user: User, address: str) -> None:
    """The account's sign-in phone or e-mail becomes ``address`` (just proved)."""
    account = User.objects.select_for_update().get(pk=user.pk)
    if _used_by_another(address, account):
        raise taken_error(address)
    if "@" in address:
        account.email = address
        fields = ["email"]
    else:
        account.phone = account.verified_phone = address
        fields = ["phone", "verified_phone"]
    try:
        with transaction.atomic():
            account.save(update_fields=fields)
    except IntegrityError:  # the unique index: another account took it this instant
        raise taken_error(address) from None


@transaction.atomic
def change_postal_address(*, actor: Actor, patient: Patient, address: str) -> Patient:
    """The record's postal address, saved at once (nothing to prove).
    Errors: ``DomainError``."""
    return patient_services.update_patient(
        actor=actor, patient=patient, changes={"address": address}, action=ACTION
    )
