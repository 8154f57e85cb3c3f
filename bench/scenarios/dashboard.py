from __future__ import annotations

from typing import Any

from bench.client import DASHBOARD_PATH, BenchClient, RequestFailed, expect_status
from bench.scenarios.base import Context, Scenario

#: Only a signed-in page has the sign-out button.
SIGNED_IN_MARKER = b'data-testid="logout"'


class Dashboard(Scenario):
    name = "dashboard"
    description = (
        "GET /dashboard/ signed in, each client as one demo user spread across roles "
        "(sign-ins before the warm-up are not counted)"
    )

    async def setup(self, ctx: Context, client: BenchClient, index: int) -> None:
        await client.sign_in(ctx.user_for(index), ctx.password)

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        timed = await client.get(DASHBOARD_PATH)
        expect_status(timed.response, 200)
        if SIGNED_IN_MARKER not in timed.response.content:
            raise RequestFailed("dashboard rendered without the signed-in navigation")
        return timed.seconds

    def details(self, ctx: Context) -> dict[str, Any]:
        return {"users": sorted({ctx.user_for(i) for i in range(ctx.concurrency)})}
