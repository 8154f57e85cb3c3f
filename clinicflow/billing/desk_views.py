"""The cash desk: who is waiting to pay (live), what was invoiced today, a search, the
cashier's shift; and one patient's bill, with manual charges, voids and "invoice selected".
The rules are the services'; a refusal comes back at the form and changes nothing."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clinicflow.billing import balances, charges, invoices, selectors, shifts
from clinicflow.billing.forms import (
    DepositForm,
    FloatForm,
    InvoiceSelectedForm,
    ManualChargeForm,
    RefundForm,
    SearchForm,
    VoidChargeForm,
    show_error,
)
from clinicflow.billing.models import Charge, ItemKind, Payer, PriceItem
from clinicflow.core import policy
from clinicflow.core.access import access_object, actor_of, requires
from clinicflow.core.audit.reads import record_row_read, record_rows_read
from clinicflow.core.errors import DomainError
from clinicflow.patients.models import Patient

DESK = "billing.desk"
BALANCES = "billing.balances"


@requires(DESK)
def desk(request: HttpRequest) -> HttpResponse:
    """Patients waiting to pay, newest first (reloaded by the desk's socket), today's
    invoices with what is still due on each, a search, and the cashier's shift."""
    actor = actor_of(request)
    clinic = actor.clinic
    assert clinic is not None
    waiting = selectors.waiting_to_pay(clinic)
    context: dict[str, Any] = {"waiting": waiting, "now": timezone.now()}
    if getattr(request, "htmx", False) and request.GET.get("part") == "waiting":
        record_rows_read(Patient, waiting, patient_key="patient.pk", part="billing.waiting")
        return render(request, "billing/desk.html#waiting", context)
    search = SearchForm(request.GET or None)
    found: tuple[list[Any], list[Any]] = ([], [])
    if search.is_valid() and search.cleaned_data["q"]:
        found = selectors.search(clinic, search.cleaned_data["q"])
    shift = selectors.open_shift(clinic, actor.user)
    today = list(selectors.issued_on(clinic, clinic.local_date()))
    shown = [w.patient for w in waiting] + found[0] + [i.patient for i in today + found[1]]
    record_rows_read(Patient, shown, patient_key="pk", part="billing.desk")
    context |= {
        "today": today,
        "search": search,
        "searched": bool(search.is_valid() and search.cleaned_data["q"]),
        "found_patients": found[0],
        "found_invoices": found[1],
        "shift": shift,
        "summary": shifts.summary(shift) if shift else None,
        "float_form": FloatForm(),
        "may_keep_shift": policy.allows(actor, "billing.shifts"),
    }
    return render(request, "billing/desk.html", context)


# ---------------------------------------------------------------- a patient's bill


def patient_for(request: HttpRequest, action: str, pk: Any) -> Patient:
    return access_object(actor_of(request), action, Patient.objects.all(), pk=pk)


def _manual_items(clinic: Any) -> list[tuple[str, str]]:
    rows = (
        PriceItem.objects.for_clinic(clinic)
        .filter(is_active=True, is_manual=True)
        .exclude(kind__in=[ItemKind.MEDICINE, ItemKind.LAB])
        .order_by("name")
    )
    return [(str(item.pk), item.name) for item in rows]


def _payers(clinic: Any) -> list[tuple[str, str]]:
    return [(str(p.pk), p.name) for p in Payer.objects.for_clinic(clinic).filter(is_active=True)]


def _invoice_form(clinic: Any, rows: list[Charge], data: Any = None) -> InvoiceSelectedForm:
    choices = [(str(c.pk), c.description) for c in rows]
    form = InvoiceSelectedForm(data, charges=choices, payers=_payers(clinic))
    if data is None:
        form.initial["charges"] = [pk for pk, _label in choices]
    return form


def show_bill(
    request: HttpRequest,
    patient: Patient,
    *,
    charge_form: ManualChargeForm | None = None,
    invoice_form: InvoiceSelectedForm | None = None,
    deposit_form: DepositForm | None = None,
    refund_form: RefundForm | None = None,
) -> HttpResponse:
    """The patient's bill, with any form just sent back at its errors."""
    clinic = patient.clinic
    rows = list(selectors.unbilled(clinic, patient))
    invoice_form = invoice_form or _invoice_form(clinic, rows)
    boxes = {str(box.data["value"]): box for box in invoice_form["charges"]}
    return render(
        request,
        "billing/patient.html",
        {
            "patient": patient,
            "charges": rows,
            "charge_rows": [(c, boxes.get(str(c.pk))) for c in rows],
            "invoices": list(selectors.outstanding(clinic, patient)),
            "balance": balances.of_patient(clinic, patient.pk),
            "charge_form": charge_form or ManualChargeForm(items=_manual_items(clinic)),
            "invoice_form": invoice_form,
            "void_form": VoidChargeForm(),
            "deposit_form": deposit_form or DepositForm(),
            "refund_form": refund_form or RefundForm(),
            "refunds": list(selectors.refunds_pending(clinic, patient)),
        },
    )


@requires(BALANCES)
def patient_bill(request: HttpRequest, pk: Any) -> HttpResponse:
    """A patient's unbilled charges, open invoices, balance and credit (a read, audited)."""
    patient = patient_for(request, BALANCES, pk)
    record_row_read(patient, patient_key="pk", part="billing.bill")
    return show_bill(request, patient)


@requires("billing.charges.add")
@require_POST
def add_charge(request: HttpRequest, pk: Any) -> HttpResponse:
    patient = patient_for(request, "billing.charges.add", pk)
    clinic = patient.clinic
    form = ManualChargeForm(request.POST, items=_manual_items(clinic))
    if form.is_valid():
        item = PriceItem.objects.for_clinic(clinic).get(pk=form.cleaned_data["item"])
        try:
            charges.add_manual(
                actor=actor_of(request),
                patient=patient,
                item=item,
                quantity=form.cleaned_data["quantity"],
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("%(item)s is on the bill.") % {"item": item.name})
            return redirect("billing:patient", pk=patient.pk)
    return show_bill(request, patient, charge_form=form)


@requires("billing.charges.void")
@require_POST
def void_charge(request: HttpRequest, pk: Any) -> HttpResponse:
    rows = Charge.objects.select_related("patient")
    charge = access_object(actor_of(request), "billing.charges.void", rows, pk=pk)
    form = VoidChargeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the charge is void."))
    else:
        try:
            charges.void(actor=actor_of(request), charge=charge, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The charge is void."))
    return redirect("billing:patient", pk=charge.patient_id)


@requires("billing.invoices.issue")
@require_POST
def invoice_selected(request: HttpRequest, pk: Any) -> HttpResponse:
    """Invoice the ticked charges at once (or, with "draft", keep it a draft to discount)."""
    patient = patient_for(request, "billing.invoices.issue", pk)
    clinic = patient.clinic
    form = _invoice_form(clinic, list(selectors.unbilled(clinic, patient)), request.POST)
    if form.is_valid():
        data = form.cleaned_data
        payer = Payer.objects.for_clinic(clinic).filter(pk=data["payer"] or None).first()
        make = invoices.draft if "draft" in request.POST else invoices.invoice_now
        try:
            made = make(
                actor=actor_of(request),
                patient=patient,
                charge_ids=data["charges"],
                payer=payer,
                coverage_percent=data["coverage_percent"] or None,
            )
        except DomainError as exc:
            show_error(form, exc)
        else:
            messages.success(request, _("Invoice %(number)s is made.") % {"number": made})
            return redirect("billing:invoice", pk=made.pk)
    return show_bill(request, patient, invoice_form=form)
