"""The family member's visit today: token, place in the queue and the wait, kept live by the
clinic's board events (``consumers.PortalQueueConsumer`` says only "it changed"; the panel is
fetched again, through the policy, by HTMX)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from clinicflow.core.access import requires
from clinicflow.portal import access, queue
from clinicflow.portal.records import read_of

ACTION = "portal.queue"


@requires(ACTION)
def today(request: HttpRequest) -> HttpResponse:
    member = access.selected_member(request)
    if member is None:
        return redirect("core:dashboard")
    read_of(member, "queue today")
    template = "portal/today.html#panel" if getattr(request, "htmx", False) else "portal/today.html"
    return render(request, template, {"member": member, "visit": queue.today_for(member)})
