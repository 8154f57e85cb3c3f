"""The fan-out bench's bookkeeping: what a live-screen client heard, lost and heard out of order."""

from __future__ import annotations

import pytest

from bench.fanout import Heard


def test_a_client_that_heard_everything_in_order_lost_nothing() -> None:
    heard = Heard()
    for seq in (1, 2, 3):
        heard.receive(seq, sent_at=100.0, received_at=100.05)
    assert heard.lost({1, 2, 3}) == 0
    assert heard.out_of_order == 0
    assert heard.has_all({1, 2, 3})
    assert heard.latencies_s == pytest.approx([0.05, 0.05, 0.05])


def test_missing_numbers_count_as_lost_and_a_late_lower_one_as_out_of_order() -> None:
    heard = Heard()
    for seq in (1, 3, 2, 5):
        heard.receive(seq, sent_at=0.0, received_at=0.1)
    assert heard.out_of_order == 1  # 2 after 3
    assert heard.lost({1, 2, 3, 4, 5}) == 1  # 4 never came
    assert not heard.has_all({1, 2, 3, 4, 5})


def test_a_repeated_number_is_a_duplicate_not_a_disorder_nor_a_second_latency() -> None:
    heard = Heard()
    heard.receive(7, sent_at=0.0, received_at=0.2)
    heard.receive(7, sent_at=0.0, received_at=0.3)
    assert heard.duplicates == 1
    assert heard.out_of_order == 0
    assert heard.latencies_s == pytest.approx([0.2])


def test_numbers_from_outside_the_run_are_unexpected() -> None:
    heard = Heard()
    heard.receive(1, sent_at=0.0, received_at=0.0)
    heard.receive(99, sent_at=0.0, received_at=0.0)
    assert heard.unexpected({1, 2}) == 1
    assert heard.lost({1, 2}) == 1
