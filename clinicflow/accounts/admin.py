"""The platform admin manages people and memberships here; managers use the staff pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from clinicflow.accounts.models import Membership, User
from clinicflow.accounts.services.sessions import EndReason, end_user_sessions


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ("clinic", "role", "is_active", "status_reason")


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("username", "first_name", "last_name", "email", "is_active")
    search_fields = ("username", "first_name", "last_name", "email")
    list_filter = ("is_active",)
    fields = (
        "username",
        "first_name",
        "last_name",
        "email",
        "phone",
        "job_title",
        "is_active",
        "must_change_password",
    )
    inlines = [MembershipInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # people are deactivated, never deleted

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            end_user_sessions(obj, reason=EndReason.DEACTIVATED)
