"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

One browser for the whole session, a fresh context (cookies, storage) for every test, the demo
clinics and their people loaded before each test, and a screenshot in ``test-results/e2e/``
whenever a test fails.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, sync_playwright

from clinicflow.accounts.demo import load_demo

ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Clicks and navigations give up after this long (Playwright's default is 30 s): a live server
# on localhost answers in well under a second, so a longer wait only means a slower failure.
# ``expect`` keeps its own default of 5 s.
ACTION_TIMEOUT_MS = 10_000

_call_report = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep the outcome of the test's body on the item, for the ``page`` fixture's teardown."""
    report = yield
    if report.when == "call":
        item.stash[_call_report] = report
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the e2e package, closed when the package's tests are done.

    Playwright's sync API runs an asyncio event loop in the test's own thread (it switches to
    it with greenlets). While that loop exists, Django sees "a running event loop" in the
    thread and refuses every ORM call from it with SynchronousOnlyOperation — including the
    fixtures that load the demo and pytest-django's database flush between tests. Our ORM
    calls really are synchronous and never run on that loop, so the guard is a false alarm
    here; it is lifted for exactly as long as the loop lives, and the loop ends with the
    package, so the rest of the suite (and the servers it starts) keeps the guard.
    """
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


def _quiet_notification_channel(websocket: WebSocketRoute) -> None:
    """Stand in for the server end of the notification WebSocket: accept it, send nothing."""


@pytest.fixture
def clinic_day(transactional_db) -> None:
    """The demo clinics and a person for every role, as a clinic's morning begins."""
    load_demo()


@pytest.fixture
def context(browser: Browser, live_server, clinic_day) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    # The live server speaks WSGI only; the notifications channel is an ASGI WebSocket
    # (channels). Without a stand-in, every page would retry a refused handshake in a loop and
    # log it as a console error.
    context.route_web_socket(re.compile(r"/ws/notifications/$"), _quiet_notification_channel)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    yield page
    report = request.node.stash.get(_call_report, None)
    if report is not None and report.failed:
        folder = Path(request.config.rootpath) / "test-results" / "e2e"
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.\[\]-]+", "_", request.node.name)
        page.screenshot(path=folder / f"{name}.png", full_page=True)


@pytest.fixture
def asgi_server(transactional_db, settings) -> Iterator[str]:
    """uvicorn serving pages *and* WebSockets on the test database (pytest-django's live server
    speaks WSGI only), with the demo clinic loaded: its people, doctors, rooms and token board.
    One uvicorn process, so the in-memory channel layer works; with ``REDIS_URL`` set the
    server uses the Redis layer. Yields the server's base URL."""
    from clinicflow.accounts.models import User
    from clinicflow.frontdesk.demo import load_demo_desks
    from clinicflow.scheduling.demo import load_demo_schedules
    from tests.servers import uvicorn

    # The server checks passwords with the configured hashers, not the suite's fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    load_demo()
    manager = User.objects.get(username="manager")
    load_demo_schedules(manager=manager)
    load_demo_desks(manager=manager)
    with uvicorn() as base_url:
        yield base_url


@pytest.fixture
def asgi_page(browser: Browser, asgi_server: str, request: pytest.FixtureRequest):
    """Open a page in a fresh browser context (its own cookies: one person each) against the
    ASGI server, with Playwright's context ``options`` (a phone's viewport...); every context
    is closed after the test, with a screenshot of each page when the test failed."""
    contexts: list[BrowserContext] = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context(base_url=asgi_server, locale="en-GB", **options)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    report = request.node.stash.get(_call_report, None)
    for number, context in enumerate(contexts):
        if report is not None and report.failed:
            folder = Path(request.config.rootpath) / "test-results" / "e2e"
            folder.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^\w.\[\]-]+", "_", request.node.name)
            for page in context.pages:
                page.screenshot(path=folder / f"{name}-{number}.png", full_page=True)
        context.close()
