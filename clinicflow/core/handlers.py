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
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
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
