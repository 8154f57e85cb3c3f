"""What the lab adds elsewhere: its charges (billing); the bench's and the collector's
dashboard cards and sidebar entries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clinicflow.core import navigation
from clinicflow.lab import charging, dashboard


def register_bench_pages() -> None:
    """The lab's day on the dashboards of the lab technician, the nurse and managers, and
    its pages in the sidebar's Lab area (each shown to whoever may open it)."""
    dashboard.register_cards()
    navigation.register(
        navigation.Entry(_("Lab dashboard"), "lab:dashboard", "bi-speedometer", "lab", 10),
        navigation.Entry(_("Collect samples"), "lab:collect_list", "bi-droplet", "lab", 20),
        navigation.Entry(_("Worklist"), "lab:worklist", "bi-list-check", "lab", 30),
        navigation.Entry(_("To verify"), "lab:to_verify", "bi-patch-check", "lab", 40),
    )


def register() -> None:
    charging.register()
    register_bench_pages()
