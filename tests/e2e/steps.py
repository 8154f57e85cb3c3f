"""Steps several browser tests take."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from clinicflow.accounts.demo import DEMO_PASSWORD

DASHBOARD_URL = re.compile(r"/dashboard/$")


def sign_in(page: Page, username: str) -> None:
    """Sign in through the form as a demo person and land on the dashboard."""
    page.goto("/accounts/login/")
    form = page.get_by_test_id("login-form")
    form.locator("[name=username]").fill(username)
    form.locator("[name=password]").fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(DASHBOARD_URL)
