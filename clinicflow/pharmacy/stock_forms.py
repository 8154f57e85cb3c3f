"""Forms and list filters of the stock pages and the dispensing history. The forms check the
shape of what was typed; the rules (expired lines, duplicate invoices, enough stock) are the
``stock`` services'."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from clinicflow.accounts.models import User
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.forms import ClinicFlowForm
from clinicflow.core.roles import Role
from clinicflow.pharmacy.models import (
    Dispense,
    GoodsReceipt,
    Medicine,
    MovementKind,
    StockMovement,
)
from clinicflow.scheduling.models import Practitioner

DATE = forms.DateInput(attrs={"type": "date"})


def _words(queryset: QuerySet[Any], value: str, *paths: str) -> QuerySet[Any]:
    """Rows where every typed word is found in one of the ``paths`` (case-insensitive)."""
    for word in value.split():
        match = Q()
        for path in paths:
            match |= Q(**{f"{path}__icontains": word})
        queryset = queryset.filter(match)
    return queryset


def _date_range(field: str) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """ "From" and "to" days, inclusive, in the clinic's time zone (the active one)."""
    return (
        django_filters.DateFilter(
            field_name=field, lookup_expr="date__gte", label=_("From"), widget=DATE
        ),
        django_filters.DateFilter(
            field_name=field, lookup_expr="date__lte", label=_("To"), widget=DATE
        ),
    )


# ---------------------------------------------------------------- list filters


