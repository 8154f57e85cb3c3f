"""The scenarios of the report, in the order they run."""

from __future__ import annotations

from bench.scenarios.base import Context, Scenario
from bench.scenarios.dashboard import Dashboard
from bench.scenarios.login_page import LoginPage
from bench.scenarios.login_post import LoginPost

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario for scenario in (LoginPage(), LoginPost(), Dashboard())
}

__all__ = ["SCENARIOS", "Context", "Scenario"]
