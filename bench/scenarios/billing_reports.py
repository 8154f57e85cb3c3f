"""The billing figures people wait for, over a large billing history (``generate_billing``):

- **the day's takings**: the takings report for today (``GET /billing/reports/takings/`` as
  KTM's ``manager``), the day's ledger rows summed by method;
- **a shift, opened and closed**: ten cashiers (``benchcashier11``…``20``), each opening its
  shift (``POST /api/v1/shifts/open/``), making a few sales (charge, invoice, payment: the
  counter's requests), reading the shift's figures (``GET /api/v1/shifts/{id}/summary/``)
  and closing it with the cash counted note by note (``POST /api/v1/shifts/{id}/close/``,
  counted = the summary's expected cash, so no variance).

Paced (people pausing the think time between requests) then closed loop; the p95 of each route
against the goal (200 ms, paced). Then the **streamed exports**: the month's report by service
as CSV, and the outstanding balances (a row per patient who owes), with the server's resident
memory sampled while each streams: flat memory is a peak that does not grow with the rows."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bench.client import BenchClient, RequestFailed, expect_status
from bench.load import LoadPlan, run_load
from bench.scenarios.base import Context, Scenario
from bench.scenarios.billing_counter import (
    CASHIERS,
    CounterData,
    Kinds,
    Sale,
    sale_step,
    summarise,
    timed_post,
)

GOAL_P95_MS = 200.0
#: The shift-closing cashiers: the ten after the counter's.
USERNAME = "benchcashier{:02d}"
FIRST_CASHIER = CASHIERS + 1
MANAGER = "manager"
TAKINGS_PATH = "/billing/reports/takings/?first={day}&last={day}"
TAKINGS_MARKER = b"Takings by method"
#: The streamed exports: the month's report by service, and every patient who owes.
STREAMS = {
    "service_month_csv": "/billing/reports/service.csv?first={month}&last={day}",
    "outstanding_csv": "/billing/reports/outstanding.csv",
}
RSS_SAMPLE_S = 0.02
#: The bench clinic's zone: "today" is its day (the reports' periods are the clinic's days).
CLINIC_ZONE = ZoneInfo("Asia/Kathmandu")
SALES_PER_SHIFT = 3
#: One shift: open, a few sales, its figures, close.
SHIFT = ("open", *(("charge", "invoice", "pay") * SALES_PER_SHIFT), "summary", "close")
SUMMARY_PATH = "/api/v1/shifts/{shift}/summary/"
CLOSE_PATH = "/api/v1/shifts/{shift}/close/"
OPEN_PATH = "/api/v1/shifts/open/"
DENOMINATIONS = (1000, 500, 100, 50, 20, 10, 5, 2, 1)


def count_notes(amount: Decimal) -> dict[str, int]:
    """The cash in the fewest notes and coins (whole rupees)."""
    left = int(amount)
    if left != amount:
        raise RequestFailed(f"expected cash {amount} is not whole rupees")
    pieces = {}
    for value in DENOMINATIONS:
        many, left = divmod(left, value)
        if many:
            pieces[str(value)] = many
    return pieces


class ShiftState:
    def __init__(self) -> None:
        self.shift = 0
        self.expected = Decimal(0)
        self.sale = Sale()


class BillingReports(Scenario):
    name = "billing_reports"
    description = (
        "the day's takings (the takings report for today, as KTM's manager) and "
        f"{CASHIERS} cashiers (benchcashier{FIRST_CASHIER:02d}…{FIRST_CASHIER + CASHIERS - 1:02d}) "
        f"each opening a shift, making {SALES_PER_SHIFT} sales (charge, invoice, payment), "
        "reading its summary and closing it with the cash counted; paced then closed loop; "
        f"p95 per route against the goal of {GOAL_P95_MS:.0f} ms (paced)"
    )
    paced = False

    def __init__(self) -> None:
        self.data = CounterData([], [])

    def use(self, data: CounterData) -> None:
        self.data = data

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("billing_reports runs its own phases")

    async def _takings(
        self, ctx: Context, requests: int, think_s: float, people: int
    ) -> dict[str, Any]:
        async def setup(client: BenchClient, index: int) -> None:
            await client.sign_in(MANAGER, ctx.password)

        path = TAKINGS_PATH.format(day=datetime.now(CLINIC_ZONE).date().isoformat())

        async def step(client: BenchClient, index: int, iteration: int) -> float:
            timed = await client.get(path)
            expect_status(timed.response, 200)
            if TAKINGS_MARKER not in timed.response.content:
                raise RequestFailed("the takings report did not come")
            return timed.seconds

        plan = LoadPlan(people, requests, warmup=0 if think_s else people, think_s=think_s)
        return await run_load(ctx.base_url, plan, step, ctx.deadline, setup=setup, cpu=ctx.cpu)

    async def _shifts(self, ctx: Context, shifts_each: int, think_s: float) -> dict[str, Any]:
        states = [ShiftState() for _ in range(CASHIERS)]
        kinds = Kinds()
        rng = random.Random(2)

        async def setup(client: BenchClient, index: int) -> None:
            await client.sign_in(USERNAME.format(FIRST_CASHIER + index), ctx.password)

        async def step(client: BenchClient, index: int, iteration: int) -> float:
            state = states[index]
            kind = SHIFT[iteration % len(SHIFT)]
            if kind == "open":
                response, seconds = await timed_post(client, OPEN_PATH, {"opening_float": "1000"})
                state.shift = int(response.json()["id"])
            elif kind == "summary":
                started = time.perf_counter()
                timed = await client.get(SUMMARY_PATH.format(shift=state.shift))
                seconds = time.perf_counter() - started
                expect_status(timed.response, 200)
                state.expected = Decimal(str(timed.response.json()["expected_cash"]))
            elif kind == "close":
                payload = {"counted": count_notes(state.expected), "reason": ""}
                response, seconds = await timed_post(
                    client, CLOSE_PATH.format(shift=state.shift), payload, status=200
                )
                closed = response.json()
                if Decimal(str(closed["counted_cash"])) != Decimal(str(closed["expected_cash"])):
                    raise RequestFailed(f"shift closed with a variance: {str(closed)[:200]}")
            else:
                return await sale_step(client, state.sale, kind, self.data, rng, kinds)
            kinds.ok(f"shift_{kind}", seconds)
            return seconds

        plan = LoadPlan(CASHIERS, CASHIERS * len(SHIFT) * shifts_each, warmup=0, think_s=think_s)
        result = await run_load(ctx.base_url, plan, step, ctx.deadline, setup=setup, cpu=ctx.cpu)
        result["by_kind"] = kinds.summary()
        result["shifts_closed"] = CASHIERS * shifts_each
        return result

    async def _stream(self, ctx: Context, path: str) -> dict[str, Any]:
        """One export streamed to the end, the server's memory sampled meanwhile."""
        client = BenchClient(ctx.base_url)
        try:
            await client.sign_in(MANAGER, ctx.password)
            rss = ctx.rss or (lambda: 0)
            before = rss()
            peak = before
            done = asyncio.Event()

            async def sample() -> None:
                nonlocal peak
                while not done.is_set():
                    peak = max(peak, rss())
                    await asyncio.sleep(RSS_SAMPLE_S)

            sampler = asyncio.create_task(sample())
            try:
                timed = await client.get(path)
            finally:
                done.set()
                await sampler
            expect_status(timed.response, 200)
            body = timed.response.content
            return {
                "path": path,
                "seconds": round(timed.seconds, 3),
                "bytes": len(body),
                "rows": body.count(b"\n") - 1,
                "rss_before_mb": round(before / 1024, 1),
                "rss_peak_mb": round(peak / 1024, 1),
                "rss_growth_mb": round((peak - before) / 1024, 1),
            }
        finally:
            await client.aclose()

    async def _streams(self, ctx: Context) -> dict[str, Any]:
        today = datetime.now(CLINIC_ZONE).date()
        month = today - timedelta(days=30)
        found = {}
        for name, pattern in STREAMS.items():
            path = pattern.format(month=month.isoformat(), day=today.isoformat())
            await self._stream(ctx, path)  # the first pays for imports and caches
            found[name] = await self._stream(ctx, path)
        return found

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.data.patients or not self.data.items:
            raise RequestFailed("no generated billing data (see bench/database.py)")
        takings_paced = await self._takings(ctx, ctx.paced_requests // 2, ctx.think_s, CASHIERS)
        takings_closed = await self._takings(ctx, ctx.requests // 2, 0.0, CASHIERS)
        shifts_paced = await self._shifts(ctx, 2, ctx.think_s)
        shifts_closed = await self._shifts(ctx, 2, 0.0)
        takings = summarise(self.description, takings_closed, takings_paced, ctx)
        shifts = summarise(self.description, shifts_closed, shifts_paced, ctx)
        streams = await self._streams(ctx)
        routes = {"takings (today's report)": takings["paced"]["p95_ms"]}
        for kind in (
            "shift_open",
            "shift_summary",
            "shift_close",
            "charge",
            "invoice",
            "pay_cash",
            "pay_split",
        ):
            found = shifts["paced"]["by_kind"].get(kind)
            routes[kind] = found["p95_ms"] if found else None
        met = all(v is not None and v <= GOAL_P95_MS for v in routes.values())
        worst = max((v for v in routes.values() if v is not None), default=None)
        return {
            "description": self.description,
            "requests": takings["requests"] + shifts["requests"],
            "errors": takings["errors"] + shifts["errors"],
            "rps": None,
            "cpu_ms_per_request": None,
            "paced": {
                "p95_ms": worst,
                "p95_ms_by_route": routes,
                "people": CASHIERS,
                "think_ms": round(ctx.think_s * 1000),
            },
            "goal_p95_ms": GOAL_P95_MS,
            "goal_met": met,
            "takings": takings,
            "shift_close": shifts,
            "streams": streams,
            "notes": (
                "takings: today's takings report (today's ledger rows by method, at the "
                "clinic's time zone: the generated history spreads its rows evenly over each "
                "24 hours); streams: the server's resident memory before and at its peak while "
                "each export streamed (second run of each); shift_close: "
                "every request of a shift's cycle, by kind; rps and CPU under each part; "
                "paced.p95_ms is the worst route's"
            ),
        }
