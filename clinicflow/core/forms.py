"""Forms of the core pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Clinic
from clinicflow.core.services import SETTINGS_FIELDS


class ReasonForm(forms.Form):
    """Why: deactivations, corrections, merges."""

    reason = forms.CharField(label=_("Reason"), max_length=200)


class ClinicSettingsForm(forms.ModelForm):
    class Meta:
        model = Clinic
        fields = SETTINGS_FIELDS
