"""Forms of the patient pages: they parse input; the services decide and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicflow.core.forms import ClinicFlowForm, ClinicFlowModelForm
from clinicflow.patients.models import (
    Allergy,
    AllergySeverity,
    ClinicalStatus,
    Condition,
    DocumentCategory,
    Patient,
    Sex,
)
from clinicflow.patients.search import FIRST_BIRTH_YEAR, Narrowing, age_or_year
from clinicflow.patients.services import DETAIL_FIELDS

OLDEST_AGE = 130


class FindForm(ClinicFlowForm):
    """The search box and what tells namesakes apart; all optional. The page and the API read
    their query parameters through it."""

    q = forms.CharField(label=_("Name, phone, e-mail or MRN"), required=False, max_length=200)
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", _("Any sex")), *Sex.choices], required=False
    )
    age = forms.IntegerField(
        label=_("Age or birth year"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    phone = forms.RegexField(
        label=_("Phone digits"),
        regex=r"^[\d\s()+-]*$",
        required=False,
        max_length=20,
        error_messages={"invalid": _("Only the digits of the phone number.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def clean_age(self) -> int | None:
        value: int | None = self.cleaned_data["age"]
        this_year = timezone.localdate().year
        if value is not None and value > OLDEST_AGE and not FIRST_BIRTH_YEAR <= value <= this_year:
            raise forms.ValidationError(
                _("Enter an age (0–%(oldest)s) or a year of birth (%(first)s–%(year)s).")
                % {"oldest": OLDEST_AGE, "first": FIRST_BIRTH_YEAR, "year": this_year}
            )
        return value

    def clean_phone(self) -> str:
        return "".join(ch for ch in self.cleaned_data["phone"] if ch.isdigit())

    def narrowing(self) -> Narrowing:
        data = self.cleaned_data
        age = age_or_year(data["age"]) if data.get("age") is not None else {}
        return Narrowing(sex=data.get("sex") or "", phone_digits=data.get("phone") or "", **age)


class PatientForm(ClinicFlowModelForm):
    age_years = forms.IntegerField(
        label=_("Age in years (if the birth date is not known)"),
        required=False,
        min_value=0,
        max_value=130,
    )

    class Meta:
        model = Patient
        fields = list(DETAIL_FIELDS)
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "address": forms.Textarea(attrs={"rows": 2}),
            "current_medications": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(attrs={"inputmode": "tel"}),
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name in ("phone", "emergency_contact_phone"):
            if name in self.fields:  # a shorter form (a walk-in's) may leave one out
                self.fields[name].help_text = _("With or without the country code.")

    def details(self) -> dict[str, Any]:
        """What the services take: the detail fields of this form, and the age when no birth
        date is known."""
        data = {name: self.cleaned_data[name] for name in self._meta.fields or ()}
        if self.cleaned_data.get("age_years") is not None and not data.get("birth_date"):
            data["age_years"] = self.cleaned_data["age_years"]
        return data


class AllergyForm(ClinicFlowModelForm):
    class Meta:
        model = Allergy
        fields = ["substance", "reaction", "severity"]

    severity = forms.ChoiceField(choices=AllergySeverity.choices, initial=AllergySeverity.MODERATE)


class ConditionForm(ClinicFlowModelForm):
    class Meta:
        model = Condition
        fields = ["description", "icd10_code", "onset"]


class StatusForm(ClinicFlowForm):
    status = forms.ChoiceField(choices=ClinicalStatus.choices)
    reason = forms.CharField(max_length=200, required=False)


class MergeForm(ClinicFlowForm):
    survivor = forms.CharField(
        label=_("MRN of the record to keep"), max_length=20, help_text=_("e.g. KTM-000123")
    )
    reason = forms.CharField(label=_("Why these are the same person"), max_length=200)


class DocumentForm(ClinicFlowForm):
    file = forms.FileField(label=_("File (PDF, PNG or JPEG)"))
    category = forms.ChoiceField(label=_("Category"), choices=DocumentCategory.choices)
    title = forms.CharField(label=_("Title"), max_length=150, required=False)
    document_date = forms.DateField(
        label=_("Date of the document"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
