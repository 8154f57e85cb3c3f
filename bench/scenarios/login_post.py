from __future__ import annotations

from typing import Any

from bench.client import BenchClient
from bench.load import LoadPlan
from bench.scenarios.base import Context, Scenario


class LoginPost(Scenario):
    name = "login_post"
    description = (
        "POST /accounts/login/ with a demo user's password, 302 to /dashboard/ expected "
        "(argon2 verification, session start, audit record); the GET of the form before it "
        "is not counted"
    )

    def plan(self, ctx: Context) -> LoadPlan:
        # Every sign-in hashes a password on purpose: a small count, and no warm-up.
        return LoadPlan(concurrency=ctx.concurrency, requests=ctx.logins, warmup=0)

    def paced_plan(self, ctx: Context) -> LoadPlan:
        # As many sign-ins as the closed loop's: each hashes a password.
        return LoadPlan(ctx.people, ctx.logins, warmup=0, think_s=ctx.think_s)

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        return (await client.sign_in(ctx.user_for(index, iteration), ctx.password)).seconds

    def details(self, ctx: Context) -> dict[str, Any]:
        return {"users": sorted(set(ctx.users))}
