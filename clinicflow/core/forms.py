"""Forms of the core pages."""

from __future__ import annotations

from django import forms

from clinicflow.core.models import Clinic
from clinicflow.core.services import SETTINGS_FIELDS


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = SETTINGS_FIELDS
