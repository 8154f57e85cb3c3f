"""Ordering tests: the catalogue picker (search as you type, chosen tests as chips), an order
from the doctor's open consultation, the direct lab visit reception registers for an outside
prescription, and cancelling a test before its sample is taken. The writes are
``lab.orders``'s; these views parse the form and say how it went."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.clinical.models import Encounter
from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.core.feedback import run_and_report
from clinicflow.lab import orders
from clinicflow.lab.models import LabOrder, LabTest, OrderedTest, Urgency
from clinicflow.patients.models import Patient
from clinicflow.patients.picking import choose_patient

ORDER = "lab.order"
#: Tests offered per search (type more to narrow), patients per search.
OPTIONS_LIMIT = 10
PICK_LIMIT = 20


def _ids(values: list[str]) -> list[int]:
    ids = []
    for value in values:
        if not value.strip().isdigit():
            raise DomainError(_("Choose tests from the list."), field="tests")
        if int(value) not in ids:
            ids.append(int(value))
    return ids


def chosen_tests(clinic: Any, values: list[str]) -> list[LabTest]:
    """The tests a form names, in its order; only this clinic's (one query)."""
    ids = _ids(values)
    found = {t.pk: t for t in LabTest.objects.for_clinic(clinic).filter(pk__in=ids)}
    if len(found) != len(ids):
        raise DomainError(_("Choose tests from this clinic's catalogue."), field="tests")
    return [found[pk] for pk in ids]


def _picker_context(clinic: Any, data: Any) -> dict[str, Any]:
    """The chips (tests chosen so far, with one added or removed) and the active tests whose
    code or name matches what is typed (two queries)."""
    values = [v for v in data.getlist("tests") if v != data.get("remove")]
    if data.get("add"):
        values.append(data["add"])
    try:
        chosen = chosen_tests(clinic, values)
    except DomainError:
        chosen = []
    text = data.get("q", "").strip()
    options: list[LabTest] = []
    if text:
        options = list(
            LabTest.objects.for_clinic(clinic)
            .filter(is_active=True)
            .filter(Q(code__istartswith=text) | Q(name__icontains=text))
            .exclude(pk__in=[t.pk for t in chosen])
            .order_by("name")[:OPTIONS_LIMIT]
        )
    return {"chosen": chosen, "options": options, "q": text}


@requires(ORDER)
def test_picker(request: HttpRequest) -> HttpResponse:
    """The picker's fragment (HTMX): the chips and the tests found for what is typed."""
    actor = actor_of(request)
    return render(request, "lab/_test_picker.html", _picker_context(actor.clinic, request.GET))


def _urgency(request: HttpRequest) -> str:
    return request.POST.get("urgency", Urgency.ROUTINE)


@requires(ORDER)
@require_POST
def order_from_consultation(request: HttpRequest, pk: Any) -> HttpResponse:
    """Order the chosen tests from the doctor's own open consultation."""
    actor = actor_of(request)
    # Scoped first: a person who may order but not write consultations gets a 404 too.
    encounters = Encounter.objects.for_clinic(actor.clinic).select_related("patient")
    encounter = access_object(actor, "clinical.write", encounters, pk=pk)

    def place() -> LabOrder:
        return orders.place(
            actor=actor,
            patient=encounter.patient,
            tests=chosen_tests(actor.clinic, request.POST.getlist("tests")),
            urgency=_urgency(request),
            clinical_note=request.POST.get("clinical_note", ""),
            encounter=encounter,
        )

    run_and_report(request, place, _("The tests were ordered."))
    return redirect(f"{reverse('clinical:encounter', args=[encounter.pk])}#lab-tests")


@requires(ORDER)
@require_POST
def cancel_test(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = actor_of(request)
    row: OrderedTest = access_object(
        actor, ORDER, OrderedTest.objects.select_related("order", "test"), pk=pk
    )
    run_and_report(
        request,
        lambda: orders.cancel(actor=actor, ordered_test=row, reason=request.POST.get("reason", "")),
        _("%(test)s was cancelled.") % {"test": row.test.name},
    )
    if row.order.encounter_id and policy.allows(actor, "clinical.view"):
        return redirect(f"{reverse('clinical:encounter', args=[row.order.encounter_id])}#lab-tests")
    if policy.allows(actor, "lab.view"):
        return redirect("lab:order", pk=row.order_id)
    return redirect("lab:direct_visit")


def _choose_patient(request: HttpRequest) -> HttpResponse:
    """The visit's first step: find the patient as at booking (the rows shown are an audited
    read)."""
    return choose_patient(
        request, template="lab/direct_visit.html", part="lab visit search", limit=PICK_LIMIT
    )


@requires(ORDER)
def direct_visit(request: HttpRequest) -> HttpResponse:
    """A direct lab visit: the patient, the tests of the outside prescription, its doctor's
    name, how urgent. Placed, it opens the order (for those who may read it)."""
    actor = actor_of(request)
    chosen_patient = request.GET.get("patient") or request.POST.get("patient")
    if not chosen_patient:
        return _choose_patient(request)
    patient: Patient = access_object(actor, ORDER, Patient.objects.all(), pk=chosen_patient)
    if request.method == "POST":
        try:
            order = orders.place(
                actor=actor,
                patient=patient,
                tests=chosen_tests(actor.clinic, request.POST.getlist("tests")),
                urgency=_urgency(request),
                clinical_note=request.POST.get("clinical_note", ""),
                referrer=request.POST.get("referrer", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Lab order %(number)s placed for %(patient)s.")
                % {"number": order.number, "patient": patient.full_name},
            )
            if policy.allows(actor, "lab.view"):
                return redirect("lab:order", pk=order.pk)
            return redirect("lab:direct_visit")
    picker = _picker_context(actor.clinic, request.POST) if request.method == "POST" else {}
    return render(
        request,
        "lab/direct_visit.html",
        {
            "patient": patient,
            "urgencies": Urgency.choices,
            "form": request.POST,
            "today": timezone.localdate(),
            **picker,
        },
    )
