"""The dispensing page's forms. They check the shape of what was sent; the rules (a note for a
new warning, a reason for another batch or medicine, not more than remains) are the
services', whose messages the views put at the field they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.core.errors import DomainError
from clinicflow.core.forms import ClinicFlowForm
from clinicflow.pharmacy.offers import GROUP_LABELS, Offer


def amount(value: Decimal) -> str:
    return f"{value.normalize():f}"


def show_error(form: forms.Form, error: DomainError) -> None:
    """A service's refusal at the field it names (or above the form)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


class ReviewForm(ClinicFlowForm):
    note = forms.CharField(
        label=gettext_lazy("Pharmacist's note"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Needed when a warning is new since the doctor signed."),
    )


class CancelForm(ClinicFlowForm):
    reason = forms.CharField(label=gettext_lazy("Why is it cancelled?"), max_length=200)


class ReturnForm(ClinicFlowForm):
    quantity = forms.CharField(label=gettext_lazy("Quantity back"), max_length=20)
    reason = forms.CharField(label=gettext_lazy("Why"), max_length=200)


def _medicine_choices(offers: list[Offer], need_choice: bool) -> list[Any]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for offer in offers:
        label = _("%(medicine)s — %(available)s %(unit)s available") % {
            "medicine": offer.medicine,
            "available": amount(offer.available),
            "unit": offer.medicine.unit,
        }
        groups.setdefault(offer.group, []).append((str(offer.medicine.pk), label))
    first = [("", _("Choose what to give…"))] if need_choice else []
    return first + [(str(GROUP_LABELS[group]), rows) for group, rows in groups.items()]


def _batch_choices(offers: list[Offer]) -> list[Any]:
    choices: list[Any] = [("", _("First expiring first (automatic)"))]
    for offer in offers:
        if not offer.batches:
            continue
        rows = [
            (
                str(b.pk),
                _("%(batch)s · expires %(expiry)s · %(on_hand)s on hand")
                % {
                    "batch": b.batch_number,
                    "expiry": b.expiry_date.isoformat(),
                    "on_hand": amount(b.on_hand),
                },
            )
            for b in offer.batches
        ]
        choices.append((str(offer.medicine), rows))
    return choices


class DispenseForm(ClinicFlowForm):
    """One item: how much, which medicine, which batch, and whether it completes the item."""

    quantity = forms.CharField(label=gettext_lazy("Quantity"), max_length=20, required=False)
    medicine = forms.ChoiceField(label=gettext_lazy("Medicine"), required=False)
    substitution_reason = forms.CharField(
        label=gettext_lazy("Why another medicine"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Needed when what is given is not the product prescribed."),
    )
    batch = forms.ChoiceField(label=gettext_lazy("Batch"), required=False)
    batch_reason = forms.CharField(
        label=gettext_lazy("Why this batch"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Needed for a batch other than the first expiring."),
    )
    complete = forms.BooleanField(
        label=gettext_lazy("This completes the item (no more will be given)"), required=False
    )

    def __init__(
        self, *args: Any, offers: list[Offer], suggested: Offer | None, remaining: Decimal,
        **kwargs: Any,
    ) -> None:  # fmt: skip
        kwargs.setdefault(
            "initial",
            {
                "quantity": amount(remaining),
                "medicine": str(suggested.medicine.pk) if suggested else "",
            },
        )
        super().__init__(*args, **kwargs)
        self.offers = offers
        medicine = self.fields["medicine"]
        batch = self.fields["batch"]
        assert isinstance(medicine, forms.ChoiceField)
        assert isinstance(batch, forms.ChoiceField)
        medicine.choices = _medicine_choices(offers, need_choice=suggested is None)
        batch.choices = _batch_choices(offers)
