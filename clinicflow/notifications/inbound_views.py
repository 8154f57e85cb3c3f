"""The inbound-SMS webhook a gateway calls with each SMS patients send to the clinic's number:
``/notifications/inbound/<provider>/?key=<SMS_INBOUND_SECRET>&from=…&text=…``.

Public (a gateway has no session), so the shared secret in the address it was given is
checked instead (in constant time; no secret configured: the webhook does not exist). The
answer is the reply as plain text, which Sparrow sends back to the patient as an SMS."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from clinicflow.core.access import requires
from clinicflow.core.errors import DomainError
from clinicflow.notifications import inbound
from clinicflow.patients.phones import normalise_phone

#: How each gateway names the fields of an inbound SMS. Sparrow splits off the first word as
#: ``keyword`` and sends the rest as ``text``.
FIELDS = {
    "sparrow": {"sender": "from", "keyword": "keyword", "text": "text", "id": ""},
    "aakash": {"sender": "from", "keyword": "", "text": "text", "id": "id"},
}


@csrf_exempt
@requires("notifications.inbound")
@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest, provider: str) -> HttpResponse:
    secret = getattr(settings, "SMS_INBOUND_SECRET", "")
    fields = FIELDS.get(provider)
    given = request.GET.get("key", "")
    if not secret or fields is None or not hmac.compare_digest(given.encode(), secret.encode()):
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    words = [
        data.get(fields["keyword"], "") if fields["keyword"] else "",
        data.get(fields["text"], ""),
    ]
    text = " ".join(w.strip() for w in words if w.strip())
    try:
        sender = normalise_phone(data.get(fields["sender"], ""), region=settings.SMS_REGION)
    except DomainError:
        sender = ""
    if not sender or not text:
        return HttpResponseBadRequest("from and text are required", content_type="text/plain")
    row = inbound.receive(
        inbound.Received(
            provider=provider,
            sender=sender,
            text=text,
            provider_id=data.get(fields["id"], "") if fields["id"] else "",
        )
    )
    return HttpResponse(row.reply, content_type="text/plain; charset=utf-8")
