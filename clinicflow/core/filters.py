"""Filters of the core lists (the audit viewer)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import AuditAction, AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor_label", lookup_expr="iexact", label=_("User (username)")
    )
    action = django_filters.ChoiceFilter(
        choices=AuditAction.choices, label=_("Action"), empty_label=_("Any action")
    )
    object_type = django_filters.CharFilter(lookup_expr="iexact", label=_("Object type"))
    object_id = django_filters.CharFilter(lookup_expr="exact", label=_("Object id"))
    since = django_filters.DateFilter(
        field_name="occurred_at",
        method="filter_since",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="occurred_at",
        method="filter_until",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    # Dates are days in the clinic's time zone (the active one), not UTC days.
    def filter_since(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(occurred_at__date__gte=value)

    def filter_until(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset.filter(occurred_at__date__lte=value)
