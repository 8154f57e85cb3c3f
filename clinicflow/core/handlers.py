"""The HTTP side of the ASGI application: Django's handler, with the middleware chain run in
one thread, and streamed responses read there too.

Every view and middleware of ClinicFlow is synchronous. Django's ASGI handler builds its chain
around the async ``_get_response_async``, so each request went event loop → thread (the
chain) → event loop (``async_to_sync`` at the bottom of the chain) → thread again (the view).
Built as under WSGI, the chain ends in the synchronous ``_get_response`` and the whole request,
middleware and view, runs in one hop to the request's thread. An ``async def`` view still
works: ``_get_response`` runs it with ``async_to_sync``.

A streamed response (a CSV or Excel export, a document) is written by a synchronous iterator,
which Django's handler would read whole into memory first, warning "StreamingHttpResponse must
consume synchronous iterators". Here it is read a chunk at a time on the request's thread
(where the export's database cursor lives) and sent as it comes.

A request's thread is one of a pool, taken for the request and given back after it, as a
threaded WSGI server's are: Django's handler gave each request a thread of its own, started
for it and joined by yet another thread at its end (two threads started per request, about
0.3 ms of CPU). Still one thread per request while it lasts: every hop of a request (the
chain, closing the response, each chunk of a stream) runs on it, and no two requests share
one at the same time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase

#: Idle request threads kept for the next requests (more, after a burst, are let go).
IDLE_THREADS = 32


class RequestThreads:
    """Single-thread executors, one lent to each request in flight (``asgiref``'s
    ``ThreadSensitiveContext(executor=...)`` runs all the request's thread-sensitive calls
    on it). Used from the event loop's thread only."""

    def __init__(self, keep: int = IDLE_THREADS) -> None:
        self.keep = keep
        self.idle: list[ThreadPoolExecutor] = []

    def take(self) -> ThreadPoolExecutor:
        if self.idle:
            return self.idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        # Whatever the request left running there (a view still at work when its client
        # went away) ran before Django's own last call of the request on that thread, so
        # the thread is idle once the request is over.
        if len(self.idle) < self.keep:
            self.idle.append(executor)
        else:
            executor.shutdown(wait=False)


request_threads = RequestThreads()


class SyncChainASGIHandler(ASGIHandler):
    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # refused there
            return
        executor = request_threads.take()
        try:
            # Django's own context inside this one is then a no-op: its calls run here.
            async with ThreadSensitiveContext(executor=executor):
                await super().__call__(scope, receive, send)
        finally:
            request_threads.give_back(executor)

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain = self._middleware_chain  # type: ignore[has-type]  # set by load_middleware
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)

    async def run_get_response(self, request: HttpRequest) -> HttpResponseBase:
        response: Any = await super().run_get_response(request)
        if response.streaming and not response.is_async:
            response.streaming_content = in_chunks(response.streaming_content, self.chunk_size)
        return response


def in_chunks(parts: Iterator[bytes], size: int) -> AsyncIterator[bytes]:
    """The parts of a synchronous stream, gathered into chunks of about ``size`` bytes, each
    read in one hop to the request's thread."""

    def next_chunk() -> bytes:
        chunk = bytearray()
        for part in parts:
            chunk += part
            if len(chunk) >= size:
                break
        return bytes(chunk)

    async def stream() -> AsyncIterator[bytes]:
        fetch = sync_to_async(next_chunk, thread_sensitive=True)
        while chunk := await fetch():
            yield chunk

    return stream()
