"""WebSocket routes. Each consumer is a ``PolicyConsumer`` naming its policy action."""

from django.urls import path

from clinicflow.notifications.consumers import NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi(), name="ws_notifications"),
]
