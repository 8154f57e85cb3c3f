"""What the accounts app adds elsewhere: the staff pages in the sidebar."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clinicflow.accounts import messages
from clinicflow.core import navigation

NAVIGATION = [
    navigation.Entry(_("Staff"), "accounts:staff_list", "bi-people", "administration", 30)
]


def register() -> None:
    messages.register()
    navigation.register(*NAVIGATION)
