"""The code-burst bench's plan: a thousand requests from people, shared IPs, number sprayers
and bombers, and how many the code limits let through whatever order they arrive in."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from bench.scenarios.otp_burst import PER_ADDRESS, PER_IP, Ask, Visitor, allowance, plan


def let_through(visitors: list[Visitor], seed: int) -> Counter[str]:
    """What the limits let through for one arrival order (each request counted on both of
    its keys, as ``check_send_limits`` counts it, and let through when both are within)."""
    asks = [(v.ip, ask) for v in visitors for ask in v.asks]
    random.Random(seed).shuffle(asks)
    by_address: Counter[str] = Counter()
    by_ip: Counter[str] = Counter()
    allowed: Counter[str] = Counter()
    for ip, ask in asks:
        by_address[ask.key] += 1
        by_ip[ip] += 1
        if by_address[ask.key] <= PER_ADDRESS and by_ip[ip] <= PER_IP:
            allowed[ask.page] += 1
    return allowed


def test_the_plan_is_a_thousand_requests_of_every_kind_and_the_same_each_time():
    visitors = plan()
    assert sum(len(v.asks) for v in visitors) == 1000
    kinds = Counter(v.kind for v in visitors)
    assert set(kinds) == {"person", "shared_ip", "sprayer", "bomber"}
    assert plan() == visitors
    assert "127.0.0.1" not in {v.ip for v in visitors}
    # Repeated numbers and shared IPs, as well as one-off ones.
    assert max(Counter(a.key for v in visitors for a in v.asks).values()) > PER_ADDRESS
    assert max(Counter(v.ip for v in visitors for _ in v.asks).values()) > PER_IP


@pytest.mark.parametrize("seed", range(5))
def test_the_allowance_does_not_depend_on_the_order_of_arrival(seed):
    visitors = plan()
    expected = allowance(visitors)
    assert let_through(visitors, seed) == Counter(expected)
    assert 0 < expected["register"] < expected["sign_in"] < 1000


def test_a_request_over_both_limits_at_once_is_refused_as_a_plan():
    hammered = Ask("sign_in", "+9779800000001", "+9779800000001")
    visitors = [Visitor("sprayer", "127.10.0.1", [hammered] * (PER_IP + 1))]
    with pytest.raises(ValueError, match="both keys"):
        allowance(visitors)


def test_a_small_plan_counts_each_limit_once():
    one = Ask("sign_in", "9800000001", "+9779800000001")
    visitors = [
        Visitor("person", "127.10.0.1", [one] * 5),  # the address lets 3 through
        Visitor("sprayer", "127.10.0.2", [
            Ask("register", f"a{n}@example.org", f"a{n}@example.org") for n in range(12)
        ]),  # the IP lets 10 through
    ]  # fmt: skip
    assert allowance(visitors) == {"sign_in": 3, "register": 10}
