"""The ASGI application: HTTP through Django, WebSockets through Channels, both behind the
same sessions, the same sign-in and the same access policy."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from clinicflow.core.handlers import SyncChainASGIHandler  # noqa: E402 - needs Django set up

django_asgi_app = SyncChainASGIHandler()

from channels.auth import AuthMiddlewareStack  # noqa: E402 - needs Django set up first
from channels.routing import ProtocolTypeRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from clinicflow.core.routing import WebSocketRouter  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(WebSocketRouter(websocket_urlpatterns))
        ),
    }
)
