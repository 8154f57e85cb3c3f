"""WebSocket routes. Each consumer is a ``PolicyConsumer`` naming its policy action."""

from django.urls import path

from clinicflow.billing.consumers import BillingDeskConsumer
from clinicflow.frontdesk.consumers import BoardConsumer, QueueConsumer
from clinicflow.notifications.consumers import NotificationConsumer
from clinicflow.pharmacy.consumers import PendingConsumer
from clinicflow.portal.consumers import PortalQueueConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi(), name="ws_notifications"),
    path("ws/queue/", QueueConsumer.as_asgi(), name="ws_queue"),
    path("ws/board/<str:token>/", BoardConsumer.as_asgi(), name="ws_board"),
    path("ws/pharmacy/", PendingConsumer.as_asgi(), name="ws_pharmacy"),
    path("ws/billing/", BillingDeskConsumer.as_asgi(), name="ws_billing"),
    path("ws/portal/queue/", PortalQueueConsumer.as_asgi(), name="ws_portal_queue"),
]
