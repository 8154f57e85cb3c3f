"""The laboratory over a large history (``generate_lab``: 5,000,000 results by default, over
200,000 patients).

``lab_entry``: ten technicians (``benchlab01``…``10``), each working through its own share of
the received samples of the generated 20-parameter test, entering all 20 values of one test
per request (``POST /api/v1/lab-ordered-tests/{id}/results/``: checked, flagged against the
range that applies, delta-checked against the patient's previous value, saved). Paced (each
technician pausing the think time between tests) then as a closed loop.

``lab_results``: the doctors of the demo clinic reading the patients with ten years of
monthly results, in turn: a parameter's trend page (``/lab/patients/{id}/trends/{code}/``)
and the chart's Results section (``/lab/patients/{id}/results/``: the latest value of each
parameter, as the chart shows it); ten doctors paced, then a closed loop; latency per kind
of page."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from bench.client import BenchClient, RequestFailed, expect_status
from bench.load import LoadPlan, run_load
from bench.scenarios.base import Context, Scenario
from bench.scenarios.billing_counter import Kinds, summarise

TECHNICIANS = 10
#: The generated technicians (``generate_lab --technicians``).
TECHNICIAN = "benchlab{:02d}"
ENTRY_PATH = "/api/v1/lab-ordered-tests/{test}/results/"
DOCTORS = ("doc001", "doc002", "doc003", "doc004")
TREND_PATH = "/lab/patients/{patient}/trends/{code}/"
RESULTS_PATH = "/lab/patients/{patient}/results/"
#: Doctors reading at once in the paced phase (people with think time between pages).
READERS = 10
#: What the goal names (p95 ≤ 100 ms): a parameter's trend and the chart's Results section.
PAGES = ("trend", "results")
PATHS = {"trend": TREND_PATH, "results": RESULTS_PATH}
#: What a trend page must show (its table's rows) and a chart its Results panel.
MARKERS = {
    "trend": b'data-testid="lab-trend-row"',
    "results": b'data-testid="lab-latest"',
}


@dataclass
class LabData:
    """What the generator made that the scenarios use."""

    #: The received tests waiting for their results, oldest first.
    worklist: list[int] = field(default_factory=list)
    #: The generated test's parameters: (id, a value inside its normal range).
    parameters: list[tuple[int, str]] = field(default_factory=list)
    #: Patients with a long history, and the parameter codes to draw.
    history_patients: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    sizes: dict[str, Any] = field(default_factory=dict)


def shares(worklist: list[int], start: int, requests: int, technician: int) -> list[int]:
    """The tests technician ``technician`` enters in a phase of ``requests`` starting at
    ``start`` of the worklist: every tenth, so that no two technicians, and no two phases,
    ever enter the same test."""
    return worklist[start + technician : start + requests : TECHNICIANS][: requests // TECHNICIANS]


class LabEntry(Scenario):
    name = "lab_entry"
    description = (
        f"{TECHNICIANS} technicians (benchlab01…{TECHNICIANS:02d}) each entering its own share "
        "of the received samples: POST /api/v1/lab-ordered-tests/{id}/results/ with the 20 "
        "values of the generated panel (checked, flagged, delta-checked, saved); paced (think "
        "time between tests) then closed loop"
    )
    paced = False  # its own phases, with the technicians' clients

    def __init__(self) -> None:
        self.data = LabData()
        self.taken = 0

    def use(self, data: LabData) -> None:
        self.data = data

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("lab_entry runs its own phases")

    def _payload(self) -> dict[str, Any]:
        return {"values": {str(pk): value for pk, value in self.data.parameters}}

    async def _phase(self, ctx: Context, requests: int, think_s: float) -> dict[str, Any]:
        # Each technician takes every 10th of what is left, so no two enter one test.
        start, self.taken = self.taken, self.taken + requests
        if self.taken > len(self.data.worklist):
            raise RequestFailed(
                f"the worklist holds {len(self.data.worklist)} tests; {self.taken} needed"
            )
        mine = [shares(self.data.worklist, start, requests, k) for k in range(TECHNICIANS)]
        kinds = Kinds()

        async def setup(client: BenchClient, index: int) -> None:
            await client.sign_in(TECHNICIAN.format(index + 1), ctx.password)

        async def step(client: BenchClient, index: int, iteration: int) -> float:
            test = mine[index][iteration]
            started = time.perf_counter()
            response = await client.post_json(ENTRY_PATH.format(test=test), self._payload())
            seconds = time.perf_counter() - started
            if response.status_code != 200:
                raise RequestFailed(
                    f"enter {test}: HTTP {response.status_code} {response.text[:200]}"
                )
            kinds.ok("enter_20", seconds)
            return seconds

        plan = LoadPlan(TECHNICIANS, TECHNICIANS * (requests // TECHNICIANS), 0, think_s=think_s)
        result = await run_load(ctx.base_url, plan, step, ctx.deadline, setup=setup, cpu=ctx.cpu)
        result["by_kind"] = kinds.summary()
        return result

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.data.worklist or not self.data.parameters:
            raise RequestFailed("no generated lab data (see bench/database.py)")
        paced = await self._phase(ctx, ctx.paced_requests, ctx.think_s)
        closed = await self._phase(ctx, ctx.requests, 0.0)
        entry = summarise(self.description, closed, paced, ctx)
        entry["paced"]["people"] = TECHNICIANS
        entry["data"] = self.data.sizes
        return entry


class LabResults(Scenario):
    name = "lab_results"
    description = (
        "the demo clinic's doctors (doc001…doc004) reading patients with ten years of monthly "
        "results, in turn: GET /lab/patients/{id}/trends/{code}/ (a parameter's trend) and GET "
        "/lab/patients/{id}/results/ (the chart's Results section); "
        f"{READERS} doctors paced, then closed loop; latency per kind of page"
    )
    paced = False  # its own phases: per kind of page

    def __init__(self) -> None:
        self.data = LabData()

    def use(self, data: LabData) -> None:
        self.data = data

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("lab_results runs its own phases")

    async def _phase(
        self, ctx: Context, people: int, requests: int, think_s: float
    ) -> dict[str, Any]:
        kinds = Kinds()
        rng = random.Random(7)

        async def setup(client: BenchClient, index: int) -> None:
            await client.sign_in(DOCTORS[index % len(DOCTORS)], ctx.password)

        async def step(client: BenchClient, index: int, iteration: int) -> float:
            patient = rng.choice(self.data.history_patients)
            kind = PAGES[iteration % len(PAGES)]
            code = rng.choice(self.data.codes)
            path = PATHS[kind].format(patient=patient, code=code)
            timed = await client.get(path)
            expect_status(timed.response, 200)
            if MARKERS[kind] not in timed.response.content:
                raise RequestFailed(f"{path}: no {kind} shown")
            kinds.ok(kind, timed.seconds)
            return timed.seconds

        plan = LoadPlan(people, requests, 0, think_s=think_s)
        if think_s == 0:  # warm the caches and connections once, uncounted
            await run_load(
                ctx.base_url, LoadPlan(people, people * 2, 0), step, ctx.deadline, setup=setup
            )
            kinds = Kinds()
        result = await run_load(ctx.base_url, plan, step, ctx.deadline, setup=setup, cpu=ctx.cpu)
        result["by_kind"] = kinds.summary()
        return result

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.data.history_patients or not self.data.codes:
            raise RequestFailed("no generated lab data (see bench/database.py)")
        closed = await self._phase(ctx, ctx.concurrency, ctx.requests, 0.0)
        paced = await self._phase(ctx, READERS, ctx.paced_requests, ctx.think_s)
        entry = summarise(self.description, closed, paced, ctx)
        entry["paced"]["people"] = READERS
        entry["data"] = self.data.sizes
        return entry
