"""What a scenario is, and what every scenario is given."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import Any, ClassVar

from bench.client import BenchClient
from bench.environment import Deadline
from bench.load import LoadPlan, run_load


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

    def user_for(self, client: int, iteration: int = 0) -> str:
        """Spread the clients, and successive sign-ins of one client, over the demo users."""
        return self.users[(client + iteration * self.concurrency) % len(self.users)]


class Scenario(abc.ABC):
    """A figure of the report: one kind of request, measured under concurrent clients."""

    name: ClassVar[str]
    description: ClassVar[str]

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

        result = await run_load(ctx.base_url, self.plan(ctx), step, ctx.deadline, setup=setup)
        return {"description": self.description, **result, **self.details(ctx)}
