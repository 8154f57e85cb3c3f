"""Latency statistics shared by every scenario."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

#: How many distinct error messages a scenario keeps for the report.
ERROR_SAMPLES = 5


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The ``fraction`` (0..1) percentile of already sorted values, interpolating linearly
    between the two closest ranks (numpy's default method)."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    weight = position - low
    return sorted_values[low] * (1 - weight) + sorted_values[high] * weight


@dataclass
class Recorder:
    """Collects the outcome of every measured request of one scenario."""

    latencies_s: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def ok(self, seconds: float) -> None:
        self.latencies_s.append(seconds)

    def error(self, message: str) -> None:
        self.errors += 1
        if message not in self.error_samples and len(self.error_samples) < ERROR_SAMPLES:
            self.error_samples.append(message)

    @property
    def requests(self) -> int:
        return len(self.latencies_s) + self.errors

    def summary(self, wall_s: float) -> dict[str, Any]:
        """The figures of the report: latencies of successful requests in milliseconds,
        throughput over the wall time of the measured phase."""
        result: dict[str, Any] = {"requests": self.requests, "errors": self.errors}
        values = sorted(self.latencies_s)
        if values:
            ms = [v * 1000 for v in values]
            result.update(
                p50_ms=round(percentile(ms, 0.50), 2),
                p95_ms=round(percentile(ms, 0.95), 2),
                p99_ms=round(percentile(ms, 0.99), 2),
                mean_ms=round(statistics.fmean(ms), 2),
                min_ms=round(ms[0], 2),
                max_ms=round(ms[-1], 2),
            )
        result["rps"] = round(len(values) / wall_s, 1) if wall_s > 0 else None
        result["wall_s"] = round(wall_s, 2)
        if self.error_samples:
            result["error_samples"] = list(self.error_samples)
        return result


def paced_summary(result: dict[str, Any], *, people: int, think_ms: int) -> dict[str, Any]:
    """The ``paced`` entry of a scenario from a load run's summary: what a person at a desk
    feels when ``people`` each pause ``think_ms`` between requests."""
    paced = {
        "p50_ms": result.get("p50_ms"),
        "p95_ms": result.get("p95_ms"),
        "p99_ms": result.get("p99_ms"),
        "requests": result["requests"],
        "errors": result["errors"],
        "people": people,
        "think_ms": think_ms,
        "rps": result.get("rps"),
    }
    if "cpu_ms_per_request" in result:
        paced["cpu_ms_per_request"] = result["cpu_ms_per_request"]
    if result.get("error_samples"):
        paced["error_samples"] = result["error_samples"]
    return paced
