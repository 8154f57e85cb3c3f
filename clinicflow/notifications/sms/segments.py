"""How many SMS a text costs: the encoding it needs and its segments.

A text whose every character is in the GSM 03.38 alphabet goes as GSM-7: 160 septets in one
SMS; a longer one is split into parts of 153 (each part carries a 7-septet header for
reassembly). The extension table's characters (``^ { } \\ [ ~ ] | €`` and form feed) are an
escape plus a character: two septets each, and a part never ends between the two.

One character outside the alphabet, a Devanagari letter, a typographic quote or dash, an
emoji, sends the whole text as UCS-2: 70 UTF-16 code units in one SMS, 67 per part.
Devanagari letters are one unit each; an emoji outside the Basic Multilingual Plane is two
(a surrogate pair) and, like the escape pair, is never split across parts.

``count_segments`` answers for a template editor (segments, what is left in the current
one) and for the outbox's cost; ``estimate`` prices it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

Encoding = Literal["GSM-7", "UCS-2"]
GSM7: Final = "GSM-7"
UCS2: Final = "UCS-2"

#: GSM 03.38 default alphabet (the escape, 0x1B, is not a character one can type).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: The extension table: each is sent as escape + character, two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

LIMITS: dict[str, tuple[int, int]] = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SegmentCount:
    """``units``: septets (GSM-7) or UTF-16 code units (UCS-2) of the whole text;
    ``per_segment``: what one segment holds for this text (160/70 while it fits in one,
    153/67 once it is split); ``remaining``: what still fits in the last segment before
    another is needed. An empty text is no segment at all."""

    encoding: Encoding
    units: int
    segments: int
    per_segment: int
    remaining: int

    @property
    def single(self) -> bool:
        return self.segments <= 1


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str, encoding: Encoding) -> list[int]:
    """Units of each character, in order: what cannot be split between two parts."""
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def count_segments(text: str) -> SegmentCount:
    encoding: Encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = _units(text, encoding)
    units = sum(sizes)
    single, part = LIMITS[encoding]
    if units == 0:
        return SegmentCount(encoding, 0, 0, single, single)
    if units <= single:
        return SegmentCount(encoding, units, 1, single, single - units)
    # Fill parts in order; a pair (escape + character, or a surrogate pair) that does not
    # fit in what is left of a part starts the next one.
    segments, used = 1, 0
    for size in sizes:
        if used + size > part:
            segments, used = segments + 1, 0
        used += size
    return SegmentCount(encoding, units, segments, part, part - used)


@dataclass(frozen=True)
class Estimate:
    count: SegmentCount
    cost: Decimal


def estimate(text: str, *, price_per_segment: Decimal | str | None = None) -> Estimate:
    """The segments of ``text`` and what they cost at ``price_per_segment`` (by default the
    ``SMS_PRICE_PER_SEGMENT`` setting, in the clinic's currency)."""
    if price_per_segment is None:
        from django.conf import settings

        price_per_segment = getattr(settings, "SMS_PRICE_PER_SEGMENT", "0")
    count = count_segments(text)
    return Estimate(count, Decimal(str(price_per_segment)) * count.segments)
