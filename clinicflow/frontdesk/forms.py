"""Forms of the front-desk pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.forms import ClinicFlowForm
from clinicflow.frontdesk.models import Priority, QueueEntry, QueueStatus
from clinicflow.frontdesk.vitals import VITALS
from clinicflow.patients.forms import PatientForm
from clinicflow.patients.models import Patient, Sex


class WalkInForm(ClinicFlowForm):
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    mrn = forms.CharField(label=_("MRN (registered patient)"), max_length=20, required=False)
    name = forms.CharField(label=_("Name (not registered)"), max_length=120, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    practitioner = forms.IntegerField(label=_("Doctor"), required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.ROUTINE
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


def split_name(name: str) -> tuple[str, str]:
    """A name as typed at the desk, as given and family name: the last word is the family
    name ("Ram Bahadur Thapa" → "Ram Bahadur", "Thapa"); a single word is a given name, and
    the family name is left for the person registering to ask."""
    words = name.split()
    if len(words) < 2:
        return " ".join(words), ""
    return " ".join(words[:-1]), words[-1]


class WalkInPatientForm(PatientForm):
    """The least a walk-in's record needs, so that an emergency is registered in seconds: the
    name and phone given at the desk (carried over, editable), sex, and an age or a birth date
    (the prescribing checks go by both). The rest of the record is completed on the chart."""

    field_order = ["given_name", "family_name", "phone", "sex", "age_years", "birth_date"]

    class Meta(PatientForm.Meta):
        fields = ["given_name", "family_name", "phone", "sex", "birth_date"]

    def __init__(self, *args: Any, entry: QueueEntry, **kwargs: Any):
        given, family = split_name(entry.walk_in_name)
        # Sex starts unanswered (the record's default is "unknown"): the person registering
        # chooses, "Unknown" included, rather than leaving a default nobody looked at.
        kwargs["initial"] = {
            "given_name": given,
            "family_name": family,
            "phone": entry.walk_in_phone,
            "sex": "",
        }
        super().__init__(*args, **kwargs)
        sex = self.fields["sex"]
        sex.required = True
        sex.choices = [("", "—"), *Sex.choices]  # type: ignore[attr-defined]
        self.fields["age_years"].label = _("Age in years (an estimate will do)")
        self.fields["birth_date"].label = _("Or the birth date, if known")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        if not data.get("birth_date") and data.get("age_years") is None:
            self.add_error("age_years", _("Give an age (an estimate will do) or the birth date."))
        return data


class LinkForm(ClinicFlowForm):
    """The record a walk-in's visit joins: one offered as a likely duplicate, or an MRN."""

    patient = forms.UUIDField(required=False)
    mrn = forms.CharField(max_length=20, required=False)

    def find(self, charts: QuerySet[Patient]) -> Patient | None:
        """The chosen record among ``charts`` (those the person may open), or None."""
        if not self.is_valid():
            return None
        if self.cleaned_data["patient"]:
            return charts.filter(pk=self.cleaned_data["patient"]).first()
        mrn = self.cleaned_data["mrn"].strip().upper()
        return charts.filter(mrn=mrn).first() if mrn else None


class CheckInForm(ClinicFlowForm):
    appointment = forms.UUIDField(widget=forms.HiddenInput)
    priority = forms.TypedChoiceField(
        choices=Priority.choices, coerce=int, initial=Priority.ROUTINE, required=False
    )
    #: Sent by the confirmation page: check in although far from the booked time.
    confirm = forms.BooleanField(required=False)


class MoveForm(ClinicFlowForm):
    to_status = forms.ChoiceField(choices=QueueStatus.choices)
    reason = forms.CharField(max_length=200, required=False)


class PriorityForm(ClinicFlowForm):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    reason = forms.CharField(label=_("Why"), max_length=200, required=False)


class AssignForm(ClinicFlowForm):
    practitioner = forms.IntegerField(required=False)
    specialization = forms.IntegerField(required=False)


class VitalsForm(ClinicFlowForm):
    """One optional field per vital sign (the service checks the values)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for vital in VITALS:
            self.fields[vital.key] = forms.CharField(
                label=f"{vital.label} ({vital.shown_unit})",
                required=False,
                max_length=12,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )


class DeskForm(ClinicFlowForm):
    practitioner = forms.IntegerField(widget=forms.HiddenInput)
    room = forms.CharField(label=_("Room"), max_length=20, required=False)
    token_prefix = forms.CharField(label=_("Token prefix"), max_length=4, required=False)


class QueueFilter(ClinicFilterSet):
    day = django_filters.DateFilter(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=QueueStatus.choices)
    practitioner = django_filters.NumberFilter(label=_("Doctor"), widget=forms.HiddenInput)

    class Meta:
        model = QueueEntry
        fields = ["day", "status", "practitioner"]