class StockFilter(ClinicFilterSet):
    """Filters the stock list; the queryset carries ``levels.with_levels``'s annotations."""

    q = django_filters.CharFilter(label=_("Medicine"), method="by_name")
    low = django_filters.BooleanFilter(
        label=_("Low only"), method="low_only", widget=forms.CheckboxInput
    )
    expired = django_filters.BooleanFilter(
        label=_("Has expired stock"), method="has_expired", widget=forms.CheckboxInput
    )

    class Meta:
        model = Medicine
        fields: list[str] = []

    def by_name(self, queryset: QuerySet[Medicine], name: str, value: str) -> QuerySet[Medicine]:
        return _words(queryset, value, "generic_name", "brand", "drug_class")

    # The queryset carries annotations the model does not declare: typed as Any for mypy.
    def low_only(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(is_low=True) if value else queryset

    def has_expired(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        return queryset.filter(expired__gt=0) if value else queryset


class LedgerFilter(ClinicFilterSet):
    since, until = _date_range("at")
    kind = django_filters.ChoiceFilter(
        choices=MovementKind.choices, label=_("Kind"), empty_label=_("Any kind")
    )
    medicine = django_filters.CharFilter(label=_("Medicine or batch"), method="by_medicine")

    class Meta:
        model = StockMovement
        fields: list[str] = []

    def by_medicine(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _words(
            queryset,
            value,
            "batch__medicine__generic_name",
            "batch__medicine__brand",
            "batch__batch_number",
        )


class ReceiptFilter(ClinicFilterSet):
    q = django_filters.CharFilter(label=_("Supplier or invoice"), method="by_text")
    since, until = _date_range("received_at")

    class Meta:
        model = GoodsReceipt
        fields: list[str] = []

    def by_text(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _words(queryset, value, "supplier", "invoice_number")


class HistoryFilter(ClinicFilterSet):
    """The dispensing history: by day, patient (name or MRN), doctor, medicine, pharmacist."""

    since, until = _date_range("dispensed_at")
    patient = django_filters.CharFilter(label=_("Patient (name or MRN)"), method="by_patient")
    medicine = django_filters.CharFilter(label=_("Medicine"), method="by_medicine")
    doctor = django_filters.ModelChoiceFilter(
        field_name="prescription__prescriber",
        queryset=Practitioner.objects.select_related("user").order_by(
            "user__first_name", "user__last_name"
        ),
        label=_("Doctor"),
        empty_label=_("Any doctor"),
    )
    pharmacist = django_filters.ModelChoiceFilter(
        field_name="dispensed_by",
        queryset=User.objects.none(),
        label=_("Pharmacist"),
        empty_label=_("Any pharmacist"),
    )

    class Meta:
        model = Dispense
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        clinic = self.request.actor.clinic
        self.filters["pharmacist"].queryset = (
            User.objects.filter(
                memberships__clinic=clinic,
                memberships__role=Role.PHARMACIST,
            )
            .distinct()
            .order_by("first_name", "last_name")
        )
        self.filters["pharmacist"].field.label_from_instance = lambda u: u.get_full_name() or u

    def by_patient(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        text = value.strip()
        names = Q()
        for word in text.lower().split():  # ``search_name`` is kept in lower case
            names &= Q(patient__search_name__contains=word)
        return queryset.filter(Q(patient__mrn__iexact=text) | names)

    def by_medicine(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return _words(queryset, value, "medicine__generic_name", "medicine__brand")


# ---------------------------------------------------------------- goods receipt


class ReceiptForm(ClinicFlowForm):
    supplier = forms.CharField(label=_("Supplier"), max_length=120)
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=60)
    invoice_date = forms.DateField(label=_("Invoice date"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ReceiptLineForm(ClinicFlowForm):
    """One delivered batch. The medicine is typed and picked from the catalogue's list (a
    ``<datalist>`` the browser searches as one types); ``medicines`` maps each label to its
    medicine."""

    medicine = forms.CharField(
        label=_("Medicine"),
        max_length=300,
        widget=forms.TextInput(attrs={"list": "receipt-medicines", "autocomplete": "off"}),
    )
    batch_number = forms.CharField(label=_("Batch number"), max_length=60)
    expiry_date = forms.DateField(label=_("Expiry date"), widget=DATE)
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=Decimal("0.01")
    )
    cost_price = forms.DecimalField(
        label=_("Cost price"), max_digits=10, decimal_places=2, min_value=Decimal("0")
    )
    sale_price = forms.DecimalField(
        label=_("Sale price"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        help_text=_("Blank: the catalogue's price."),
    )

    def __init__(self, *args: Any, medicines: dict[str, Medicine], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.medicines = medicines

    def clean_medicine(self) -> Medicine:
        label = " ".join(self.cleaned_data["medicine"].split())
        medicine = self.medicines.get(label)
        if medicine is None:
            raise forms.ValidationError(_("Choose a medicine of the catalogue from the list."))
        return medicine

    def as_line(self) -> dict[str, Any]:
        """The line as ``stock.receive`` takes it."""
        data = dict(self.cleaned_data)
        if data.get("sale_price") is None:
            data.pop("sale_price", None)  # the service falls back to the catalogue's price
        return data


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, medicines: dict[str, Medicine], **kwargs: Any):
        self.medicines = medicines
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {"medicines": self.medicines}


LineFormSet = cast(
    type[BaseLineFormSet],
    forms.formset_factory(
        ReceiptLineForm, formset=BaseLineFormSet, extra=3, max_num=200, absolute_max=200
    ),
)
LINES_PREFIX = "lines"


def medicine_labels(medicines: QuerySet[Medicine]) -> dict[str, Medicine]:
    """Label → medicine for the picker. Labels are the medicines' names; the rare two that
    read alike are told apart by their number."""
    labels: dict[str, Medicine] = {}
    for medicine in medicines:
        label = " ".join(str(medicine).split())
        if label in labels:
            label = f"{label} #{medicine.pk}"
        labels[label] = medicine
    return labels


# ---------------------------------------------------------------- batch actions


class AdjustForm(ClinicFlowForm):
    quantity = forms.DecimalField(
        label=_("Change (+ found, − lost or damaged)"), max_digits=12, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CountForm(ClinicFlowForm):
    counted = forms.DecimalField(
        label=_("Counted on the shelf"), max_digits=12, decimal_places=2, min_value=Decimal("0")
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, initial=_("Stock count"))


class WriteOffForm(ClinicFlowForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)
