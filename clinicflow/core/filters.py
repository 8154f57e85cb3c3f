"""Filters: the base every list filter of ClinicFlow uses, and the core lists' own (the audit
viewer)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.filters import QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend

from clinicflow.core.access import in_callers_clinic
from clinicflow.core.forms import PlainTextFields
from clinicflow.core.models import AuditAction, AuditEvent


class ClinicFilterSet(django_filters.FilterSet):
    """The base of every FilterSet: a filter that names a record by id (``?practitioner=7``,
    ``?patient=…``) chooses among the request's clinic's records only. Declared with any
    queryset (or none: the model's own rows), it is scoped here, so the scope guard never meets
    an unscoped choice, and another clinic's id is "not one of the available choices", exactly
    like a missing one. Its text filters refuse control characters, like every form's."""

    def __init__(self, data: Any = None, queryset: Any = None, **kwargs: Any):
        super().__init__(data, queryset, **kwargs)
        for choice in self.filters.values():
            if isinstance(choice, QuerySetRequestMixin):
                rows = choice.get_queryset(self.request)
                if rows is not None:
                    choice.queryset = in_callers_clinic(rows, self.request)

    def get_form_class(self) -> type[forms.Form]:
        form: type[forms.Form] = super().get_form_class()
        return type(form.__name__, (PlainTextFields, form), {})


class ClinicFilterBackend(DjangoFilterBackend):
    """DRF's filter backend on the same base: a viewset's ``filterset_fields`` build a
    ``ClinicFilterSet``, and a ``filterset_class`` must be one."""

    filterset_base = ClinicFilterSet

    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, ClinicFilterSet):
            raise ImproperlyConfigured(
                f"{filterset_class.__name__} of {type(view).__name__} must derive from "
                "ClinicFilterSet (its id filters would otherwise reach every clinic)."
            )
        return filterset_class


class AuditEventFilter(ClinicFilterSet):
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
