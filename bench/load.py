"""The load driver every scenario shares: N concurrent clients, a warm-up that is not counted,
then a fixed number of measured requests split across the clients."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx

from bench.client import BenchClient, RequestFailed
from bench.cpu import per_request
from bench.environment import BenchError, Deadline
from bench.stats import Recorder

#: One unit of work of one client (its index, and which of its requests this is); returns the
#: seconds to count, raises :class:`RequestFailed` or an ``httpx`` error when it fails.
Step = Callable[[BenchClient, int, int], Awaitable[float]]
Setup = Callable[[BenchClient, int], Awaitable[Any]]
#: The server's CPU milliseconds so far (``bench/cpu.py``), read before and after measuring.
CpuClock = Callable[[], float]


@dataclass(frozen=True)
class LoadPlan:
    concurrency: int
    requests: int
    warmup: int
    #: Each client's pause between its requests (0: the next goes as soon as one answers).
    think_s: float = 0.0


def split(total: int, parts: int) -> list[int]:
    """``total`` requests over ``parts`` clients, as evenly as possible."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def describe(exc: BaseException) -> str:
    if isinstance(exc, RequestFailed):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


async def _client_loop(
    client: BenchClient, index: int, count: int, step: Step, rec: Recorder, think_s: float = 0.0
) -> None:
    for iteration in range(count):
        if think_s and iteration:
            await asyncio.sleep(think_s)
        try:
            seconds = await step(client, index, iteration)
        except (RequestFailed, httpx.HTTPError) as exc:
            rec.error(describe(exc))
        else:
            rec.ok(seconds)


async def _within(deadline: Deadline, *work: Coroutine[Any, Any, None]) -> None:
    """Run the coroutines concurrently within what is left of the overall time."""
    try:
        limit = deadline.remaining()
    except BenchError:
        for coroutine in work:
            coroutine.close()
        raise
    try:
        async with asyncio.timeout(limit):
            await asyncio.gather(*work)
    except TimeoutError:
        raise BenchError(f"overall timeout of {deadline.seconds:.0f} s reached") from None


async def _setup_one(client: BenchClient, index: int, setup: Setup, rec: Recorder) -> None:
    try:
        await setup(client, index)
    except (RequestFailed, httpx.HTTPError) as exc:
        rec.error(describe(exc))


async def _phase(
    clients: list[BenchClient],
    total: int,
    step: Step,
    rec: Recorder,
    deadline: Deadline,
    think_s: float = 0.0,
) -> float:
    """Run ``total`` steps across all clients at once; return the wall time."""
    counts = split(total, len(clients))
    started = time.perf_counter()
    await _within(
        deadline,
        *(
            _client_loop(client, index, count, step, rec, think_s)
            for index, (client, count) in enumerate(zip(clients, counts, strict=True))
        ),
    )
    return time.perf_counter() - started


async def run_load(
    base_url: str,
    plan: LoadPlan,
    step: Step,
    deadline: Deadline,
    *,
    setup: Setup | None = None,
    cpu: CpuClock | None = None,
) -> dict[str, Any]:
    """Open ``plan.concurrency`` clients, prepare each with ``setup`` (e.g. sign in), warm up,
    then measure. Setup failures are reported, and the client still runs its share, so its
    requests fail visibly instead of disappearing. With ``cpu``, the server's CPU time over
    the measured phase alone (no sign-in, no warm-up) per measured request."""
    clients = [BenchClient(base_url) for _ in range(plan.concurrency)]
    try:
        setup_rec = Recorder()
        if setup is not None:
            await _within(
                deadline,
                *(_setup_one(client, i, setup, setup_rec) for i, client in enumerate(clients)),
            )
        warmup_rec = Recorder()
        if plan.warmup:
            await _phase(clients, plan.warmup, step, warmup_rec, deadline)
        rec = Recorder()
        cpu_before = cpu() if cpu else 0.0
        wall = await _phase(clients, plan.requests, step, rec, deadline, plan.think_s)
        cpu_ms = cpu() - cpu_before if cpu else None
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    result = rec.summary(wall)
    if cpu_ms is not None:
        result["server_cpu_ms"] = round(cpu_ms, 1)
        result["cpu_ms_per_request"] = per_request(cpu_ms, rec.requests)
    result["warmup"] = plan.warmup
    for label, other in (("setup", setup_rec), ("warmup", warmup_rec)):
        if other.errors:
            result[f"{label}_errors"] = other.errors
            result[f"{label}_error_samples"] = other.error_samples
    return result
