"""SMS length: GSM-7 160/153 with the extension table's characters as two septets, UCS-2
70/67 in UTF-16 units (Devanagari is UCS-2, an emoji two units), and no part ending in the
middle of an escape or a surrogate pair."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinicflow.notifications.sms.segments import (
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    UCS2,
    count_segments,
    estimate,
)


def test_an_empty_text_is_no_segment_and_leaves_a_whole_one():
    count = count_segments("")
    assert (count.encoding, count.units, count.segments, count.remaining) == (GSM7, 0, 0, 160)


@pytest.mark.parametrize(
    ("length", "segments", "per_segment", "remaining"),
    [
        (1, 1, 160, 159),
        (159, 1, 160, 1),
        (160, 1, 160, 0),
        (161, 2, 153, 145),
        (306, 2, 153, 0),
        (307, 3, 153, 152),
        (459, 3, 153, 0),
        (460, 4, 153, 152),
    ],
)
def test_plain_english_fills_160_then_parts_of_153(length, segments, per_segment, remaining):
    count = count_segments("a" * length)
    assert count.encoding == GSM7
    assert count.units == length
    assert (count.segments, count.per_segment, count.remaining) == (
        segments,
        per_segment,
        remaining,
    )


@pytest.mark.parametrize("character", sorted(GSM7_EXTENSION))
def test_each_extension_character_costs_two_septets(character):
    count = count_segments(character)
    assert (count.encoding, count.units, count.remaining) == (GSM7, 2, 158)


def test_every_basic_character_costs_one_septet():
    text = "".join(sorted(GSM7_BASIC))
    count = count_segments(text)
    assert count.encoding == GSM7
    assert count.units == len(text)


def test_an_extension_character_at_the_end_tips_the_text_into_two_parts():
    assert count_segments("a" * 158 + "€").segments == 1  # 160 septets
    tipped = count_segments("a" * 159 + "€")  # 161 septets
    assert (tipped.units, tipped.segments, tipped.per_segment) == (161, 2, 153)


def test_an_extension_character_never_straddles_two_parts():
    # 152 + 2 + 152 = 306 septets, two parts' worth; but "{" cannot sit half in part one,
    # so part one holds 152, part two 2 + 151 and the last "a" needs a third.
    count = count_segments("a" * 152 + "{" + "a" * 152)
    assert count.units == 306
    assert count.segments == 3
    assert count.remaining == 152


@pytest.mark.parametrize(
    "text",
    [
        "Don’t forget",  # typographic apostrophe
        "10–11 am",  # en dash
        "ç",  # only the capital Ç is in the alphabet
        "á",
        "`",
        "नमस्ते",
    ],
)
def test_one_character_outside_the_alphabet_makes_the_whole_text_ucs2(text):
    assert count_segments(text).encoding == UCS2


def test_devanagari_counts_one_unit_per_code_point():
    count = count_segments("नमस्ते")  # न म स ् त े
    assert (count.encoding, count.units, count.segments, count.remaining) == (UCS2, 6, 1, 64)


@pytest.mark.parametrize(
    ("length", "segments", "per_segment", "remaining"),
    [(70, 1, 70, 0), (71, 2, 67, 63), (134, 2, 67, 0), (135, 3, 67, 66)],
)
def test_nepali_fills_70_then_parts_of_67(length, segments, per_segment, remaining):
    count = count_segments("क" * length)
    assert (count.units, count.segments, count.per_segment, count.remaining) == (
        length,
        segments,
        per_segment,
        remaining,
    )


def test_one_nepali_letter_in_english_text_shrinks_the_segment_to_70():
    count = count_segments("a" * 100 + "न")
    assert (count.encoding, count.units, count.segments) == (UCS2, 101, 2)


def test_an_emoji_is_two_units_and_never_split_between_parts():
    assert count_segments("😀").units == 2
    assert count_segments("a" * 68 + "😀").segments == 1  # 70 units
    assert count_segments("a" * 69 + "😀").segments == 2  # 71 units
    split = count_segments("b" * 66 + "😀" + "b" * 66)  # 134 units, but the pair moves on
    assert (split.units, split.segments, split.remaining) == (134, 3, 66)


def test_a_nepali_reminder_fits_one_segment_and_a_longer_one_does_not():
    short = "भोलि १०:३० मा डा. शर्मासँग भेट। पुष्टि: C, रद्द: X"
    assert len(short) <= 70
    assert count_segments(short).segments == 1
    longer = "नमस्ते राम, भोलि बिहान १०:३० बजे डा. शर्मासँग तपाईंको भेट छ। पुष्टि गर्न C, रद्द गर्न X पठाउनुहोस्।"
    count = count_segments(longer)
    assert count.encoding == UCS2
    assert count.units == len(longer)
    assert count.segments == math.ceil(len(longer) / 67) == 2


def test_an_english_reminder_stays_in_one_gsm_segment():
    text = "Reminder: Sunrise Clinic, Dr Sharma, tomorrow 10:30. Reply C to confirm or X to cancel."
    count = count_segments(text)
    assert (count.encoding, count.segments) == (GSM7, 1)


@given(st.text(alphabet="ab€{😀क", max_size=400))
def test_parts_are_never_fewer_than_the_units_need(text):
    count = count_segments(text)
    single, part = (160, 153) if count.encoding == GSM7 else (70, 67)
    if count.units == 0:
        assert count.segments == 0
    elif count.units <= single:
        assert count.segments == 1
    else:
        assert count.segments >= math.ceil(count.units / part)
        # Pairs lose at most one unit per part boundary.
        assert count.segments <= math.ceil(count.units / (part - 1))
        assert 0 <= count.remaining < part


def test_the_estimate_prices_each_segment(settings):
    assert estimate("a" * 161, price_per_segment="0.50").cost == Decimal("1.00")
    settings.SMS_PRICE_PER_SEGMENT = "1.20"
    priced = estimate("क" * 71)
    assert (priced.count.segments, priced.cost) == (2, Decimal("2.40"))
