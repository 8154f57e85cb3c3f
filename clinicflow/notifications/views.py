"""One's own notices: the list, newest first, and marking them read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from clinicflow.core.access import actor_of, requires
from clinicflow.core.lists import FilteredListView
from clinicflow.notifications import notices
from clinicflow.notifications.models import Notice

ACTION = "notifications.receive"


class NoticeListView(FilteredListView):
    """The signed-in person's notices in their current clinic (``?unread=1``: unread only)."""

    policy_action = ACTION
    model = Notice
    template_name = "notifications/notices.html"

    def base_queryset(self) -> QuerySet[Notice]:
        rows = notices.inbox(actor_of(self.request))
        if self.request.GET.get("unread"):
            rows = rows.filter(read_at__isnull=True)
        return rows

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["unread_only"] = bool(self.request.GET.get("unread"))
        return context


def _back_to_list(request: HttpRequest) -> HttpResponse:
    response = redirect("notifications:list")
    if request.POST.get("unread"):
        response["Location"] += "?unread=1"
    return response


@requires(ACTION)
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notice read; with ``open``, then follow its link (a link inside the site
    only). Someone else's notice, or a missing one, changes nothing."""
    notice = notices.mark_read(actor=actor_of(request), notice_id=pk)
    if (
        notice is not None
        and request.POST.get("open")
        and notice.url
        and url_has_allowed_host_and_scheme(notice.url, allowed_hosts=None)
    ):
        return redirect(notice.url)
    return _back_to_list(request)


@requires(ACTION)
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    notices.mark_all_read(actor=actor_of(request))
    return _back_to_list(request)
