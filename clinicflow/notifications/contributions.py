"""What the notifications app adds to the others' registries: its pages in the sidebar, and
the patient's messaging on the chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clinicflow.core import navigation, policy
from clinicflow.notifications import email_reports, merging
from clinicflow.patients import merging as patient_merging
from clinicflow.patients import panels

if TYPE_CHECKING:
    from clinicflow.core.actor import Actor
    from clinicflow.patients.models import Patient


def messages_panel(patient: Patient, actor: Actor) -> panels.Panel | None:
    """The patient's language and SMS consent, with the way to change them, for the desk."""
    from clinicflow.notifications import messaging, preferences
    from clinicflow.notifications.models import Language

    if not policy.allows(actor, preferences.PATIENTS):
        return None
    preference = preferences.patient_preference(patient)
    if preference.language:
        language = str(Language(preference.language).label)
    else:
        clinic_language = messaging.settings_of(patient.clinic).language
        language = _("%(language)s (the clinic's)") % {"language": Language(clinic_language).label}
    return panels.Panel(
        "notifications/_patient_panel.html",
        {"patient": patient, "preference": preference, "language": language},
    )


def register() -> None:
    email_reports.register()
    patient_merging.register_mover("messages and consent", merging.move_messages)
    navigation.register(
        navigation.Entry(
            gettext_lazy("Messaging settings"),
            "notifications:settings",
            "bi-chat-left-text",
            "administration",
            64,
            covers=("notifications:templates", "notifications:template_edit"),
        ),
        navigation.Entry(
            gettext_lazy("Messages sent"), "notifications:log", "bi-envelope", "administration", 65
        ),
    )
    panels.register_panel("notifications.messages", messages_panel)
