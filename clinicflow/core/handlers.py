"""The HTTP side of the ASGI application: Django's handler, with the middleware chain run in
one thread.

Every view and middleware of ClinicFlow is synchronous. Django's ASGI handler builds its chain
around the async ``_get_response_async``, so each request went event loop → thread (the
chain) → event loop (``async_to_sync`` at the bottom of the chain) → thread again (the view).
Built as under WSGI, the chain ends in the synchronous ``_get_response`` and the whole request,
middleware and view, runs in one hop to the request's thread. An ``async def`` view still
works: ``_get_response`` runs it with ``async_to_sync``.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        chain = self._middleware_chain  # type: ignore[has-type]  # set by load_middleware
        self._middleware_chain = sync_to_async(chain, thread_sensitive=True)
