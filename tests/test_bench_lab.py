"""The lab scenarios' options and how the technicians share the worklist."""

from __future__ import annotations

import pytest

from bench.run import DEFAULT_SCENARIOS, LAB_SCENARIOS, parse_args
from bench.scenarios.lab import TECHNICIANS, shares


def test_the_lab_runs_only_when_named_over_the_history_asked_for():
    assert not set(LAB_SCENARIOS) & set(DEFAULT_SCENARIOS)
    args = parse_args(["--scenarios", "lab_entry,lab_results", "--lab-results", "1000"])
    assert args.scenarios == ["lab_entry", "lab_results"]
    assert args.lab_results == 1000
    assert parse_args([]).lab_results == 5_000_000


def test_the_reading_scenario_may_reuse_a_history_but_entry_may_not():
    # lab_results only reads: measured again on the history an earlier run left.
    args = parse_args(["--scenarios", "lab_results", "--reuse-database"])
    assert args.reuse_database
    assert args.scenarios == ["lab_results"]
    # lab_entry uses up the worklist it enters.
    with pytest.raises(SystemExit):
        parse_args(["--scenarios", "lab_entry,lab_results", "--reuse-database"])


def test_no_two_technicians_or_phases_enter_the_same_test():
    worklist = list(range(1000, 1500))
    first = [shares(worklist, 0, 200, k) for k in range(TECHNICIANS)]
    second = [shares(worklist, 200, 100, k) for k in range(TECHNICIANS)]
    entered = [test for phase in (first, second) for share in phase for test in share]
    assert len(entered) == len(set(entered)) == 300
    assert all(len(share) == 20 for share in first)
    assert set(entered) <= set(worklist)
