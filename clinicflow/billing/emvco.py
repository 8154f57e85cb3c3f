"""The payment QR code printed on a bill: the EMVCo merchant-presented payload that NEPALPAY QR
follows (and Fonepay, and the wallets that scan them), built from the clinic's merchant account
and the bill, read back and checked, and drawn as an SVG for the bill's page.

A payload is a row of *data objects*, each a two-digit ID, a two-digit length and that many
characters. Some objects are *templates* whose value is a row of data objects of its own: the
merchant's account with its network (26–51, each naming the network by a GUID in its 00), the
additional data (62: the bill number, a reference, the counter's label, the purpose) and the
merchant's name in another language (64). The last object, 63, is a CRC-16/CCITT-FALSE of
everything before its value, its own "6304" included, as four hex digits.

Lengths count characters and the checksum is taken over the UTF-8 bytes, so a name in
Devanagari in template 64 counts by its code points and checks by its bytes. Every other value
is in the EMVCo "ans" set: printable ASCII.

Every bill gets its own *dynamic* code (point of initiation 12) carrying its amount and its bill
number, so the payment a gateway reports back can be matched to the bill it pays. Nothing here
touches the database: the billing services decide what goes into a code and what a payment
does. Every refusal is an ``EMVCoError`` saying which data object is at fault."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

import segno

PAYLOAD_FORMAT = "01"
STATIC = "11"
DYNAMIC = "12"
NPR = "524"  # ISO 4217 numeric
NEPAL = "NP"
HOSPITALS = "8062"  # ISO 18245 merchant category codes
DOCTORS = "8011"

CRC_OBJECT = "6304"  # the ID and length of the checksum, which the checksum covers
MAX_PAYLOAD = 512
MAX_AMOUNT = 13

# Sub-tags of the additional data template (62) that a bill fills.
BILL_NUMBER = "01"
REFERENCE_LABEL = "05"
TERMINAL_LABEL = "07"
PURPOSE = "08"

_ACCOUNT_TEMPLATES = frozenset(f"{n:02d}" for n in range(26, 52))
_CARD_NETWORK_ACCOUNTS = frozenset(f"{n:02d}" for n in range(2, 26))
_UNRESERVED_TEMPLATES = frozenset(f"{n:02d}" for n in range(80, 100))
_ADDITIONAL_DATA = "62"
_LANGUAGE = "64"
_TEMPLATES = _ACCOUNT_TEMPLATES | _UNRESERVED_TEMPLATES | {_ADDITIONAL_DATA, _LANGUAGE}

_DIGITS = re.compile(r"[0-9]+")
_TAG = re.compile(r"[0-9]{2}")
_HEAD = re.compile(r"[0-9]{4}")
_ANS = re.compile(r"[\x20-\x7e]*")
_HEX4 = re.compile(r"[0-9A-Fa-f]{4}")
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{1,2})?")
_COUNTRY = re.compile(r"[A-Z]{2}")
_LANGUAGE_CODE = re.compile(r"[A-Za-z]{2}")
_CENT = Decimal("0.01")

# Joiners shape Devanagari conjuncts; every other invisible formatting character (a
# right-to-left override that makes a name read differently, for one) is refused.
_JOINERS = frozenset("\u200c\u200d")


class EMVCoError(ValueError):
    """A payload that cannot be built or read, with the data object at fault where there is
    one (``tag``, e.g. ``"59"`` or ``"62.01"``)."""

    def __init__(self, message: str, *, tag: str | None = None):
        super().__init__(message)
        self.message = message
        self.tag = tag


# ---------------------------------------------------------------- the checksum


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, nothing
    XORed out (ISO/IEC 13239, as EMVCo names it). Its check value, over b"123456789", is
    0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def checksum(text: str) -> str:
    """The value of data object 63 for ``text``: everything before that value, ending in
    ``"6304"``."""
    return f"{crc16_ccitt_false(text.encode('utf-8')):04X}"


# ---------------------------------------------------------------- characters and lengths


def _is_hidden(char: str) -> bool:
    category = unicodedata.category(char)
    if category in {"Cc", "Cs", "Co", "Zl", "Zp"}:
        return True
    return category == "Cf" and char not in _JOINERS


def _refuse_hidden(text: str, what: str, tag: str | None) -> None:
    for char in text:
        if _is_hidden(char):
            raise EMVCoError(
                f"{what} holds a control character (U+{ord(char):04X}), which a payment QR "
                "code may not carry.",
                tag=tag,
            )


def _ans(value: str, what: str, *, tag: str, longest: int, required: bool = True) -> str:
    """``value`` checked as an "ans" value: printable ASCII, at most ``longest``
    characters."""
    if not isinstance(value, str):
        raise EMVCoError(f"{what} must be text.", tag=tag)
    _refuse_hidden(value, what, tag)
    if not _ANS.fullmatch(value):
        raise EMVCoError(
            f"{what} may use only printable ASCII letters, digits, spaces and punctuation "
            f"(the EMVCo character set); {value!r} does not.",
            tag=tag,
        )
    return _length(value, what, tag=tag, longest=longest, required=required)


def _text(value: str, what: str, *, tag: str, longest: int, required: bool = True) -> str:
    """``value`` checked as an "S" value (any script, no control characters), as the
    language template allows."""
    if not isinstance(value, str):
        raise EMVCoError(f"{what} must be text.", tag=tag)
    _refuse_hidden(value, what, tag)
    return _length(value, what, tag=tag, longest=longest, required=required)


def _length(value: str, what: str, *, tag: str, longest: int, required: bool) -> str:
    if required and not value:
        raise EMVCoError(f"{what} is missing.", tag=tag)
    if len(value) > longest:
        raise EMVCoError(f"{what} is {len(value)} characters long; the most is {longest}.", tag=tag)
    return value


def _digits(value: str, what: str, *, tag: str, count: int) -> str:
    if not isinstance(value, str) or len(value) != count or not _DIGITS.fullmatch(value):
        raise EMVCoError(f"{what} must be {count} digits, not {value!r}.", tag=tag)
    return value


def _sub_tag(tag: str, what: str) -> str:
    if not isinstance(tag, str) or not _TAG.fullmatch(tag) or tag == "00":
        raise EMVCoError(f"{what} must be a two-digit ID from 01 to 99, not {tag!r}.")
    return tag


# ---------------------------------------------------------------- data objects


def data_object(tag: str, value: str) -> str:
    """One data object: the ID, the length of ``value`` in two digits, ``value``."""
    if not isinstance(tag, str) or not _TAG.fullmatch(tag):
        raise EMVCoError(f"A data object's ID must be two digits, not {tag!r}.")
    if not 1 <= len(value) <= 99:
        raise EMVCoError(
            f"Data object {tag} would hold {len(value)} characters; a data object holds 1 to 99.",
            tag=tag,
        )
    return f"{tag}{len(value):02d}{value}"


def template(tag: str, objects: list[tuple[str, str]]) -> str:
    """A template: a data object whose value is the data objects given (empty ones left
    out)."""
    return data_object(tag, "".join(data_object(t, v) for t, v in objects if v))


def with_checksum(text: str) -> str:
    """``text`` (the data objects, without 63) closed by its checksum."""
    head = text + CRC_OBJECT
    return head + checksum(head)


# ---------------------------------------------------------------- amounts


def format_amount(amount: Decimal) -> str:
    """The transaction amount (54) as a QR code writes it: two decimals, no thousand
    separators, e.g. ``"1250.00"``. More than nothing, at most two decimal places (NPR has
    paisa, no smaller) and at most 13 characters."""
    if not isinstance(amount, Decimal):
        raise EMVCoError(f"An amount must be a Decimal, not {type(amount).__name__}.", tag="54")
    if not amount.is_finite():
        raise EMVCoError(f"{amount} is not an amount.", tag="54")
    if amount <= 0:
        raise EMVCoError(f"The amount must be more than zero, not {amount}.", tag="54")
    if amount.adjusted() >= MAX_AMOUNT - 3:
        raise EMVCoError(f"The amount {amount} is too large for a QR code.", tag="54")
    if amount != amount.quantize(_CENT):
        raise EMVCoError(f"The amount {amount} has more than two decimal places.", tag="54")
    return f"{amount.quantize(_CENT):f}"


def _read_amount(text: str, tag: str) -> Decimal:
    if len(text) > MAX_AMOUNT or not _AMOUNT.fullmatch(text):
        raise EMVCoError(
            f"Data object {tag} holds {text!r}, which is not an amount of at most two "
            f"decimal places and {MAX_AMOUNT} characters.",
            tag=tag,
        )
    amount = Decimal(text)
    if amount <= 0:
        raise EMVCoError(f"The amount in data object {tag} is not more than zero.", tag=tag)
    return amount


# ---------------------------------------------------------------- building


@dataclass(frozen=True)
class Merchant:
    """The clinic as its acquirer (a bank or a network such as NEPALPAY or Fonepay) knows it.

    ``account_template`` (26–51) holds ``guid``, the network's globally unique identifier or
    AID, in its 00, and ``account_id`` in ``account_tag``, plus whatever ``extra`` sub-tags
    the acquirer asks for. ``language``, ``local_name`` and ``local_city`` write the name
    again in another script (template 64), e.g. ``"ne"`` and the name in Devanagari.
    A merchant that could not be written into a code is refused when it is made."""

    name: str
    city: str
    mcc: str
    guid: str
    account_id: str
    account_template: str = "26"
    account_tag: str = "01"
    extra: tuple[tuple[str, str], ...] = ()
    country: str = NEPAL
    postal_code: str = ""
    language: str = ""
    local_name: str = ""
    local_city: str = ""

    def __post_init__(self) -> None:
        _ans(self.name, "The merchant name", tag="59", longest=25)
        _ans(self.city, "The merchant city", tag="60", longest=15)
        _digits(self.mcc, "The merchant category code", tag="52", count=4)
        if not isinstance(self.country, str) or not _COUNTRY.fullmatch(self.country):
            raise EMVCoError(
                f"The country must be two capital letters (ISO 3166), not {self.country!r}.",
                tag="58",
            )
        _ans(self.postal_code, "The postal code", tag="61", longest=10, required=False)
        if self.account_template not in _ACCOUNT_TEMPLATES:
            raise EMVCoError(
                "The merchant account template must be one of 26 to 51, "
                f"not {self.account_template!r}.",
                tag=self.account_template,
            )
        where = f"{self.account_template}.00"
        _ans(self.guid, "The network's identifier (GUID)", tag=where, longest=32)
        _sub_tag(self.account_tag, "The account's sub-tag")
        seen = {self.account_tag}
        for tag, value in self.extra:
            _sub_tag(tag, "A sub-tag of the merchant account")
            if tag in seen:
                raise EMVCoError(
                    f"Sub-tag {tag} appears twice in the merchant account.",
                    tag=f"{self.account_template}.{tag}",
                )
            seen.add(tag)
            _ans(value, f"Sub-tag {tag}", tag=f"{self.account_template}.{tag}", longest=99)
        where = f"{self.account_template}.{self.account_tag}"
        _ans(self.account_id, "The merchant account", tag=where, longest=99)
        try:
            self.account_information()
        except EMVCoError as exc:
            raise EMVCoError(
                "The merchant account (its network identifier, account and other sub-tags) "
                "is too long for one template (99 characters with their IDs and lengths).",
                tag=self.account_template,
            ) from exc
        if self.local_name or self.local_city or self.language:
            if not _LANGUAGE_CODE.fullmatch(self.language):
                raise EMVCoError(
                    "A name in another language needs its two-letter language code "
                    f"(ISO 639), not {self.language!r}.",
                    tag="64.00",
                )
            _text(self.local_name, "The merchant name in another language", tag="64.01", longest=25)
            _text(
                self.local_city,
                "The merchant city in another language",
                tag="64.02",
                longest=15,
                required=False,
            )

    def account_information(self) -> str:
        """The merchant account template, as a data object."""
        objects = [("00", self.guid)]
        objects.append((self.account_tag, self.account_id))
        objects.extend(self.extra)
        objects.sort(key=lambda pair: pair[0])
        return template(self.account_template, objects)

    def language_template(self) -> str:
        if not self.local_name:
            return ""
        return template(
            _LANGUAGE,
            [("00", self.language), ("01", self.local_name), ("02", self.local_city)],
        )


def merchant_payload(
    *,
    merchant: Merchant,
    amount: Decimal,
    bill_number: str,
    currency: str = NPR,
    reference: str = "",
    terminal_label: str = "",
    purpose: str = "",
) -> str:
    """The payload of the dynamic QR code for one bill: pay ``merchant`` ``amount`` in
    ``currency`` (ISO 4217 numeric, NPR by default) for ``bill_number``. The reference, the
    label of the counter that printed it and the purpose go into the additional data with the
    bill number, each at most 25 characters and all of it at most 99.

    Raises ``EMVCoError`` for an amount that is not more than zero or has more than two
    decimal places, and for any value too long or outside the EMVCo character set."""
    if not isinstance(merchant, Merchant):
        raise EMVCoError("A payment QR code needs a Merchant.")
    amount_text = format_amount(amount)
    _digits(currency, "The currency (ISO 4217 numeric)", tag="53", count=3)
    additional = [
        (BILL_NUMBER, _ans(bill_number, "The bill number", tag="62.01", longest=25)),
        (
            REFERENCE_LABEL,
            _ans(reference, "The reference", tag="62.05", longest=25, required=False),
        ),
        (
            TERMINAL_LABEL,
            _ans(terminal_label, "The terminal label", tag="62.07", longest=25, required=False),
        ),
        (PURPOSE, _ans(purpose, "The purpose", tag="62.08", longest=25, required=False)),
    ]
    try:
        additional_data = template(_ADDITIONAL_DATA, additional)
    except EMVCoError as exc:
        raise EMVCoError(
            "The bill number, reference, terminal label and purpose together are too long "
            "for a QR code's additional data (99 characters with their IDs and lengths).",
            tag=_ADDITIONAL_DATA,
        ) from exc
    text = "".join(
        [
            data_object("00", PAYLOAD_FORMAT),
            data_object("01", DYNAMIC),
            merchant.account_information(),
            data_object("52", merchant.mcc),
            data_object("53", currency),
            data_object("54", amount_text),
            data_object("58", merchant.country),
            data_object("59", merchant.name),
            data_object("60", merchant.city),
            data_object("61", merchant.postal_code) if merchant.postal_code else "",
            additional_data,
            merchant.language_template(),
        ]
    )
    payload = with_checksum(text)
    if len(payload) > MAX_PAYLOAD:  # cannot happen with the limits above; kept as the rule
        raise EMVCoError(f"The payload is longer than {MAX_PAYLOAD} characters.")
    return payload


# ---------------------------------------------------------------- reading

Objects: TypeAlias = dict[str, str | dict[str, str]]


def _read_objects(text: str, where: str, prefix: str = "") -> dict[str, str]:
    """The data objects in ``text``, in order, with every length checked against what
    follows it."""
    objects: dict[str, str] = {}
    position = 0
    while position < len(text):
        head = text[position : position + 4]
        if not _HEAD.fullmatch(head):
            raise EMVCoError(
                f"{where.capitalize()} has {head!r} at character {position + 1} where a "
                "two-digit ID and a two-digit length belong.",
                tag=prefix.rstrip(".") or None,
            )
        tag, length = head[:2], int(head[2:])
        start, end = position + 4, position + 4 + length
        if length == 0:
            raise EMVCoError(f"Data object {prefix}{tag} in {where} is empty.", tag=prefix + tag)
        if end > len(text):
            raise EMVCoError(
                f"Data object {prefix}{tag} in {where} says it holds {length} characters, "
                f"but only {len(text) - start} follow.",
                tag=prefix + tag,
            )
        if tag in objects:
            raise EMVCoError(
                f"Data object {prefix}{tag} appears twice in {where}.", tag=prefix + tag
            )
        objects[tag] = text[start:end]
        position = end
    return objects


def parse(payload: str) -> Objects:
    """Read a merchant-presented payload into its data objects, templates as dictionaries of
    their own: ``{"00": "01", "26": {"00": "...", "01": "..."}, ..., "63": "A13A"}``.

    Checks the checksum first (a code changed or mis-scanned fails there), then every length,
    template and known value. Raises ``EMVCoError`` at the first fault."""
    if not isinstance(payload, str):
        raise EMVCoError("A payload must be text.")
    _refuse_hidden(payload, "The payload", None)
    if len(payload) > MAX_PAYLOAD:
        raise EMVCoError(f"The payload is longer than {MAX_PAYLOAD} characters.")
    if payload[-8:-4] != CRC_OBJECT or not _HEX4.fullmatch(payload[-4:]):
        raise EMVCoError(
            "The payload does not end with its checksum (63, four hex digits).", tag="63"
        )
    expected = checksum(payload[:-4])
    if payload[-4:].upper() != expected:
        raise EMVCoError(
            f"The checksum does not match: the code says {payload[-4:]}, its content gives "
            f"{expected}. It was changed or misread.",
            tag="63",
        )
    flat = _read_objects(payload, "the payload")
    tags = list(flat)
    if tags[0] != "00" or flat["00"] != PAYLOAD_FORMAT:
        raise EMVCoError('A payload begins with data object 00 holding "01".', tag="00")
    if tags[-1] != "63":
        raise EMVCoError("The checksum (63) must be the last data object.", tag="63")
    objects: Objects = {}
    for tag, value in flat.items():
        if tag in _TEMPLATES:
            objects[tag] = _read_template(tag, value)
        else:
            if tag != "63":
                _ans(value, f"Data object {tag}", tag=tag, longest=99)
            objects[tag] = value
    _check_values(objects)
    return objects


def _read_template(tag: str, value: str) -> dict[str, str]:
    inner = _read_objects(value, f"template {tag}", prefix=f"{tag}.")
    for sub, text in inner.items():
        what = f"Data object {tag}.{sub}"
        if tag == _LANGUAGE:
            _text(text, what, tag=f"{tag}.{sub}", longest=99)
        else:
            _ans(text, what, tag=f"{tag}.{sub}", longest=99)
    return inner


def _template_in(objects: Objects, tag: str) -> dict[str, str]:
    value = objects.get(tag, {})
    if isinstance(value, str):  # parse reads every template ID as a template
        raise EMVCoError(f"Data object {tag} must be a template.", tag=tag)
    return value


def _plain_in(objects: Objects, tag: str) -> str:
    value = objects.get(tag, "")
    if not isinstance(value, str):
        raise EMVCoError(f"Data object {tag} cannot be a template.", tag=tag)
    return value


def _check_values(objects: Objects) -> None:
    def plain(tag: str, what: str) -> str:
        if tag not in objects:
            raise EMVCoError(f"The payload has no {what} (data object {tag}).", tag=tag)
        return _plain_in(objects, tag)

    if objects.get("01", STATIC) not in (STATIC, DYNAMIC):
        raise EMVCoError('The point of initiation (01) must be "11" or "12".', tag="01")
    if not any(t in objects for t in _ACCOUNT_TEMPLATES | _CARD_NETWORK_ACCOUNTS):
        raise EMVCoError("The payload names no merchant account (data objects 02 to 51).")
    for tag in sorted(_ACCOUNT_TEMPLATES & objects.keys()):
        account = _template_in(objects, tag)
        if "00" not in account:
            raise EMVCoError(
                f"The merchant account template {tag} has no network identifier (00).",
                tag=f"{tag}.00",
            )
        _length(account["00"], f"Data object {tag}.00", tag=f"{tag}.00", longest=32, required=True)
    _digits(plain("52", "merchant category code"), "The merchant category code", tag="52", count=4)
    _digits(plain("53", "currency"), "The currency", tag="53", count=3)
    if "54" in objects:
        _read_amount(plain("54", "amount"), "54")
    if not _COUNTRY.fullmatch(plain("58", "country")):
        raise EMVCoError("The country (58) must be two capital letters.", tag="58")
    _length(plain("59", "merchant name"), "The merchant name", tag="59", longest=25, required=True)
    _length(plain("60", "merchant city"), "The merchant city", tag="60", longest=15, required=True)
    if "61" in objects:
        _length(plain("61", "postal code"), "The postal code", tag="61", longest=10, required=True)
    if len(plain("63", "checksum")) != 4:
        raise EMVCoError("The checksum (63) must be four hex digits.", tag="63")
    additional = _template_in(objects, _ADDITIONAL_DATA)
    for sub in (BILL_NUMBER, "02", "03", "04", REFERENCE_LABEL, "06", TERMINAL_LABEL, PURPOSE):
        if sub in additional:
            where = f"{_ADDITIONAL_DATA}.{sub}"
            _length(additional[sub], f"Data object {where}", tag=where, longest=25, required=True)
    if _LANGUAGE in objects:
        language = _template_in(objects, _LANGUAGE)
        if not _LANGUAGE_CODE.fullmatch(language.get("00", "")) or "01" not in language:
            raise EMVCoError(
                "The language template (64) needs a two-letter language (00) and a name (01).",
                tag=_LANGUAGE,
            )
        _length(language["01"], "Data object 64.01", tag="64.01", longest=25, required=True)
        if "02" in language:
            _length(language["02"], "Data object 64.02", tag="64.02", longest=15, required=True)


@dataclass(frozen=True)
class PaymentCode:
    """What a payment QR code asks for, read by ``decode``. ``amount`` is ``None`` for a
    static code, where the payer types it; the strings are ``""`` where the code has none.
    ``accounts`` holds the merchant account templates (26–51) by their IDs."""

    dynamic: bool
    merchant_name: str
    merchant_city: str
    country: str
    mcc: str
    currency: str
    amount: Decimal | None
    bill_number: str
    reference: str
    terminal_label: str
    purpose: str
    accounts: dict[str, dict[str, str]]


def decode(payload: str) -> PaymentCode:
    """``parse``, then the answers a bill needs by name. Raises ``EMVCoError`` as ``parse``
    does."""
    objects = parse(payload)

    def plain(tag: str) -> str:
        return _plain_in(objects, tag)

    additional = _template_in(objects, _ADDITIONAL_DATA)
    accounts = {t: _template_in(objects, t) for t in objects if t in _ACCOUNT_TEMPLATES}
    return PaymentCode(
        dynamic=plain("01") == DYNAMIC,
        merchant_name=plain("59"),
        merchant_city=plain("60"),
        country=plain("58"),
        mcc=plain("52"),
        currency=plain("53"),
        amount=_read_amount(plain("54"), "54") if "54" in objects else None,
        bill_number=additional.get(BILL_NUMBER, ""),
        reference=additional.get(REFERENCE_LABEL, ""),
        terminal_label=additional.get(TERMINAL_LABEL, ""),
        purpose=additional.get(PURPOSE, ""),
        accounts=accounts,
    )


# ---------------------------------------------------------------- drawing


def qr_svg(payload: str, *, scale: int = 4, border: int = 4, title: str = "Payment QR code") -> str:
    """The payload drawn as an inline ``<svg>`` element: a full QR code (never a Micro QR,
    which wallets do not read) at error correction level M or better, black modules on a
    white square with the standard four-module quiet zone, so it scans on a dark page too.

    segno writes colours as presentation attributes (``fill``, ``stroke``) and the size as a
    ``transform`` attribute, never a ``style`` attribute or element, so the SVG sits in a page
    under a strict Content-Security-Policy. ``title`` becomes its ``<title>``, read by screen
    readers. The payload is checked with ``parse`` first: only a valid code is drawn."""
    parse(payload)
    if not isinstance(scale, int) or scale < 1 or not isinstance(border, int) or border < 0:
        raise ValueError("scale must be a positive whole number and border not negative.")
    code = segno.make_qr(payload, error="m", encoding="utf-8")
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        scale=scale,
        border=border,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgns=True,
        title=title,
        svgclass="payment-qr",
        lineclass=None,
        nl=False,
    )
    return out.getvalue().decode("utf-8")
