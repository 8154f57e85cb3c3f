"""The cash desk's forms. They check the shape of what was sent; the rules (what may be
charged, how much may be paid, who approves) are the services', whose messages the views
put at the field they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.billing.configuration import SETTINGS_FIELDS
from clinicflow.billing.models import BillingSettings, InvoiceLine, ItemKind, Method, TaxCategory
from clinicflow.core.errors import DomainError
from clinicflow.core.forms import ClinicFlowForm, ClinicFlowModelForm

#: The methods the payment form offers as one-press buttons, in this order.
QUICK_METHODS = [Method.CASH, Method.CARD, Method.QR]


def show_error(form: forms.Form, error: DomainError) -> None:
    """A service's refusal at the field it names (or above the form)."""
    field = (error.field or "").split(".")[-1]
    form.add_error(field if field in form.fields else None, error.message)


class SearchForm(ClinicFlowForm):
    q = forms.CharField(
        label=_("Patient name, MRN or invoice number"), required=False, max_length=80
    )


class FloatForm(ClinicFlowForm):
    opening_float = forms.CharField(label=_("Opening float"), max_length=20, initial="0")


class ManualChargeForm(ClinicFlowForm):
    item = forms.ChoiceField(label=_("Service"))
    quantity = forms.CharField(label=_("Quantity"), max_length=10, initial="1")

    def __init__(self, *args: Any, items: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        item = self.fields["item"]
        assert isinstance(item, forms.ChoiceField)
        item.choices = [("", _("Choose a service…")), *items]


class VoidChargeForm(ClinicFlowForm):
    reason = forms.CharField(label=_("Why is it void?"), max_length=200)


class InvoiceSelectedForm(ClinicFlowForm):
    charges = forms.MultipleChoiceField(label=_("Charges"), widget=forms.CheckboxSelectMultiple)
    payer = forms.ChoiceField(label=_("Payer"), required=False)
    coverage_percent = forms.CharField(label=_("Payer covers (%)"), required=False, max_length=6)

    def __init__(
        self,
        *args: Any,
        charges: list[tuple[str, str]],
        payers: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        boxes, payer = self.fields["charges"], self.fields["payer"]
        assert isinstance(boxes, forms.MultipleChoiceField)
        assert isinstance(payer, forms.ChoiceField)
        boxes.choices = charges
        self.fields["charges"].error_messages["required"] = _("Tick the charges to invoice.")
        payer.choices = [("", _("No payer: the patient pays all")), *payers]


class DiscountForm(ClinicFlowForm):
    amount = forms.CharField(label=_("Discount"), max_length=20)
    reason = forms.CharField(label=_("Why the discount"), max_length=200, required=False)


class PaymentForm(ClinicFlowForm):
    """One tender, and an optional second one (split tender). The method of the first comes
    from the button pressed, so the cashier types the amount (or leaves what is due) and
    presses Enter for cash."""

    amount = forms.CharField(label=_("Amount"), max_length=20)
    method = forms.ChoiceField(
        label=_("Method"), choices=Method.choices, initial=Method.CASH, required=False
    )
    reference = forms.CharField(
        label=_("Slip or transaction number"), required=False, max_length=80
    )
    amount_2 = forms.CharField(label=_("Second amount"), required=False, max_length=20)
    method_2 = forms.ChoiceField(
        label=_("Second method"), choices=Method.choices, initial=Method.CARD, required=False
    )
    reference_2 = forms.CharField(
        label=_("Second slip or transaction number"), required=False, max_length=80
    )


class UseCreditForm(ClinicFlowForm):
    amount = forms.CharField(label=_("Amount from the patient's credit"), max_length=20)


class CreditNoteForm(ClinicFlowForm):
    """An amount per line of the invoice (blank: nothing off that line) and the reason."""

    reason = forms.CharField(label=_("Why the invoice is corrected"), max_length=200)

    def __init__(self, *args: Any, lines: list[InvoiceLine], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_fields = []
        for line in lines:
            name = f"line_{line.pk}"
            self.fields[name] = forms.CharField(
                label=line.description, required=False, max_length=20
            )
            self.line_fields.append((line, name))

    def line_amounts(self) -> dict[int, str]:
        return {
            line.pk: self.cleaned_data[name]
            for line, name in self.line_fields
            if self.cleaned_data.get(name)
        }


class CloseShiftForm(ClinicFlowForm):
    """A count per note or coin of the clinic's, and why the drawer differs (if it does)."""

    reason = forms.CharField(label=_("Why the count differs"), max_length=200, required=False)

    def __init__(self, *args: Any, denominations: list[Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.count_fields = []
        for value in denominations:
            key = f"{value.normalize():f}"
            name = f"count_{key.replace('.', '_')}"
            self.fields[name] = forms.IntegerField(
                label=key, required=False, min_value=0, max_value=100000
            )
            self.count_fields.append((key, name))

    def counted(self) -> dict[str, int]:
        return {key: self.cleaned_data.get(name) or 0 for key, name in self.count_fields}


class DepositForm(ClinicFlowForm):
    """Money taken in advance, held on the patient's account for later bills."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "deposit_%s")  # beside the refund form on one page
        super().__init__(*args, **kwargs)

    amount = forms.CharField(label=_("Deposit"), max_length=20)
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices, initial=Method.CASH)
    reference = forms.CharField(
        label=_("Slip or transaction number"), required=False, max_length=80
    )


class RefundForm(ClinicFlowForm):
    """Giving back the patient's credit, in cash or the way they paid."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "refund_%s")  # beside the deposit form on one page
        super().__init__(*args, **kwargs)

    amount = forms.CharField(label=_("Refund"), max_length=20)
    method = forms.ChoiceField(label=_("Method"), choices=Method.choices, initial=Method.CASH)
    reason = forms.CharField(label=_("Why the refund"), max_length=200)


class PriceItemForm(ClinicFlowForm):
    """A service added to the price list with its price from a day on."""

    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=160)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k, v) for k, v in ItemKind.choices if k != ItemKind.MEDICINE]
    )
    tax_category = forms.ChoiceField(label=_("Tax"), choices=TaxCategory.choices)
    department = forms.CharField(label=_("Department"), max_length=80, required=False)
    amount = forms.CharField(label=_("Price"), max_length=20)
    valid_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))


class NewPriceForm(ClinicFlowForm):
    amount = forms.CharField(label=_("New price"), max_length=20)
    valid_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))


class BillingSettingsForm(ClinicFlowModelForm):
    class Meta:
        model = BillingSettings
        fields = list(SETTINGS_FIELDS)
