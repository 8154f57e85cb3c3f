"""The forms of the notifications pages: the clinic's messaging settings, a message's text."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.forms import ClinicFlowForm
from clinicflow.notifications.models import Channel, Language

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
