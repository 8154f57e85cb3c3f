"""The ASGI handler runs the whole middleware chain and the view in one thread hop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import AsyncToSync
from asgiref.testing import ApplicationCommunicator
from django.http import HttpRequest, HttpResponse
from django.urls import path

from clinicflow.core.access import requires
from clinicflow.core.handlers import SyncChainASGIHandler

threads: dict[str, int] = {}


class RecordThread:
    """Notes the thread it runs in (put at the top of the chain)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        threads["middleware"] = threading.get_ident()
        return self.get_response(request)


@requires("site.health")
def sync_view(request: HttpRequest) -> HttpResponse:
    threads["view"] = threading.get_ident()
    return HttpResponse("sync")


@requires("site.health")
async def async_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("async")


urlpatterns = [path("sync/", sync_view), path("async/", async_view)]


async def _get(application: SyncChainASGIHandler, url: str) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    body = await communicator.receive_output(5)
    await communicator.wait(5)
    return start["status"], body["body"]


@pytest.fixture
def handler(settings) -> SyncChainASGIHandler:
    settings.ROOT_URLCONF = __name__
    settings.MIDDLEWARE = [f"{__name__}.RecordThread", *settings.MIDDLEWARE]
    threads.clear()
    return SyncChainASGIHandler()


@pytest.mark.django_db(transaction=True)
def test_the_middleware_and_the_view_run_in_one_thread_hop_off_the_event_loop(handler, monkeypatch):
    back_to_the_loop = []
    hop = AsyncToSync.__call__

    def counted(self: AsyncToSync, *args: Any, **kwargs: Any) -> Any:
        back_to_the_loop.append(self)
        return hop(self, *args, **kwargs)

    monkeypatch.setattr(AsyncToSync, "__call__", counted)
    assert asyncio.run(_get(handler, "/sync/")) == (200, b"sync")
    assert back_to_the_loop == []  # Django's own handler goes back once, at the chain's end
    assert threads["middleware"] == threads["view"]
    assert threads["view"] != threading.get_ident()  # not on the event loop


@pytest.mark.django_db(transaction=True)
def test_an_async_view_still_answers(handler):
    assert asyncio.run(_get(handler, "/async/")) == (200, b"async")
