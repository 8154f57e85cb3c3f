"""The audit viewer: the clinic's trail, filtered, paged, exported."""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinicflow.core.filters import AuditEventFilter
from clinicflow.core.lists import Column, ExportView, FilteredListView
from clinicflow.core.models import AuditEvent


class AuditListView(FilteredListView):
    policy_action = "audit.view"
    model = AuditEvent
    filterset_class = AuditEventFilter
    template_name = "core/audit_list.html"
    page_key = "id"


class AuditExportView(ExportView):
    policy_action = "audit.export"
    model = AuditEvent
    filterset_class = AuditEventFilter
    page_key = "id"
    filename = "audit"
    columns: ClassVar[list[Column]] = [
        Column(_("Time (UTC)"), lambda e: e.occurred_at.isoformat()),
        Column(_("Sequence"), lambda e: e.seq or gettext("pending")),  # sealed within seconds
        Column(_("User"), lambda e: e.actor_label),
        Column(_("Action"), lambda e: e.action),
        Column(_("Object type"), lambda e: e.object_type),
        Column(_("Object id"), lambda e: e.object_id),
        Column(_("Object"), lambda e: e.object_repr),
        Column(_("Changes"), lambda e: e.changes),
        Column(_("IP"), lambda e: e.ip),
        Column(_("Request"), lambda e: e.request_id),
        Column(_("Hash"), lambda e: e.hash or ""),
    ]
