from __future__ import annotations

from bench.client import BenchClient
from bench.scenarios.base import Context, Scenario


class LoginPage(Scenario):
    name = "login_page"
    description = "GET /accounts/login/ as an anonymous visitor (form and CSRF cookie checked)"

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        return (await client.open_login_page()).seconds
