"""The platform admin's site: clinics and their staff limits; the audit trail read-only."""

from __future__ import annotations

from typing import Any

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinicflow.accounts.models import StaffLimit
from clinicflow.core.models import AuditEvent, Clinic

# Second factors, lockouts and Django's groups are managed through the audited staff
# services, never edited raw here (a TOTP secret shown here could clone anyone's factor).
for _model in (TOTPDevice, AccessAttempt, AccessFailureLog, AccessLog, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

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
