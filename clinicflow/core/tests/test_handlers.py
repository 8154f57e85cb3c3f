"""The ASGI handler runs the whole middleware chain and the view in one thread hop, and streams
a synchronous download chunk by chunk from that thread."""

from __future__ import annotations

import asyncio
import io
import threading
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import AsyncToSync
from asgiref.testing import ApplicationCommunicator
from django.http import FileResponse, HttpRequest, HttpResponse, StreamingHttpResponse
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


#: A download larger than one chunk of the handler (64 KiB), in small parts.
PARTS = [f"{n:05d},{'x' * 94}\n".encode() for n in range(2000)]


@requires("site.health")
def streamed_view(request: HttpRequest) -> StreamingHttpResponse:
    threads["view"] = threading.get_ident()

    def parts() -> Iterator[bytes]:
        for part in PARTS:
            threads.setdefault("parts", set()).add(threading.get_ident())  # type: ignore[union-attr]
            yield part

    return StreamingHttpResponse(parts())


@requires("site.health")
def file_view(request: HttpRequest) -> FileResponse:
    return FileResponse(io.BytesIO(b"".join(PARTS)), as_attachment=True, filename="a.csv")


#: Two requests that must be in their views at the same moment (each waits for the other).
together = threading.Barrier(2, timeout=10)


@requires("site.health")
def meeting_view(request: HttpRequest) -> HttpResponse:
    together.wait()
    return HttpResponse(str(threading.get_ident()))


urlpatterns = [
    path("sync/", sync_view),
    path("meet/", meeting_view),
    path("async/", async_view),
    path("streamed/", streamed_view),
    path("file/", file_view),
]


async def _get(application: SyncChainASGIHandler, url: str) -> tuple[int, bytes]:
    status, _headers, bodies = await _download(application, url)
    return status, b"".join(bodies)


async def _download(
    application: Any, url: str, headers: list[tuple[bytes, bytes]] | None = None
) -> tuple[int, dict[bytes, bytes], list[bytes]]:
    """Status, headers and each body message of a GET over ASGI."""
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
        "headers": [(b"host", b"testserver"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await communicator.receive_output(5)
    bodies = []
    while True:
        message = await communicator.receive_output(5)
        bodies.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    await communicator.wait(5)
    return start["status"], dict(start["headers"]), [b for b in bodies if b]


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
def test_a_request_runs_on_a_thread_an_earlier_request_gave_back(handler):
    """No thread started (and joined) for each request: the next takes an idle one."""
    asyncio.run(_get(handler, "/sync/"))
    first = threads["view"]
    started = []
    start = threading.Thread.start

    def counted(self: threading.Thread) -> None:
        started.append(self)
        start(self)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(threading.Thread, "start", counted)
        assert asyncio.run(_get(handler, "/sync/")) == (200, b"sync")
    assert threads["view"] == first
    assert threads["middleware"] == first
    assert started == []


@pytest.mark.django_db(transaction=True)
def test_requests_at_the_same_time_run_on_threads_of_their_own(handler):
    """Each request in flight has its thread to itself: two that wait for each other in
    their views both get there (sharing one thread, the second would wait for the first)."""

    async def both() -> list[tuple[int, bytes]]:
        return list(await asyncio.gather(_get(handler, "/meet/"), _get(handler, "/meet/")))

    together.reset()
    answers = asyncio.run(both())
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] != answers[1][1]  # two threads


@pytest.mark.django_db(transaction=True)
def test_an_async_view_still_answers(handler):
    assert asyncio.run(_get(handler, "/async/")) == (200, b"async")


def _without_sync_stream_warning(download: Any) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = asyncio.run(download)
    assert not [w for w in caught if "synchronous iterators" in str(w.message)]
    return result


@pytest.mark.django_db(transaction=True)
def test_a_streamed_download_is_sent_chunk_by_chunk_from_the_views_thread(handler):
    status, _headers, bodies = _without_sync_stream_warning(_download(handler, "/streamed/"))
    assert status == 200
    assert b"".join(bodies) == b"".join(PARTS)
    assert len(bodies) > 1  # sent as it was read, not gathered whole first
    assert threads["parts"] == {threads["view"]}  # where the view's database cursor lives


@pytest.mark.django_db(transaction=True)
def test_a_file_download_streams_too(handler):
    status, headers, bodies = _without_sync_stream_warning(_download(handler, "/file/"))
    assert status == 200
    assert headers[b"Content-Disposition"] == b'attachment; filename="a.csv"'
    assert b"".join(bodies) == b"".join(PARTS)


@pytest.mark.django_db(transaction=True)
def test_an_excel_export_streams_under_asgi_and_opens(manager, sign_in):
    from django.conf import settings
    from openpyxl import load_workbook

    from config.asgi import application

    session = sign_in(manager).cookies[settings.SESSION_COOKIE_NAME].value
    cookie = (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode())
    status, headers, bodies = _without_sync_stream_warning(
        _download(application, "/audit/export.xlsx", [cookie])
    )
    assert status == 200
    assert headers[b"Cache-Control"] == b"private, no-store"
    rows = list(load_workbook(io.BytesIO(b"".join(bodies))).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("Time (UTC)", "Sequence")
    assert len(rows) > 1  # the sign-in, at least
