"""Forms of online booking, the medicine schedule and reviews: big fields, one task each."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.forms import ClinicFlowForm
from clinicflow.patients.models import DocumentCategory
from clinicflow.patients.uploads import read_upload
from clinicflow.scheduling.models import HOLD_MINUTES
from clinicflow.scheduling.services import NewDocument

BIG = "form-control form-control-lg"
STARS = [(n, "★" * n) for n in range(5, 0, -1)]


class BookOnlineForm(ClinicFlowForm):
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Why do you want to see the doctor?"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": BIG}),
    )
    file = forms.FileField(
        label=_("A document for the doctor (optional: PDF, PNG or JPEG)"), required=False
    )

    def uploads(self) -> list[NewDocument]:
        upload = self.cleaned_data.get("file")
        if not upload:
            return []
        return [
            NewDocument(
                content=read_upload(upload),
                original_name=upload.name or "",
                category=DocumentCategory.OTHER,
                title=str(_("Sent with an online booking")),
            )
        ]


class MoveForm(ClinicFlowForm):
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)


class CancelForm(ClinicFlowForm):
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"class": BIG}),
    )


class BookingSettingsForm(ClinicFlowForm):
    enabled = forms.BooleanField(label=_("Patients may book online"), required=False)
    days_ahead = forms.IntegerField(label=_("How far ahead (days)"), min_value=1, max_value=365)
    min_notice_hours = forms.IntegerField(
        label=_("At least this many hours before the time"), min_value=0, max_value=336
    )
    needs_confirmation = forms.BooleanField(
        label=_("The desk confirms online bookings"), required=False
    )
    change_until_hours = forms.IntegerField(
        label=_("Patients may cancel or move online until (hours before)"),
        min_value=0,
        max_value=336,
    )
    fee_paid_online = forms.BooleanField(
        label=_("Patients pay the doctor's fee online when they book"), required=False
    )
    payment_hold_minutes = forms.IntegerField(
        label=_("An unpaid booking is held for (minutes)"),
        min_value=HOLD_MINUTES[0],
        max_value=HOLD_MINUTES[1],
        required=False,  # left empty: as it was
    )


class ReviewForm(ClinicFlowForm):
    doctor_rating = forms.TypedChoiceField(
        label=_("The doctor"), choices=STARS, coerce=int, widget=forms.RadioSelect
    )
    clinic_rating = forms.TypedChoiceField(
        label=_("The clinic"), choices=STARS, coerce=int, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"class": BIG, "rows": 3}),
    )


class HideReviewForm(ClinicFlowForm):
    reason = forms.CharField(label=_("Why hide it"), max_length=200)


def first_error(form: Any) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return ""
