"""What a scenario is, and what every scenario is given."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from bench.client import BenchClient
from bench.environment import Deadline
from bench.load import CpuClock, LoadPlan, run_load
from bench.stats import paced_summary


@dataclass(frozen=True)
class Context:
    base_url: str
    concurrency: int
    requests: int  # measured requests of a page scenario
    warmup: int  # requests before measuring, not counted
    logins: int  # measured sign-ins (each hashes a password: kept small)
    password: str
    users: tuple[str, ...]
    deadline: Deadline
    #: The server's CPU milliseconds so far (every scenario reports CPU per request).
    cpu: CpuClock | None = None
    #: The server's resident memory (kB) now, for the streamed exports.
    rss: Callable[[], int] | None = None
    #: The paced phase: ``people`` each pausing ``think_s`` between ``paced_requests``.
    people: int = 20
    think_s: float = 0.3
    paced_requests: int = 400

    def user_for(self, client: int, iteration: int = 0) -> str:
        """Spread the clients, and successive sign-ins of one client, over the demo users."""
        return self.users[(client + iteration * self.concurrency) % len(self.users)]


class Scenario(abc.ABC):
    """A figure of the report: one kind of request, measured under concurrent clients."""

    name: ClassVar[str]
    description: ClassVar[str]
    #: Whether the scenario also runs paced (people pausing between requests) after the
    #: closed loop; the writing scenarios use up their data and say why not.
    paced: ClassVar[bool] = True

    def plan(self, ctx: Context) -> LoadPlan:
        return LoadPlan(concurrency=ctx.concurrency, requests=ctx.requests, warmup=ctx.warmup)

    async def setup(self, ctx: Context, client: BenchClient, index: int) -> None:  # noqa: B027
        """Prepare one client before the warm-up (sign in, ...); nothing by default."""

    @abc.abstractmethod
    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        """One measured unit of work; returns its seconds, raises when it fails."""

    def details(self, ctx: Context) -> dict[str, Any]:
        """Extra fields of this scenario's entry in the report."""
        return {}

    async def run(self, ctx: Context) -> dict[str, Any]:
        async def step(client: BenchClient, index: int, iteration: int) -> float:
            return await self.step(ctx, client, index, iteration)

        async def setup(client: BenchClient, index: int) -> None:
            await self.setup(ctx, client, index)

        result = await run_load(
            ctx.base_url, self.plan(ctx), step, ctx.deadline, setup=setup, cpu=ctx.cpu
        )
        if self.paced:
            result["paced"] = await self.run_paced(ctx, step, setup)
        return {"description": self.description, **result, **self.details(ctx)}

    def paced_plan(self, ctx: Context) -> LoadPlan:
        return LoadPlan(ctx.people, ctx.paced_requests, warmup=0, think_s=ctx.think_s)

    async def run_paced(self, ctx: Context, step: Any, setup: Any) -> dict[str, Any]:
        """The same requests from ``ctx.people`` people, each pausing ``ctx.think_s`` between
        requests as someone at a desk does: the latency a person feels (the closed loop, every
        client firing again the instant it is answered, measures throughput instead)."""
        plan = self.paced_plan(ctx)
        result = await run_load(ctx.base_url, plan, step, ctx.deadline, setup=setup, cpu=ctx.cpu)
        return paced_summary(result, people=plan.concurrency, think_ms=round(plan.think_s * 1000))
