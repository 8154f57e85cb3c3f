"""Text as people type it: letters, digits, punctuation, spaces, and the line breaks and tabs of
multi-line notes. Control characters (usually pasted in from another program) are refused at
input, because they are invisible on screen and break what reads the text later: an Excel
export cannot hold them at all."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

# C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def refuse_control_characters(value: Any) -> None:
    """The validator every text field of every form and serializer carries (through the core's
    base classes)."""
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _(
                "This text holds an invisible control character (often pasted in from another "
                "program): retype it or remove the pasted part."
            ),
            code="control_character",
        )


def without_control_characters(text: str) -> str:
    """The text with its control characters removed: for what was stored before the rule."""
    return CONTROL_CHARACTERS.sub("", text)


def with_text_rule(validators: list[Any]) -> list[Any]:
    """A text field's validators with :func:`refuse_control_characters` in place of Django's
    NUL check (which it covers, with a message a person understands)."""
    kept = [v for v in validators if not isinstance(v, ProhibitNullCharactersValidator)]
    if refuse_control_characters not in kept:
        kept.append(refuse_control_characters)
    return kept
