"""What a person chose to hear, and through what: a staff member's own choices
(``UserPreference``) and a patient's, kept at the desk (``PatientPreference``), with the
patient's SMS opt-out and opt-in recorded as consent.

Only what differs from an event kind's default channels is kept (``channels``), so a kind
whose defaults change later still reaches those who never chose. Kinds that are not optional
(a changed appointment) cannot be turned off: routing ignores a choice for them, and these
services refuse one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clinicflow.core import policy
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.notifications import events, inbound
from clinicflow.notifications.events import Audience, EventKind
from clinicflow.notifications.models import (
    ConsentChange,
    Language,
    PatientPreference,
    UserPreference,
)
from clinicflow.notifications.models.preferences import ConsentSource

OWN = "notifications.receive"
PATIENTS = "notifications.patient_preferences"


@dataclass(frozen=True)
class KindChoice:
    """One event kind as a preferences page shows it: its possible channels, those the person
    hears it on now, and whether they may change that."""

    kind: EventKind
    chosen: tuple[str, ...]

    @property
    def possible(self) -> list[str]:
        return self.kind.possible

    @property
    def locked(self) -> bool:
        return not self.kind.optional


def choices_of(audience: Audience, stored: Mapping[str, Collection[str]]) -> list[KindChoice]:
    """Every kind told to ``audience``, with the channels the stored choices give it (the
    kind's default where none, or where the kind may not be changed)."""
    found = []
    for kind in events.kinds(audience):
        mine = stored.get(kind.key) if kind.optional else None
        chosen = kind.channels if mine is None else mine
        found.append(KindChoice(kind, tuple(c for c in kind.possible if c in chosen)))
    return found


def _channels(
    audience: Audience, stored: Mapping[str, list[str]], wanted: Mapping[str, Iterable[str]]
) -> dict[str, list[str]]:
    """The stored choices with ``wanted`` applied: a kind chosen as its default is forgotten;
    kinds not named in ``wanted`` (another audience's, one no longer registered) are kept."""
    kinds = {kind.key: kind for kind in events.kinds(audience)}
    result = {key: list(value) for key, value in stored.items()}
    for key, channels in wanted.items():
        kind = kinds.get(key)
        if kind is None:
            raise DomainError(_("No such message."), field="channels")
        picked = list(dict.fromkeys(channels))
        if not kind.optional:
            if set(picked) != set(kind.channels):
                raise DomainError(
                    _("%(kind)s is always sent: it cannot be turned off.") % {"kind": kind.label},
                    field="channels",
                )
            continue
        strange = [c for c in picked if c not in kind.possible]
        if strange:
            raise DomainError(
                _("%(kind)s is not sent through %(channel)s.")
                % {"kind": kind.label, "channel": ", ".join(strange)},
                field="channels",
            )
        if set(picked) == set(kind.channels):
            result.pop(key, None)
        else:
            result[key] = [c for c in kind.possible if c in picked]
    return result


def _check_common(language: str, quiet_from: time | None, quiet_until: time | None) -> None:
    if language and language not in Language.values:
        raise DomainError(_("Choose a language."), field="language")
    if (quiet_from is None) != (quiet_until is None):
        missing = "quiet_until" if quiet_until is None else "quiet_from"
        raise DomainError(_("Give both ends of the quiet hours, or neither."), field=missing)


@transaction.atomic
def update_user_preference(
    *,
    actor: Actor,
    language: str,
    channels: Mapping[str, Iterable[str]],
    quiet_from: time | None,
    quiet_until: time | None,
) -> UserPreference:
    """Change one's own choices: ``language`` ("" for English), ``channels`` per staff event
    kind (the kinds shown; others are kept as they were), quiet hours (both or neither; none:
    messages come at any hour). Errors: ``DomainError`` at the field; nothing is saved."""
    policy.require(actor, OWN)
    _check_common(language, quiet_from, quiet_until)
    preference, _created = UserPreference.objects.select_for_update().get_or_create(user=actor.user)
    preference.channels = _channels(Audience.STAFF, preference.channels or {}, channels)
    preference.language = language
    preference.quiet_from, preference.quiet_until = quiet_from, quiet_until
    preference.save()
    return preference


def own_preference(user: Any) -> UserPreference:
    """The person's choices, or the defaults (unsaved) while they have made none."""
    return UserPreference.objects.filter(user=user).first() or UserPreference(user=user)


# ---------------------------------------------------------------- patients, at the desk


def patient_preference(patient: Any) -> PatientPreference:
    """The patient's choices, or the defaults (unsaved) while none were recorded."""
    return PatientPreference.objects.for_clinic(patient.clinic).filter(
        patient=patient
    ).first() or PatientPreference(clinic=patient.clinic, patient=patient)


def consent_history(patient: Any) -> list[ConsentChange]:
    """Every opt-in and opt-out of the patient, newest first, with who recorded it."""
    return list(
        ConsentChange.objects.for_clinic(patient.clinic)
        .filter(patient=patient)
        .select_related("changed_by")
    )


@transaction.atomic
def update_patient_preference(
    *,
    actor: Actor,
    patient: Any,
    language: str,
    channels: Mapping[str, Iterable[str]],
    quiet_from: time | None,
    quiet_until: time | None,
    action: str = PATIENTS,
) -> PatientPreference:
    """Record how a patient wants to hear from the clinic: ``language`` ("" for the clinic's),
    ``channels`` per patient event kind, quiet hours (both or neither; none: the clinic's).
    The SMS opt-out is ``record_sms_consent``'s. ``action``: the desk's, or the portal's for
    a record the account looks after. Errors: ``DomainError`` at the field, or a refusal for
    a patient the actor may not act for; nothing is saved."""
    clinic = policy.require(actor, action, patient)
    _check_common(language, quiet_from, quiet_until)
    preference, _created = (
        PatientPreference.objects.for_clinic(clinic)
        .select_for_update()
        .get_or_create(patient=patient, defaults={"clinic": clinic})
    )
    preference.channels = _channels(Audience.PATIENT, preference.channels or {}, channels)
    preference.language = language
    preference.quiet_from, preference.quiet_until = quiet_from, quiet_until
    preference.save()
    return preference


@transaction.atomic
def record_sms_consent(
    *,
    actor: Actor,
    patient: Any,
    opted_in: bool,
    evidence: str = "",
    action: str = PATIENTS,
    source: str = ConsentSource.DESK,
) -> bool:
    """The patient, at the desk (or themselves in the portal: ``action``, ``source``), stops
    SMS from the clinic (reminders included) or asks for them again: recorded as consent (by
    the actor, with ``evidence``, the patient's words). False when it was already so (nothing
    recorded). Errors: a refusal for a patient the actor may not act for."""
    policy.require(actor, action, patient)
    # The patient's row, locked: two desks recording the same change at once record it once.
    preference, _created = (
        PatientPreference.objects.for_clinic(patient.clinic)
        .select_for_update()
        .get_or_create(patient=patient, defaults={"clinic": patient.clinic})
    )
    if (preference.sms_opted_out_at is None) == opted_in:
        return False
    inbound.set_sms_consent(
        patient,
        opted_in=opted_in,
        source=source,
        evidence=evidence.strip(),
        by=actor.user,
    )
    return True
