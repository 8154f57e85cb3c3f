"""The lab's lists: orders waiting for their samples (the nurse's and the collector's), the
collection of one order's samples with their labels, and the bench's worklist (to receive, to
result, to verify) with a search box a barcode scanner types into. Every list naming patients
is one audited read; each is read in a bounded number of queries, most urgent first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.reads import record_rows_read
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import run_and_report
from clinicflow.lab import samples, worklists
from clinicflow.lab.entry_forms import CollectForm, RejectForm, show_error
from clinicflow.lab.entry_views import back_to
from clinicflow.lab.models import LabOrder, LabSection, OrderedTest, Sample
from clinicflow.lab.views import audit_read

COLLECT = "lab.collect"
WORK = "lab.work"
#: A list shows the most urgent this many; the rest follow as these are done.
SHOWN = 200


def label_url(sample: Sample) -> str | None:
    """The sample's printable label, when the label page is installed."""
    try:
        return reverse("lab:sample_label", args=[sample.pk])
    except NoReverseMatch:
        return None


# ---------------------------------------------------------------- collection


@requires(COLLECT)
def collect_list(request: HttpRequest) -> HttpResponse:
    """Orders with tests waiting for a sample: STAT first, then urgent, then routine; oldest
    first within each."""
    actor = actor_of(request)
    rows = list(worklists.orders_to_collect(actor.clinic)[:SHOWN])
    record_rows_read(LabOrder, rows, patient_key="patient_id", part="lab orders to collect")
    return render(request, "lab/collect_list.html", {"rows": rows, "more": len(rows) == SHOWN})


def _waiting(order: LabOrder) -> QuerySet[OrderedTest]:
    return worklists.tests_to_collect(order.clinic_id).filter(order=order).select_related("test")


@requires(COLLECT)
def collect(request: HttpRequest, pk: Any) -> HttpResponse:
    """Take the samples of one order: which tests (all waiting, unless unticked) and when the
    sample was taken (now, unless the collector says otherwise); then print each label."""
    actor = actor_of(request)
    order: LabOrder = access_object(
        actor, COLLECT, LabOrder.objects.select_related("patient", "clinic"), pk=pk
    )
    waiting = _waiting(order).order_by("pk")
    form = CollectForm(
        request.POST if request.method == "POST" else None,
        waiting=waiting,
        zone=order.clinic.zone,
    )
    if request.method == "POST" and form.is_valid():
        try:
            taken = samples.collect(
                actor=actor,
                order=order,
                collected_at=form.taken_at(),
                tests=list(form.cleaned_data["tests"]),
            )
        except DomainError as refused:
            show_error(form, refused)
        else:
            messages.success(
                request,
                _("Collected: %(samples)s. Print a label for each.")
                % {"samples": ", ".join(s.accession for s in taken)},
            )
            return redirect("lab:collect", pk=order.pk)
    audit_read(order, order.patient_id, "lab collection")
    taken_samples = [
        (sample, label_url(sample))
        for sample in Sample.objects.for_clinic(order.clinic_id)
        .filter(order=order)
        .prefetch_related("tests__test")
        .order_by("-recorded_at", "-pk")
    ]
    return render(
        request,
        "lab/collect.html",
        {
            "order": order,
            "patient": order.patient,
            "form": form,
            "has_waiting": waiting.exists(),
            "samples": taken_samples,
        },
    )


# ---------------------------------------------------------------- the bench


def _stage(value: str) -> str:
    return value if value in dict(worklists.Stage.CHOICES) else worklists.Stage.ALL


def _search(rows: QuerySet[OrderedTest], words: str) -> QuerySet[OrderedTest]:
    for word in words.split():
        rows = rows.filter(
            Q(sample__accession__iexact=word)
            | Q(order__number__iexact=word)
            | Q(order__patient__mrn__iexact=word)
            | Q(order__patient__given_name__icontains=word)
            | Q(order__patient__family_name__icontains=word)
            | Q(test__name__icontains=word)
        )
    return rows


def _worklist(request: HttpRequest, default_stage: str, template: str) -> HttpResponse:
    actor = actor_of(request)
    clinic = actor.clinic
    words = request.GET.get("q", "").strip()
    if words:
        scanned = Sample.objects.for_clinic(clinic).filter(accession__iexact=words).first()
        if scanned is not None:
            return redirect("lab:sample_entry", pk=scanned.pk)
    stage = _stage(request.GET.get("stage", default_stage))
    sections = list(LabSection.objects.for_clinic(clinic))
    section = next((s for s in sections if str(s.pk) == request.GET.get("section")), None)
    rows_qs = worklists.bench(clinic, stage, section)
    if words:
        rows_qs = _search(rows_qs, words)
    rows = list(rows_qs[:SHOWN])
    record_rows_read(
        OrderedTest,
        rows,
        patient_key=lambda t: t.order.patient_id,
        part="lab worklist",
        filters={"stage": stage, "section": section.name if section else "", "q": words},
    )
    return render(
        request,
        template,
        {
            "rows": rows,
            "more": len(rows) == SHOWN,
            "stages": worklists.Stage.CHOICES,
            "stage": stage,
            "sections": sections,
            "section": section,
            "q": words,
            "reject_form": RejectForm(),
            "here": request.get_full_path(),
        },
    )


@requires(WORK)
def worklist(request: HttpRequest) -> HttpResponse:
    """The bench: samples to receive, tests to result and to verify, by section; a scanned
    accession number opens its sample."""
    return _worklist(request, worklists.Stage.ALL, "lab/worklist.html")


@requires(WORK)
def to_verify(request: HttpRequest) -> HttpResponse:
    """Tests with every result entered, waiting for a second person."""
    return _worklist(request, worklists.Stage.VERIFY, "lab/worklist.html")


def _sample_action(
    request: HttpRequest, pk: Any, act: Callable[[Sample], Any], done: str
) -> HttpResponse:
    sample: Sample = access_object(actor_of(request), WORK, Sample.objects.all(), pk=pk)
    run_and_report(request, lambda: act(sample), done % {"sample": sample.accession})
    return redirect(back_to(request, reverse("lab:worklist")))


@requires(WORK)
@require_POST
def receive(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    return _sample_action(
        request,
        pk,
        lambda sample: samples.receive(actor=actor, sample=sample),
        _("Sample %(sample)s received."),
    )


@requires(WORK)
@require_POST
def reject(request: HttpRequest, pk: Any) -> HttpResponse:
    """Reject a sample with a reason; its tests go back to be collected."""
    actor = actor_of(request)
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose why the sample is rejected."))
        return redirect(back_to(request, reverse("lab:worklist")))
    return _sample_action(
        request,
        pk,
        lambda sample: samples.reject(
            actor=actor,
            sample=sample,
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        ),
        _("Sample %(sample)s rejected: it is to be collected again."),
    )
