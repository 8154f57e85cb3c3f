"""The billing scenarios' own arithmetic and options: what a cashier pays with, how a drawer
is counted, which scenarios run when."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bench.client import RequestFailed
from bench.run import BILLING_SCENARIOS, DEFAULT_SCENARIOS, parse_args
from bench.scenarios.billing_counter import tenders
from bench.scenarios.billing_reports import count_notes


def test_a_split_payment_is_half_cash_in_whole_rupees_and_the_rest_by_qr():
    split = tenders(Decimal("1350.00"), True, "BENCH-7")
    assert split == [
        {"method": "cash", "amount": "675", "reference": ""},
        {"method": "qr", "amount": "675.00", "reference": "BENCH-7"},
    ]
    assert sum(Decimal(t["amount"]) for t in tenders(Decimal("301.00"), True, "R")) == 301
    assert tenders(Decimal("1"), True, "R") == [{"method": "cash", "amount": "1", "reference": ""}]


def test_the_drawer_is_counted_in_the_fewest_notes_and_only_in_whole_rupees():
    assert count_notes(Decimal("2675.00")) == {"1000": 2, "500": 1, "100": 1, "50": 1, "20": 1,
                                               "5": 1}  # fmt: skip
    with pytest.raises(RequestFailed):
        count_notes(Decimal("10.50"))


def test_billing_runs_only_when_named_and_reuse_is_for_billing_alone():
    assert not set(BILLING_SCENARIOS) & set(DEFAULT_SCENARIOS)
    args = parse_args(["--scenarios", "billing_counter,billing_reports", "--reuse-database"])
    assert args.scenarios == ["billing_counter", "billing_reports"]
    with pytest.raises(SystemExit):
        parse_args(["--scenarios", "dashboard,billing_counter", "--reuse-database"])
