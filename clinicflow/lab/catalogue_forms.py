"""The forms of the lab's catalogue pages: the CSV upload, a test's price and active flag,
the lab's settings and a new section."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.forms import ClinicFlowForm
from clinicflow.lab.configuration import LONGEST_ESCALATION


class CatalogueImportForm(ClinicFlowForm):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("UTF-8, with the columns of the catalogue's export."),
    )


class TestChangeForm(ClinicFlowForm):
    price = forms.DecimalField(
        label=_("Price"), min_value=Decimal(0), max_digits=10, decimal_places=2
    )
    is_active = forms.BooleanField(label=_("Offered (active)"), required=False)


class LabSettingsForm(ClinicFlowForm):
    alert_on_entry = forms.BooleanField(
        label=_("Alert critical values as soon as they are entered (not at verification)"),
        required=False,
    )
    escalate_after_minutes = forms.IntegerField(
        label=_("Escalate an unacknowledged critical value after (minutes)"),
        min_value=1,
        max_value=LONGEST_ESCALATION,
    )


class SectionForm(ClinicFlowForm):
    name = forms.CharField(label=_("New section"), max_length=80)
