"""A doctor's free slots for a week, as the booking screen asks for them:
``GET /api/v1/practitioners/{id}/slots/?from=<monday>&to=<sunday>``, signed in as the KTM
receptionist, over the generated appointments (``bench/database.py`` generates them)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from bench.client import BenchClient, RequestFailed, expect_status
from bench.load import LoadPlan
from bench.scenarios.base import Context, Scenario

RECEPTIONIST = "reception"
#: The weeks asked for, relative to this week: the last month and the next three.
WEEKS = range(-4, 13)


class FreeSlots(Scenario):
    name = "free_slots"
    description = (
        "GET /api/v1/practitioners/{id}/slots/?from=<monday>&to=<sunday> (JSON) by signed-in "
        "KTM receptionists, random doctor and random week from 4 weeks back to 12 ahead, over "
        "the generated appointments; any answer but 200 with a JSON list is an error"
    )
    #: Measured requests: enough for a p99.
    requests = 1000
    seed = 20_261_124

    def __init__(self) -> None:
        self.doctors: dict[str, int] = {}
        self.data: dict[str, Any] = {}
        self._rng = random.Random(self.seed)
        self._slots_returned = 0
        self._answers = 0

    def use(self, doctors: dict[str, int], data: dict[str, Any]) -> None:
        """The clinic's doctors (username → practitioner id) and the generated data's figures."""
        self.doctors = doctors
        self.data = data

    def plan(self, ctx: Context) -> LoadPlan:
        return LoadPlan(
            concurrency=ctx.concurrency,
            requests=max(ctx.requests, self.requests),
            warmup=ctx.warmup,
        )

    async def setup(self, ctx: Context, client: BenchClient, index: int) -> None:
        await client.sign_in(RECEPTIONIST, ctx.password)

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        doctor = self._rng.choice(sorted(self.doctors.values()))
        today = date.today()
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=self._rng.choice(WEEKS))
        sunday = monday + timedelta(days=6)
        timed = await client.get(
            f"/api/v1/practitioners/{doctor}/slots/?from={monday:%Y-%m-%d}&to={sunday:%Y-%m-%d}"
        )
        expect_status(timed.response, 200)
        try:
            body = timed.response.json()
        except ValueError:
            raise RequestFailed("slots answered without JSON") from None
        if not isinstance(body, list):
            raise RequestFailed("slots answered without a JSON list")
        self._answers += 1
        self._slots_returned += len(body)
        return timed.seconds

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.doctors:
            raise RequestFailed("no doctors to ask (see bench/database.py)")
        return await super().run(ctx)

    def details(self, ctx: Context) -> dict[str, Any]:
        return {
            "users": [RECEPTIONIST],
            "doctors": sorted(self.doctors),
            "weeks": f"{WEEKS.start}..{WEEKS.stop - 1} from this week",
            "mean_free_slots_per_answer": round(self._slots_returned / self._answers, 1)
            if self._answers
            else None,
            "data": self.data,
        }
