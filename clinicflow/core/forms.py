"""The base of every form of ClinicFlow, and the core pages' own forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.models import Clinic
from clinicflow.core.services import SETTINGS_FIELDS
from clinicflow.core.text import with_text_rule


class PlainTextFields:
    """Every text field of the form refuses control characters (:mod:`clinicflow.core.text`):
    declared, made from a model field or added in ``__init__``, since the rule is added when
    the form is cleaned. Comes first among a form's bases: through :class:`ClinicFlowForm` and
    :class:`ClinicFlowModelForm`, or beside a form of Django's own (the sign-in form)."""

    fields: dict[str, forms.Field]

    def full_clean(self) -> None:
        for field in self.fields.values():
            if isinstance(field, forms.CharField):
                field.validators = with_text_rule(field.validators)
        super().full_clean()  # type: ignore[misc]  # a mixin


class ClinicFlowForm(PlainTextFields, forms.Form):
    """The base of every plain form."""


class ClinicFlowModelForm(PlainTextFields, forms.ModelForm):
    """The base of every model form."""


class ReasonForm(ClinicFlowForm):
    """Why: deactivations, corrections, merges."""

    reason = forms.CharField(label=_("Reason"), max_length=200)


class ClinicSettingsForm(ClinicFlowModelForm):
    class Meta:
        model = Clinic
        fields = SETTINGS_FIELDS
