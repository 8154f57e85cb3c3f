"""The lab's catalogue pages: the tests (searched, by section), one test with its parameters
and reference ranges, its price and active flag, the CSV import and export, and the lab's
settings with its sections. Anyone of the workforce but the pharmacy may look; the lab's
manager (a lab technician or a manager) changes."""

from __future__ import annotations

from itertools import groupby
from typing import Any

import django_filters
from django.contrib import messages
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import submit_and_report
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.lists import FilteredListView, stream_csv
from clinicflow.core.models import AuditAction
from clinicflow.lab import age_bands, catalogue, configuration
from clinicflow.lab.catalogue_forms import (
    CatalogueImportForm,
    LabSettingsForm,
    SectionForm,
    TestChangeForm,
)
from clinicflow.lab.models import LabSection, LabTest, PanelMember, Parameter, ReferenceRange
from clinicflow.lab.ranges import AppliedRange
from clinicflow.patients.uploads import read_upload

VIEW, MANAGE = "lab.catalogue.view", "lab.catalogue.manage"


class CatalogueFilter(ClinicFilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Search"), method="by_words")
    section = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Section"), queryset=LabSection.objects.all()
    )
    is_active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = LabTest
        fields = ["q", "section", "is_active"]

    def by_words(self, queryset: QuerySet[LabTest], name: str, value: str) -> QuerySet[LabTest]:
        for word in value.split():
            queryset = queryset.filter(
                Q(code__icontains=word) | Q(name__icontains=word) | Q(loinc__iexact=word)
            )
        return queryset


class CatalogueView(FilteredListView):
    """The tests by code, with their section, sample, turnaround, price and, for a panel, its
    members (three queries a page)."""

    policy_action = VIEW
    model = LabTest
    filterset_class = CatalogueFilter
    template_name = "lab/catalogue.html"
    page_key = "code"
    page_descending = False
    select_related = ("section",)

    def base_queryset(self) -> QuerySet[Any]:
        members = catalogue.members_in_order(self.request.actor.clinic)  # type: ignore[attr-defined]
        return (
            super()
            .base_queryset()
            .annotate(parameter_count=Count("parameters"))
            .prefetch_related(Prefetch("members", members))
        )


@requires(VIEW)
def export_catalogue(request: HttpRequest) -> StreamingHttpResponse:
    """The whole catalogue as the import reads it, streamed (the export is audited)."""
    actor = actor_of(request)
    record(
        AuditAction.EXPORT,
        object_type="lab.labtest",
        object_repr="CSV of the lab catalogue",
        changes={"format": "csv"},
    )
    name = f"lab-catalogue-{timezone.localtime().strftime('%Y%m%d-%H%M')}.csv"
    return stream_csv(name, catalogue.EXPORT_COLUMNS, catalogue.export_rows(actor.clinic))


def _band(reference: ReferenceRange) -> dict[str, Any]:
    """A range as the page reads it: who, what is normal, what is critical."""
    applied = AppliedRange.of(reference)
    critical = [
        f"< {reference.critical_low.normalize():f}" if reference.critical_low is not None else "",
        f"> {reference.critical_high.normalize():f}" if reference.critical_high is not None else "",
    ]
    return {
        "sex": reference.get_sex_display(),
        "ages": age_bands.describe(reference.age_from_days, reference.age_to_days),
        "normal": applied.display,
        "critical": " · ".join(c for c in critical if c),
    }


Group = tuple[LabTest, list[tuple[Parameter, list[dict[str, Any]]]]]


def _groups(test: LabTest) -> list[Group]:
    """What the test reports, test by test (a panel: member by member, in its order), with
    readable ranges (two queries)."""
    tests = [m.test for m in test.members.all()] if test.is_panel else [test]
    position = {t.pk: i for i, t in enumerate(tests)}
    rows = catalogue.parameters_with_ranges(test.clinic_id).filter(test_id__in=list(position))
    parameters = sorted(rows, key=lambda p: (position[p.test_id], p.order, p.pk))
    return [
        (tests[position[test_id]], [(p, [_band(r) for r in p.ranges.all()]) for p in group])
        for test_id, group in groupby(parameters, key=lambda p: p.test_id)
    ]


def _test(request: HttpRequest, pk: Any, action: str = VIEW) -> LabTest:
    clinic = actor_of(request).clinic
    rows = LabTest.objects.select_related("section").prefetch_related(
        Prefetch("members", catalogue.members_in_order(clinic)),
        Prefetch("in_panels", PanelMember.objects.for_clinic(clinic).select_related("panel")),
    )
    found: LabTest = access_object(actor_of(request), action, rows, pk=pk)
    return found


@requires(VIEW)
def lab_test_page(request: HttpRequest, pk: Any) -> HttpResponse:
    """One test: its sample, price, panels, and each parameter with unit, result type and
    reference ranges by sex and age band."""
    test = _test(request, pk)
    actor = actor_of(request)
    form = None
    if policy.allows_object(actor, MANAGE, test):
        form = TestChangeForm(initial={"price": test.price, "is_active": test.is_active})
    return render(
        request,
        "lab/catalogue_test.html",
        {"test": test, "groups": _groups(test), "form": form},
    )


@requires(MANAGE)
@require_POST
def change_test(request: HttpRequest, pk: Any) -> HttpResponse:
    test = _test(request, pk, MANAGE)
    submit_and_report(
        request,
        TestChangeForm(request.POST),
        lambda data: catalogue.change_test(actor=actor_of(request), test=test, **data),
        _("%(name)s is saved.") % {"name": test.name},
    )
    return redirect("lab:catalogue_test", pk=test.pk)


@requires(MANAGE)
def import_catalogue(request: HttpRequest) -> HttpResponse:
    """Upload the catalogue's CSV: every row is checked first; one error imports nothing and
    the report names its row, its column and what is wrong."""
    form = CatalogueImportForm(request.POST or None, request.FILES or None)
    report: list[Any] = []
    if request.method == "POST" and form.is_valid():
        try:
            content = read_upload(form.cleaned_data["file"])
            summary = catalogue.import_csv(actor=actor_of(request), content=content)
        except catalogue.ImportRefused as exc:
            messages.error(request, exc.message)
            report = exc.errors
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(
                request,
                _("Imported: %(added)d added, %(updated)d updated, %(unchanged)d unchanged.")
                % summary.__dict__,
            )
            return redirect("lab:catalogue")
    return render(request, "lab/catalogue_import.html", {"form": form, "report": report})


@requires(MANAGE)
def lab_settings(request: HttpRequest) -> HttpResponse:
    """How critical values are alerted, and the lab's sections."""
    actor = actor_of(request)
    current = configuration.settings_of(actor.clinic)
    form = LabSettingsForm(
        request.POST or None,
        initial={
            "alert_on_entry": current.alert_on_entry,
            "escalate_after_minutes": current.escalate_after_minutes,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            configuration.update_settings(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The lab settings were saved."))
            return redirect("lab:settings")
    sections = LabSection.objects.for_clinic(actor.clinic).annotate(test_count=Count("tests"))
    return render(
        request,
        "lab/settings.html",
        {"form": form, "sections": sections, "section_form": SectionForm()},
    )


@requires(MANAGE)
@require_POST
def add_section(request: HttpRequest) -> HttpResponse:
    form = SectionForm(request.POST)
    submit_and_report(
        request,
        form,
        lambda data: catalogue.add_section(actor=actor_of(request), name=data["name"]),
        _("The section is added."),
    )
    return redirect("lab:settings")
