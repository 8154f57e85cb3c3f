"""What the notifications app adds to the others' registries: its pages in the sidebar."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from clinicflow.core import navigation


def register() -> None:
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
