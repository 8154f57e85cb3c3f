"""What the notifications app adds to the others' registries: its pages in the sidebar."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clinicflow.core import navigation
from clinicflow.notifications import email_reports, merging
from clinicflow.patients import merging as patient_merging


def register() -> None:
    email_reports.register()
    patient_merging.register_mover("messages and consent", merging.move_messages)
    navigation.register(
        navigation.Entry(
            _("Messages sent"), "notifications:log", "bi-envelope", "administration", 65
        ),
    )
