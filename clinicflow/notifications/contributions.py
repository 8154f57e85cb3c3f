"""What the notifications app adds to the others' registries: its pages in the sidebar."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clinicflow.core import navigation
from clinicflow.notifications import email_reports


def register() -> None:
    email_reports.register()
    navigation.register(
        navigation.Entry(
            _("Messages sent"), "notifications:log", "bi-envelope", "administration", 65
        ),
    )
