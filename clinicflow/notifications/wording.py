"""Message texts with ``{placeholders}``: filled from plain values, never evaluated.

A clinic edits its texts in the browser, so a text is data, not code: a placeholder is a name
in braces from the event kind's list (``{patient}``, ``{time}``), replaced by a string; nothing
else in a text means anything (no attribute access, filters or tags, as a template engine
would offer)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: Braces that are not a placeholder: an unclosed ``{``, ``{}``, ``{ name }``, ``{a.b}``...
STRAY_BRACE = re.compile(r"[{}]")


def fill(text: str, values: Mapping[str, Any]) -> str:
    """``text`` with each known placeholder replaced by its value; unknown ones stay as they
    are (a text checked by ``problems`` has none)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    return PLACEHOLDER.sub(value, text)


def problems(text: str, allowed: Collection[str]) -> list[str]:
    """What is wrong with a text for an event whose placeholders are ``allowed``: unknown
    placeholders and braces that are not a placeholder. Empty when the text is good."""
    found: list[str] = []
    unknown = sorted({m.group(1) for m in PLACEHOLDER.finditer(text)} - set(allowed))
    if unknown:
        found.append(
            "Unknown placeholder(s): "
            + ", ".join("{" + name + "}" for name in unknown)
            + ". Use: "
            + ", ".join("{" + name + "}" for name in sorted(allowed))
            + "."
        )
    if STRAY_BRACE.search(PLACEHOLDER.sub("", text)):
        found.append("Braces are only for placeholders, such as {patient}.")
    return found
