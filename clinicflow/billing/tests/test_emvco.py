"""The bill's payment QR code: the checksum against its check value and published codes, a
bill's code read back as it was written, and every way a code can be wrong refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clinicflow.billing.emvco import (
    DOCTORS,
    HOSPITALS,
    EMVCoError,
    Merchant,
    checksum,
    crc16_ccitt_false,
    data_object,
    decode,
    format_amount,
    merchant_payload,
    parse,
    qr_svg,
    template,
    with_checksum,
)

# Published codes, each with the checksum its publisher printed as its last four characters.
# The EMVCo Merchant-Presented Mode specification (v1.0 July 2017 and v1.1 November 2020),
# Appendix A: two merchant account templates, a tip indicator, additional data, the name in
# Chinese in template 64 (lengths in characters, checksum over UTF-8) and a template 91.
EMVCO_APPENDIX = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME91320016A0112233449988"
    "770708123456786304A13A"
)
# Banco Central do Brasil, "Manual de Padrões para Iniciação do Pix" (the BR Code manual),
# its static example: an EMVCo payload with template 26 and no amount.
PIX_MANUAL = (
    "00020126580014br.gov.bcb.pix0136123e4567-e12b-12d1-a456-426655440000"
    "5204000053039865802BR5913Fulano de Tal6008BRASILIA62070503***63041D3D"
)
# Mastercard Developers, "Generate QR Code for Merchants" (Secure Card on File QR): a card
# network's primitive account object (05) instead of a template, and an amount without
# decimals.
MASTERCARD_SQR = (
    "000201010211057704736a2f41a3-c54c-fce8-32d2-0324e1c32e22*3440e5bf-81ca-4c5f-a1b2-"
    "cf989f09a03952045024530384054031005802US5913Test Merchant6008New York620803041234"
    "63046F6D"
)

CITY_CLINIC = Merchant(
    name="City Clinic",
    city="Kathmandu",
    mcc=HOSPITALS,
    guid="NCHL",
    account_id="2501ELFDRY2",
    account_template="29",
)


def bill_code(**overrides):
    arguments = {
        "merchant": CITY_CLINIC,
        "amount": Decimal("1250.00"),
        "bill_number": "INV-000123",
    }
    return merchant_payload(**(arguments | overrides))


def objects_of(payload):
    """The data objects of a payload before its checksum, to be changed and closed again
    with a correct checksum, so that only the change is at fault."""
    return payload[:-8]


# ---------------------------------------------------------------- the checksum


def test_the_checksum_is_crc16_ccitt_false_with_its_standard_check_value():
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


@pytest.mark.parametrize(
    "payload", [EMVCO_APPENDIX, PIX_MANUAL, MASTERCARD_SQR], ids=["emvco", "pix", "mastercard"]
)
def test_the_checksum_reproduces_published_codes(payload):
    assert checksum(payload[:-4]) == payload[-4:]
    assert with_checksum(payload[:-8]) == payload


def test_the_emvco_appendix_example_reads_into_its_data_objects():
    objects = parse(EMVCO_APPENDIX)

    assert objects["29"] == {"00": "D15600000000", "05": "A93FO3230Q"}
    assert objects["31"] == {"00": "D15600000001", "03": "12345678"}
    assert objects["64"] == {"00": "ZH", "01": "最佳运输", "02": "北京"}
    assert objects["62"] == {"03": "1234", "06": "***", "07": "A6008667", "09": "ME"}
    assert objects["91"] == {"00": "A011223344998877", "07": "12345678"}
    code = decode(EMVCO_APPENDIX)
    assert code.dynamic
    assert code.amount == Decimal("23.72")
    assert (code.merchant_name, code.merchant_city, code.currency) == (
        "BEST TRANSPORT",
        "BEIJING",
        "156",
    )
    assert code.terminal_label == "A6008667"


def test_static_published_codes_read_without_an_amount_or_with_a_whole_one():
    pix = decode(PIX_MANUAL)
    assert not pix.dynamic
    assert pix.amount is None
    assert pix.accounts == {
        "26": {"00": "br.gov.bcb.pix", "01": "123e4567-e12b-12d1-a456-426655440000"}
    }
    assert decode(MASTERCARD_SQR).amount == Decimal("100")


# ---------------------------------------------------------------- a bill's code


def test_a_bill_code_is_dynamic_in_rupees_and_carries_amount_and_bill_number():
    payload = bill_code(reference="KTM-000123", terminal_label="Counter 2", purpose="OPD")

    assert payload.startswith("00020101021229230004NCHL01112501ELFDRY2")
    assert "52048062530352454071250.005802NP5911City Clinic6009Kathmandu" in payload
    code = decode(payload)
    assert code.dynamic
    assert code.amount == Decimal("1250.00")
    assert code.currency == "524"
    assert code.bill_number == "INV-000123"
    assert code.reference == "KTM-000123"
    assert code.terminal_label == "Counter 2"
    assert code.purpose == "OPD"
    assert code.accounts == {"29": {"00": "NCHL", "01": "2501ELFDRY2"}}


def test_the_name_in_devanagari_counts_characters_and_checks_utf8():
    clinic = Merchant(
        name="City Clinic",
        city="Kathmandu",
        mcc=DOCTORS,
        guid="fonepay.com",
        account_tag="07",
        account_id="2222030018185764",
        extra=(("02", "NPR"),),
        language="ne",
        local_name="सिटी क्लिनिक",
        local_city="काठमाडौं",
    )
    payload = bill_code(merchant=clinic)

    assert "0112सिटी क्लिनिक" in payload
    assert parse(payload)["64"] == {"00": "ne", "01": "सिटी क्लिनिक", "02": "काठमाडौं"}
    assert parse(payload)["26"] == {"00": "fonepay.com", "02": "NPR", "07": "2222030018185764"}
    assert payload[-4:] == checksum(payload[:-4])


ans = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=25)


@settings(max_examples=300, deadline=None)
@given(
    name=ans,
    city=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=15),
    mcc=st.from_regex(r"\A[0-9]{4}\Z"),
    guid=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=32),
    account=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
    template_id=st.integers(26, 51).map(str),
    paisa=st.integers(1, 999_999_999_999),
    bill=ans,
    reference=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=25),
    purpose=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=25),
)
def test_any_bill_code_reads_back_as_written(
    name, city, mcc, guid, account, template_id, paisa, bill, reference, purpose
):
    extra = sum(len(v) + 4 for v in (reference, purpose) if v)
    assume(len(bill) + 4 + extra <= 99)
    merchant = Merchant(
        name=name,
        city=city,
        mcc=mcc,
        guid=guid,
        account_id=account,
        account_template=template_id,
    )
    amount = Decimal(paisa) / 100

    payload = merchant_payload(
        merchant=merchant, amount=amount, bill_number=bill, reference=reference, purpose=purpose
    )

    code = decode(payload)
    assert code.amount == amount
    assert (code.merchant_name, code.merchant_city, code.mcc) == (name, city, mcc)
    assert (code.bill_number, code.reference, code.purpose) == (bill, reference, purpose)
    assert code.accounts == {template_id: {"00": guid, "01": account}}
    assert len(payload) <= 512


# ---------------------------------------------------------------- changed codes


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_code_with_any_one_character_changed_fails_its_checksum(data):
    payload = bill_code(reference="KTM-000123")
    position = data.draw(st.integers(0, len(payload) - 9), label="position")
    replacement = data.draw(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E), label="replacement"
    )
    assume(replacement != payload[position])
    tampered = payload[:position] + replacement + payload[position + 1 :]

    with pytest.raises(EMVCoError, match="checksum does not match") as refused:
        parse(tampered)
    assert refused.value.tag == "63"


def test_a_changed_checksum_is_refused_and_its_case_is_not_a_change():
    payload = bill_code()
    wrong = f"{(int(payload[-4:], 16) + 1) % 0x10000:04X}"

    with pytest.raises(EMVCoError, match="checksum"):
        parse(payload[:-4] + wrong)
    assert parse(payload[:-4] + payload[-4:].lower())["63"] == payload[-4:].lower()


def test_a_code_cut_short_or_without_a_checksum_is_refused():
    payload = bill_code()
    for broken in (payload[:-1], payload[:-8], "", "6304"):
        with pytest.raises(EMVCoError, match="checksum"):
            parse(broken)


def test_a_length_that_promises_more_than_follows_is_refused():
    body = objects_of(bill_code()).replace("5911City Clinic", "5930City Clinic")

    # The name swallows what follows it, so the next object is not where its length says.
    with pytest.raises(EMVCoError, match=r"two-digit ID and a two-digit length|says it holds"):
        parse(with_checksum(body))


def test_a_length_that_is_not_two_digits_is_refused():
    body = objects_of(bill_code()).replace("5911City Clinic", "59xxCity Clinic")

    with pytest.raises(EMVCoError, match="two-digit ID and a two-digit length"):
        parse(with_checksum(body))


def test_a_last_object_longer_than_what_is_left_is_refused():
    body = "000201" + "0102" + "12" + "5999ABC"

    with pytest.raises(EMVCoError, match="says it holds 99 characters") as refused:
        parse(body + "6304" + checksum(body + "6304"))
    assert refused.value.tag == "59"


def test_a_nested_template_whose_inner_length_lies_is_refused():
    body = objects_of(bill_code())
    good_62 = data_object("62", data_object("01", "INV-000123"))
    lying_62 = "6214" + "0120" + "INV-000123"  # the template is 14 long, its bill number "20"
    assert good_62 in body

    with pytest.raises(EMVCoError, match="in template 62") as refused:
        parse(with_checksum(body.replace(good_62, lying_62)))
    assert refused.value.tag == "62.01"


def test_a_repeated_or_misplaced_data_object_is_refused():
    body = objects_of(bill_code())
    with pytest.raises(EMVCoError, match="appears twice"):
        parse(with_checksum(body + "5802NP"))
    with pytest.raises(EMVCoError, match="begins with data object 00"):
        parse(with_checksum(body[6:] + "000201"))


def test_a_code_missing_a_mandatory_object_is_refused():
    body = objects_of(bill_code()).replace("5911City Clinic", "")

    with pytest.raises(EMVCoError, match="no merchant name") as refused:
        parse(with_checksum(body))
    assert refused.value.tag == "59"


def test_a_merchant_account_template_without_its_network_is_refused():
    body = objects_of(bill_code()).replace(
        template("29", [("00", "NCHL"), ("01", "2501ELFDRY2")]),
        template("29", [("01", "2501ELFDRY2")]),
    )

    with pytest.raises(EMVCoError, match="no network identifier"):
        parse(with_checksum(body))


@pytest.mark.parametrize("written", ["10.005", "0.00", "0", "-5.00", "1,250.00", "12345678901.00"])
def test_a_code_whose_amount_is_not_a_payable_amount_is_refused(written):
    body = objects_of(bill_code()).replace("54071250.00", data_object("54", written))

    with pytest.raises(EMVCoError) as refused:
        parse(with_checksum(body))
    assert refused.value.tag == "54"


def test_a_code_with_a_control_character_is_refused():
    body = objects_of(bill_code()).replace("5911City Clinic", "5911City\tClinic")

    with pytest.raises(EMVCoError, match="control character"):
        parse(with_checksum(body))


def test_a_name_outside_the_character_set_is_refused_outside_the_language_template():
    body = objects_of(bill_code()).replace("5911City Clinic", "5911Cíty Clinic")

    with pytest.raises(EMVCoError, match="EMVCo character set"):
        parse(with_checksum(body))


# ---------------------------------------------------------------- what a bill may ask for


@pytest.mark.parametrize(
    ("amount", "written"),
    [
        (Decimal("1250"), "1250.00"),
        (Decimal("0.5"), "0.50"),
        (Decimal("1.250"), "1.25"),
        (Decimal("9999999999.99"), "9999999999.99"),
    ],
)
def test_amounts_are_written_with_two_decimals(amount, written):
    assert format_amount(amount) == written


@pytest.mark.parametrize(
    ("amount", "reason"),
    [
        (Decimal("10.005"), "more than two decimal places"),
        (Decimal("0"), "more than zero"),
        (Decimal("0.00"), "more than zero"),
        (Decimal("-100"), "more than zero"),
        (Decimal("-0"), "more than zero"),
        (Decimal("10000000000"), "too large"),
        (Decimal("NaN"), "not an amount"),
        (Decimal("Infinity"), "not an amount"),
        (1250.0, "must be a Decimal"),
    ],
)
def test_a_bill_code_refuses_an_amount_it_cannot_carry(amount, reason):
    with pytest.raises(EMVCoError, match=reason) as refused:
        bill_code(amount=amount)
    assert refused.value.tag == "54"


def test_a_merchant_name_longer_than_25_characters_is_refused():
    with pytest.raises(EMVCoError, match="26 characters long; the most is 25") as refused:
        Merchant(name="X" * 26, city="Kathmandu", mcc=HOSPITALS, guid="NCHL", account_id="1")
    assert refused.value.tag == "59"


@pytest.mark.parametrize(
    ("changes", "tag"),
    [
        ({"city": "Kathmandu Valley"}, "60"),
        ({"mcc": "806"}, "52"),
        ({"mcc": "80६2"}, "52"),
        ({"country": "np"}, "58"),
        ({"account_template": "25"}, "25"),
        ({"guid": "G" * 33}, "29.00"),
        ({"account_id": "A" * 90}, "29"),
        ({"extra": (("01", "again"),)}, "29.01"),
        ({"local_name": "सिटी क्लिनिक"}, "64.00"),
        ({"name": "City\x00Clinic"}, "59"),
        ({"name": "City\u202eClinic"}, "59"),
        ({"name": "सिटी क्लिनिक"}, "59"),
    ],
)
def test_a_merchant_that_cannot_be_written_into_a_code_is_refused(changes, tag):
    fields = {
        "name": "City Clinic",
        "city": "Kathmandu",
        "mcc": HOSPITALS,
        "guid": "NCHL",
        "account_id": "2501ELFDRY2",
        "account_template": "29",
    }
    with pytest.raises(EMVCoError) as refused:
        Merchant(**(fields | changes))
    assert refused.value.tag == tag


@pytest.mark.parametrize(
    ("changes", "tag"),
    [
        ({"bill_number": ""}, "62.01"),
        ({"bill_number": "B" * 26}, "62.01"),
        ({"bill_number": "INV\n1"}, "62.01"),
        ({"reference": "\x1b[31m"}, "62.05"),
        ({"currency": "NPR"}, "53"),
        ({"reference": "R" * 25, "terminal_label": "T" * 25, "purpose": "P" * 25}, "62"),
    ],
)
def test_a_bill_code_refuses_additional_data_it_cannot_carry(changes, tag):
    with pytest.raises(EMVCoError) as refused:
        bill_code(**changes)
    assert refused.value.tag == tag


# ---------------------------------------------------------------- the drawing


def test_the_svg_is_an_inline_element_with_no_style_for_a_strict_csp():
    svg = qr_svg(bill_code(), scale=3, title="Pay bill INV-000123")

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert svg.endswith("</svg>")
    assert "<?xml" not in svg
    assert "style" not in svg
    assert "<script" not in svg
    assert "<title>Pay bill INV-000123</title>" in svg
    assert 'fill="#fff"' in svg  # a light square behind the modules, for a dark page


def test_the_svg_is_a_full_qr_code_even_for_a_short_payload():
    # A Micro QR (which segno picks for short content unless told not to) is at most 17
    # modules wide; wallets do not read it. A QR code is at least 21, plus the quiet zone.
    svg = qr_svg(PIX_MANUAL, scale=1, border=4)
    width = int(svg.split('width="')[1].split('"')[0])
    assert width >= 21 + 2 * 4


def test_only_a_valid_payload_is_drawn():
    with pytest.raises(EMVCoError):
        qr_svg("not a payment code")
    with pytest.raises(ValueError, match="scale"):
        qr_svg(bill_code(), scale=0)
