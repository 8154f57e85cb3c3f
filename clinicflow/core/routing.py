"""WebSocket routing: Channels' URL router, with an unknown path closed like a refused socket
instead of raising (which a server answers with a 500 handshake and a traceback in its log,
for anyone, signed in or not)."""

from __future__ import annotations

from typing import Any

from channels.routing import URLRouter

#: The close code of a socket to a path no route serves ("not found", as 4403 is "refused").
NOT_FOUND = 4404


class WebSocketRouter(URLRouter):
    """The outermost router of the WebSocket routes."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if not self._serves(scope):
            await _close_not_found(receive, send)
            return
        await super().__call__(scope, receive, send)

    def _serves(self, scope: dict[str, Any]) -> bool:
        # As URLRouter matches: the path under the root path, without its leading slash.
        path: str = scope["path"]
        root = scope.get("root_path", "")
        if root and not path.startswith(root):
            return False
        path = path[len(root) :].lstrip("/")
        return any(route.pattern.match(path) for route in self.routes)


async def _close_not_found(receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] == "websocket.connect":
        await send({"type": "websocket.close", "code": NOT_FOUND})
