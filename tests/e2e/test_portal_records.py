"""The portal's record and bills at a phone's 390 px, in a real browser, for the demo patient:
every section of the record, each lab trend and bill reached from them, without a console
error, a failed request or a page wider than the phone."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser

from tests.e2e.conftest import ACTION_TIMEOUT_MS, _quiet_notification_channel
from tests.e2e.steps import sign_in
from tests.e2e.test_every_page import LOOK, PHONE, Findings, _refused, _visit

pytestmark = pytest.mark.e2e


def _links(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("links => links.map(a => a.getAttribute('href'))")


def test_the_patient_reads_every_part_of_the_record_and_the_bills_on_a_phone(
    browser: Browser, live_server, transactional_db
) -> None:
    call_command("seed_demo", "--force", "--quiet-logins")
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.route_web_socket(re.compile(r"/ws/"), _quiet_notification_channel)
    findings = Findings("patient")
    try:
        page = context.new_page()
        findings.listen(page)
        sign_in(page, "patient")
        _visit(page, findings, "/portal/records/")
        sections = _links(page, "[data-testid=records-sections] a")
        assert len(sections) >= 9
        pages = [s for s in sections if not s.endswith(".pdf")]
        pages += ["/portal/bills/"]
        for path in pages:
            _visit(page, findings, path)
            look = page.evaluate(LOOK)
            if look["overflow"] > 0:
                findings.add(f"{look['overflow']} px wider than the phone")
            for target in _refused(look["targets"], "patient"):
                findings.add(f"offers {target}")
            if path == "/portal/records/lab/":
                pages += _links(page, "[data-testid=latest-result] a")[:2]
                pages += _links(page, "[data-testid=lab-report] a")[:1]
            if path == "/portal/bills/":
                pages += _links(page, "[data-testid=invoice] a")[:1]
            if "/lab/trend/" in path:
                chart = page.locator("[data-testid=lab-trend-chart]")
                assert chart.evaluate("canvas => canvas.width") > 0
    finally:
        context.close()
    assert findings.problems == []
