"""The forms of the notifications pages: the clinic's messaging settings, a message's text, a
person's preferences (staff's own, a patient's at the desk) and a patient's SMS consent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.forms import ClinicFlowForm
from clinicflow.notifications.models import Channel, Language
from clinicflow.notifications.preferences import KindChoice

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class MessagingSettingsForm(ClinicFlowForm):
    # The ranges are the service's to check (messaging.update_settings), with its words.
    first_reminder_hours = forms.IntegerField(
        label=_("First reminder, hours before the appointment"),
        help_text=_("24: the day before, at the same time."),
    )
    second_reminder_hours = forms.IntegerField(
        label=_("Second reminder, hours before the appointment"),
        help_text=_("Fewer hours than the first; 0 for no second reminder."),
    )
    quiet_from = forms.TimeField(label=_("Quiet hours from"), widget=TIME)
    quiet_until = forms.TimeField(
        label=_("Quiet hours until"),
        widget=TIME,
        help_text=_(
            "In the clinic's time zone. Only urgent messages are sent then; others wait for "
            "the end of the quiet hours. The same time twice: no quiet hours."
        ),
    )
    language = forms.ChoiceField(
        label=_("Patients' language"),
        choices=Language.choices,
        help_text=_("For patients who have not chosen one."),
    )


class TemplateForm(ClinicFlowForm):
    """A message's text; an SMS has no subject (the field is dropped)."""

    subject = forms.CharField(label=_("Subject"), max_length=200, required=False, strip=False)
    body = forms.CharField(
        label=_("Text"),
        required=False,  # the service says what an empty text needs, with its words
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )

    def __init__(self, *args: Any, channel: str, placeholders: Sequence[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        if channel == Channel.SMS:
            del self.fields["subject"]
        else:
            self.fields["subject"].label = (
                _("Subject") if channel == Channel.EMAIL else _("Title of the notice")
            )
        self.fields["body"].help_text = _("Placeholders: %(names)s") % {
            "names": ", ".join("{" + name + "}" for name in placeholders)
        }


class PreferenceForm(ClinicFlowForm):
    """Language, channels per event kind (a kind that may not be turned off is shown, locked)
    and quiet hours."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    quiet_from = forms.TimeField(label=_("Quiet hours from"), required=False, widget=TIME)
    quiet_until = forms.TimeField(label=_("Quiet hours until"), required=False, widget=TIME)

    def __init__(
        self,
        *args: Any,
        kinds: Sequence[KindChoice],
        default_language: str,
        quiet_help: str,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        language = self.fields["language"]
        assert isinstance(language, forms.ChoiceField)
        language.choices = [("", default_language), *Language.choices]
        self.fields["quiet_until"].help_text = quiet_help
        #: field name → event kind key, for the kinds' checkboxes.
        self.kind_fields: dict[str, str] = {}
        for choice in kinds:
            name = "kind_" + choice.kind.key.replace(".", "_")
            self.kind_fields[name] = choice.kind.key
            self.fields[name] = forms.MultipleChoiceField(
                label=choice.kind.label,
                required=False,
                choices=[(c, Channel(c).label) for c in choice.possible],
                initial=list(choice.chosen),
                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
                disabled=choice.locked,
                help_text=_("Always sent: it cannot be turned off.") if choice.locked else "",
            )

    @property
    def general_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("language", "quiet_from", "quiet_until")]

    @property
    def channel_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.kind_fields]

    def channels(self) -> dict[str, list[str]]:
        """The chosen channels of each kind that may be changed."""
        return {
            key: list(self.cleaned_data.get(name) or [])
            for name, key in self.kind_fields.items()
            if not self.fields[name].disabled
        }


class SmsConsentForm(ClinicFlowForm):
    opted_in = forms.TypedChoiceField(
        coerce=lambda value: value == "1",
        choices=[("0", _("Stop SMS")), ("1", _("Send SMS again"))],
        widget=forms.HiddenInput,
    )
    evidence = forms.CharField(
        label=_("What the patient said"),
        max_length=300,
        required=False,
        help_text=_("Kept with the change, e.g. “asked at the desk to stop reminder SMS”."),
    )
