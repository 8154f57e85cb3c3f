"""``portal``: patients reading their own long record in the portal (``generate_portal_history``:
50 accounts, each its own record's, with ten years of history: 200 visits, 1,000 released lab
results, bills and appointments).

Each client signs in as its own account (``benchportal01``…) and goes round the pages a
patient opens, starting at a different one: the portal's home (``/dashboard/``, the patient
role's home), the record's sections (``/portal/records/``), visits, lab reports (with the
latest value of each test), prescriptions and bills. A closed loop (``--concurrency``
clients, after an uncounted warm-up), then 50 people paced (``--think-ms`` between pages),
then each page alone (one client, one request at a time: the server's CPU per request of that
page alone); latency per page in each phase."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.client import DASHBOARD_PATH, BenchClient, RequestFailed, expect_status
from bench.load import LoadPlan, run_load
from bench.scenarios.base import Context, Scenario
from bench.scenarios.billing_counter import Kinds, summarise

#: The generated accounts (``generate_portal_history``): benchportal01…
USERNAME = "benchportal{:02d}"
ACCOUNTS = 50
#: People reading at once in the paced phase.
PEOPLE = 50
#: Each page, and what it must show for this history (a row of its list).
PAGES: dict[str, tuple[str, bytes]] = {
    "home": (DASHBOARD_PATH, b'data-testid="selected-member"'),
    "records": ("/portal/records/", b'href="/portal/records/visits/"'),
    "visits": ("/portal/records/visits/", b'data-testid="visit"'),
    "lab": ("/portal/records/lab/", b'data-testid="lab-report"'),
    "prescriptions": ("/portal/records/prescriptions/", b'data-testid="prescription"'),
    "bills": ("/portal/bills/", b'data-testid="invoice"'),
}
KINDS = tuple(PAGES)
#: Requests of each page in the alone phase.
ALONE = 30


@dataclass
class PortalData:
    """What the generator made that the scenario reads: the accounts and the sizes."""

    accounts: int = 0
    sizes: dict[str, Any] = field(default_factory=dict)


class Portal(Scenario):
    name = "portal"
    description = (
        f"patients ({USERNAME.format(1)}…, each signed in as its own record's account, ten "
        "years of history each) going round the portal's home (/dashboard/) and records pages "
        "(/portal/records/, visits, lab, prescriptions, bills); closed loop, then "
        f"{PEOPLE} people paced, then each page alone; latency per page"
    )
    paced = False  # its own phases: per page

    def __init__(self) -> None:
        self.data = PortalData()

    def use(self, data: PortalData) -> None:
        self.data = data

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("portal runs its own phases")

    def _username(self, index: int) -> str:
        return USERNAME.format(index % self.data.accounts + 1)

    async def _get(self, client: BenchClient, kind: str, kinds: Kinds) -> float:
        path, marker = PAGES[kind]
        timed = await client.get(path)
        expect_status(timed.response, 200)
        if marker not in timed.response.content:
            raise RequestFailed(f"{path}: the generated history is not shown")
        kinds.ok(kind, timed.seconds)
        return timed.seconds

    async def _phase(
        self, ctx: Context, people: int, requests: int, think_s: float, warmup: int
    ) -> dict[str, Any]:
        kinds = Kinds()
        counting = {"on": False}
        warming = Kinds()

        async def setup(client: BenchClient, index: int) -> None:
            await client.sign_in(self._username(index), ctx.password)

        async def step(client: BenchClient, index: int, iteration: int) -> float:
            kind = KINDS[(index + iteration) % len(KINDS)]
            return await self._get(client, kind, kinds if counting["on"] else warming)

        if warmup:
            await run_load(
                ctx.base_url, LoadPlan(people, warmup, 0), step, ctx.deadline, setup=setup
            )
        counting["on"] = True
        plan = LoadPlan(people, requests, 0, think_s=think_s)
        result = await run_load(ctx.base_url, plan, step, ctx.deadline, setup=setup, cpu=ctx.cpu)
        result["by_kind"] = kinds.summary()
        return result

    async def _alone(self, ctx: Context, kind: str) -> dict[str, Any]:
        """One page from one client, one request at a time: its latency before any queueing
        and the server's CPU per request of that page alone."""
        kinds = Kinds()

        async def setup(client: BenchClient, index: int) -> None:
            await client.sign_in(self._username(index), ctx.password)

        async def step(client: BenchClient, index: int, iteration: int) -> float:
            return await self._get(client, kind, kinds)

        result = await run_load(
            ctx.base_url, LoadPlan(1, ALONE, 3), step, ctx.deadline, setup=setup, cpu=ctx.cpu
        )
        return {
            **kinds.summary().get(kind, {}),
            "errors": result["errors"],
            "cpu_ms_per_request": result.get("cpu_ms_per_request"),
        }

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.data.accounts:
            raise RequestFailed("no generated portal history (see bench/database.py)")
        # Whole rounds of the pages for every client: each page equally often.
        rounds = len(KINDS) * ctx.concurrency
        closed = await self._phase(
            ctx,
            ctx.concurrency,
            max(rounds, ctx.requests // rounds * rounds),
            0.0,
            warmup=rounds,
        )
        paced_requests = max(PEOPLE * len(KINDS) * 2, ctx.paced_requests)
        paced = await self._phase(ctx, PEOPLE, paced_requests, ctx.think_s, warmup=0)
        entry = summarise(self.description, closed, paced, ctx)
        entry["paced"]["people"] = PEOPLE
        alone = {kind: await self._alone(ctx, kind) for kind in KINDS}
        entry["alone"] = alone
        entry["errors"] += sum(page["errors"] for page in alone.values())
        entry["data"] = self.data.sizes
        return entry
