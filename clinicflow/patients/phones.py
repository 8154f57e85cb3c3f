"""Phone numbers: validated and stored in E.164, read in the clinic's own country by default."""

from __future__ import annotations

import phonenumbers
from django.utils.translation import gettext as _

from clinicflow.core.errors import DomainError


def normalise_phone(raw: str, *, region: str | None, field: str = "phone") -> str:
    """E.164 form of a phone number typed as people type them ("9841 234567",
    "+977-9841234567", "009779841234567"). Errors: ``DomainError`` at ``field``."""
    text = raw.strip()
    if not text:
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise DomainError(_("This is not a phone number."), field=field) from None
    if not phonenumbers.is_valid_number(number):
        raise DomainError(
            _("This phone number is not valid (check the digits and the country code)."),
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_query(raw: str, *, region: str | None) -> str | None:
    """The E.164 form of what someone typed into a search box, if it reads as a phone number."""
    try:
        return normalise_phone(raw, region=region) or None
    except DomainError:
        return None


def display_phone(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
