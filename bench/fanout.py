"""What one live-screen client heard: every sequence number it received, in order, with the
delay from the server's send (after commit) to this client's receipt. Pure bookkeeping, so the
``queue_fanout`` scenario's counts can be tested without a server."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass
class Heard:
    """One client's log. ``out_of_order`` counts messages whose ``seq`` is lower than one
    already received; ``duplicates`` those received twice."""

    latencies_s: list[float] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    highest: int = 0
    out_of_order: int = 0
    duplicates: int = 0

    def receive(self, seq: int, sent_at: float, received_at: float) -> None:
        if seq in self.seen:
            self.duplicates += 1
            return
        if seq < self.highest:
            self.out_of_order += 1
        self.highest = max(self.highest, seq)
        self.seen.add(seq)
        self.latencies_s.append(received_at - sent_at)

    def lost(self, expected: Iterable[int]) -> int:
        """How many of the sequence numbers this client should have heard it never did."""
        return sum(1 for seq in expected if seq not in self.seen)

    def unexpected(self, expected: set[int]) -> int:
        """Sequence numbers heard that were not among the expected ones (another run's, or a
        change this client should not have heard of)."""
        return len(self.seen - expected)

    def has_all(self, expected: set[int]) -> bool:
        return expected <= self.seen
