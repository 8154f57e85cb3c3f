"""Steps a signed-in person must finish before anything else: change a temporary password, or
enrol a second factor their clinic requires. The policy layer sends them there first."""

from __future__ import annotations

import enum

from django.conf import settings
from django_otp import user_has_device

from clinicflow.core.actor import Actor
from clinicflow.core.roles import Role


class PendingStep(enum.Enum):
    PASSWORD_CHANGE = "password_change"
    TWO_FACTOR_ENROLMENT = "two_factor_enrolment"


def requires_two_factor(actor: Actor) -> bool:
    if Role.ADMIN in actor.roles and settings.CLINICFLOW_ADMIN_REQUIRES_2FA:
        return True
    clinic = actor.clinic
    return bool(
        Role.MANAGER in actor.roles
        and clinic is not None
        and clinic.require_two_factor_for_managers
    )


def pending_step(actor: Actor) -> PendingStep | None:
    user = actor.user
    if not actor.is_authenticated:
        return None
    if user.must_change_password:
        return PendingStep.PASSWORD_CHANGE
    if requires_two_factor(actor) and not user_has_device(user, confirmed=True):
        return PendingStep.TWO_FACTOR_ENROLMENT
    return None
