"""The platform admin's site: clinics and their staff limits; the audit trail read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clinicflow.accounts.models import StaffLimit
from clinicflow.core.models import AuditEvent, Clinic

admin.site.site_header = "ClinicFlow platform"
admin.site.site_title = "ClinicFlow platform"


class StaffLimitInline(admin.TabularInline):
    model = StaffLimit
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "timezone", "currency", "is_active")
    search_fields = ("name", "code")
    list_filter = ("is_active",)
    inlines = [StaffLimitInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # clinics are deactivated, never deleted


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("occurred_at", "clinic", "actor_label", "action", "object_type", "object_repr")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_id", "object_repr", "request_id")

    def get_queryset(self, request: HttpRequest) -> Any:
        # The platform admin reads every clinic's trail.
        return AuditEvent.objects.all_clinics().select_related("clinic")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
