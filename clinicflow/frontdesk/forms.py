"""Forms of the front-desk pages."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.frontdesk.models import Priority, QueueEntry, QueueStatus
from clinicflow.frontdesk.vitals import VITALS


class WalkInForm(forms.Form):
    patient = forms.UUIDField(required=False, widget=forms.HiddenInput)
    mrn = forms.CharField(label=_("MRN (registered patient)"), max_length=20, required=False)
    name = forms.CharField(label=_("Name (not registered)"), max_length=120, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    practitioner = forms.IntegerField(label=_("Doctor"), required=False)
    priority = forms.TypedChoiceField(
        label=_("Priority"), choices=Priority.choices, coerce=int, initial=Priority.ROUTINE
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class CheckInForm(forms.Form):
    appointment = forms.UUIDField(widget=forms.HiddenInput)
    priority = forms.TypedChoiceField(
        choices=Priority.choices, coerce=int, initial=Priority.ROUTINE, required=False
    )
    #: Sent by the confirmation page: check in although far from the booked time.
    confirm = forms.BooleanField(required=False)


class MoveForm(forms.Form):
    to_status = forms.ChoiceField(choices=QueueStatus.choices)
    reason = forms.CharField(max_length=200, required=False)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)
    reason = forms.CharField(label=_("Why"), max_length=200, required=False)


class AssignForm(forms.Form):
    practitioner = forms.IntegerField(required=False)
    specialization = forms.IntegerField(required=False)


class VitalsForm(forms.Form):
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


class DeskForm(forms.Form):
    practitioner = forms.IntegerField(widget=forms.HiddenInput)
    room = forms.CharField(label=_("Room"), max_length=20, required=False)
    token_prefix = forms.CharField(label=_("Token prefix"), max_length=4, required=False)


class QueueFilter(django_filters.FilterSet):
    day = django_filters.DateFilter(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    status = django_filters.ChoiceFilter(label=_("Status"), choices=QueueStatus.choices)
    practitioner = django_filters.NumberFilter(label=_("Doctor"), widget=forms.HiddenInput)

    class Meta:
        model = QueueEntry
        fields = ["day", "status", "practitioner"]
