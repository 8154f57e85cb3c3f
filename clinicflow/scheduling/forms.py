"""Forms of the scheduling pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.forms import ClinicFlowForm, ClinicFlowModelForm
from clinicflow.patients.models import DocumentCategory, DocumentStatus, Patient, PatientDocument
from clinicflow.patients.uploads import read_upload
from clinicflow.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Practitioner,
    Weekday,
)
from clinicflow.scheduling.services import PRESETS, NewDocument


class AttachDocumentsForm(ClinicFlowForm):
    """Documents of the patient to attach to an appointment, and a new file to keep as one."""

    documents = forms.ModelMultipleChoiceField(
        label=_("The patient's documents"),
        queryset=PatientDocument.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    file = forms.FileField(label=_("A new file (PDF, PNG or JPEG)"), required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        choices=DocumentCategory.choices,
        initial=DocumentCategory.OTHER,
        required=False,
    )
    title = forms.CharField(label=_("Title"), max_length=150, required=False)

    def __init__(
        self, *args: Any, patient: Patient, attached_to: Appointment | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        choices = PatientDocument.objects.for_clinic(patient.clinic).filter(
            patient=patient, status=DocumentStatus.CURRENT
        )
        if attached_to is not None:  # offer only what is not attached yet
            choices = choices.exclude(appointment_links__appointment=attached_to)
        self.fields["documents"].queryset = choices  # type: ignore[attr-defined]

    def uploads(self) -> list[NewDocument]:
        """The new file as the service takes it (read here, refused if too large)."""
        upload = self.cleaned_data.get("file")
        if not upload:
            return []
        return [
            NewDocument(
                content=read_upload(upload),
                original_name=upload.name or "",
                category=self.cleaned_data["category"] or DocumentCategory.OTHER,
                title=self.cleaned_data["title"],
            )
        ]


class BookingForm(AttachDocumentsForm):
    patient = forms.UUIDField(widget=forms.HiddenInput)
    practitioner = forms.IntegerField(widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Type"), choices=AppointmentKind.choices)
    reason = forms.CharField(label=_("Reason for the visit"), max_length=200, required=False)


class PhotoForm(ClinicFlowForm):
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"))


class StatusForm(ClinicFlowForm):
    to_status = forms.ChoiceField(choices=AppointmentStatus.choices)
    reason = forms.CharField(max_length=200, required=False)
    #: Sent by the confirmation page: go ahead with a move that needs confirming.
    confirm = forms.BooleanField(required=False)


class RescheduleForm(ClinicFlowForm):
    starts_at = forms.DateTimeField()


class RuleForm(ClinicFlowForm):
    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}))
    valid_from = forms.DateField(
        label=_("Only from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_until = forms.DateField(
        label=_("Only until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class PresetForm(ClinicFlowForm):
    preset = forms.ChoiceField(
        label=_("Preset"), choices=[(key, p.name) for key, p in PRESETS.items()]
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days"), choices=Weekday.choices, coerce=int, widget=forms.CheckboxSelectMultiple
    )


class TimeOffForm(ClinicFlowForm):
    starts_at = forms.DateTimeField(
        label=_("From"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Until"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=120)


class PractitionerForm(ClinicFlowModelForm):
    specialization_name = forms.CharField(label=_("Specialization"), max_length=80)

    class Meta:
        model = Practitioner
        fields = [
            "department",
            "qualifications",
            "registration_number",
            "bio",
            "consultation_fee",
            "follow_up_fee",
            "follow_up_days",
            "slot_minutes",
            "is_active",
        ]
        widgets = {"bio": forms.Textarea(attrs={"rows": 3})}


class AppointmentFilter(ClinicFilterSet):
    day = django_filters.DateFilter(
        field_name="starts_at",
        lookup_expr="date",
        label=_("Day"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    practitioner = django_filters.ModelChoiceFilter(
        queryset=Practitioner.objects.select_related("user"),
        label=_("Doctor"),
        empty_label=_("Any doctor"),
    )
    status = django_filters.ChoiceFilter(
        choices=AppointmentStatus.choices, label=_("Status"), empty_label=_("Any status")
    )

    class Meta:
        model = Appointment
        fields: list[str] = []
