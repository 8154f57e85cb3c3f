"""Pharmacy pages: the pending prescriptions, and the catalogue with its CSV import and export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import django_filters
from django import forms
from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.forms import ClinicFlowForm
from clinicflow.core.lists import Column, ExportView, FilteredListView
from clinicflow.patients.uploads import read_upload
from clinicflow.pharmacy import catalogue, queue, selectors
from clinicflow.pharmacy.models import Medicine

#: The pending list shows the oldest this many (a pharmacy working through more has a backlog
#: the list cannot fix).
PENDING_SHOWN = 200


@requires("pharmacy.queue")
def pending(request: HttpRequest) -> HttpResponse:
    """The prescriptions waiting, oldest first. The list reloads itself (HTMX) when the
    pharmacy's WebSocket says one was issued, dispensed or cancelled."""
    actor = actor_of(request)
    assert actor.clinic is not None
    rows = list(queue.pending(actor.clinic)[:PENDING_SHOWN])
    context = {"rows": rows, "now": timezone.now(), "more": len(rows) == PENDING_SHOWN}
    if getattr(request, "htmx", False):
        return render(request, "pharmacy/queue.html#live", context)
    return render(request, "pharmacy/queue.html", context)


class CatalogueFilter(ClinicFilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Search"), method="by_name")
    is_active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = Medicine
        fields = ["q", "is_active"]

    def by_name(self, queryset: QuerySet[Medicine], name: str, value: str) -> QuerySet[Medicine]:
        for word in value.split():
            queryset = queryset.filter(
                Q(generic_name__icontains=word)
                | Q(brand__icontains=word)
                | Q(drug_class__icontains=word)
            )
        return queryset


class CatalogueView(FilteredListView):
    policy_action = "pharmacy.catalogue.view"
    model = Medicine
    filterset_class = CatalogueFilter
    template_name = "pharmacy/catalogue.html"
    page_key = "pk"
    page_descending = False


def _cell_of(index: int) -> Callable[[Medicine], Any]:
    return lambda medicine: catalogue.row_of(medicine)[index]


class CatalogueExportView(ExportView):
    policy_action = "pharmacy.catalogue.view"
    model = Medicine
    filterset_class = CatalogueFilter
    filename = "medicines"
    page_key = "pk"
    page_descending = False
    columns: ClassVar[list[Column]] = [
        Column(name, _cell_of(i)) for i, name in enumerate(catalogue.COLUMNS)
    ]


class ImportForm(ClinicFlowForm):
    file = forms.FileField(label=gettext_lazy("CSV file"))


@requires("pharmacy.catalogue.manage")
def import_catalogue(request: HttpRequest) -> HttpResponse:
    """Upload a CSV: every row is checked; one bad row imports nothing and the report says
    which row, which field and what is wrong."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            content = read_upload(form.cleaned_data["file"])
            added, updated = catalogue.import_csv(actor=actor_of(request), content=content)
        except catalogue.ImportRefused as exc:
            messages.error(request, exc.message)
            report = exc.errors
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _("Imported: %(added)d added, %(updated)d updated.")
                % {"added": added, "updated": updated},
            )
            return redirect("pharmacy:catalogue")
    return render(request, "pharmacy/import.html", {"form": form, "report": report})


@requires("pharmacy.catalogue.view")
def medicine_options(request: HttpRequest) -> HttpResponse:
    """The prescriber's picker: catalogue medicines matching what is typed (HTMX fragment)."""
    actor = actor_of(request)
    rows = selectors.search(actor.clinic, request.GET.get("medicine_name", ""))
    return render(request, "pharmacy/_medicine_options.html", {"rows": rows})
