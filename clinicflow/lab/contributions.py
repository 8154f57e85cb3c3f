"""What the lab adds elsewhere: its charges (billing); its rows moved in a merge; the bench's
and the collector's dashboard cards and sidebar entries; its place in the doctor's and the
desk's day (the consultation's "Lab tests", the chart's timeline and "Results", the doctor's
card and critical banner, the new lab visit in the sidebar)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from clinicflow.core import navigation
from clinicflow.lab import charging, chart, consultation, dashboard, messages, workspace
from clinicflow.lab.models import CriticalAlert, LabOrder, Result
from clinicflow.patients import merging
from clinicflow.patients.models import Patient


def register_bench_pages() -> None:
    """The lab's day on the dashboards of the lab technician, the nurse and managers, and
    its pages in the sidebar's Lab area (each shown to whoever may open it)."""
    dashboard.register_cards()
    navigation.register(
        navigation.Entry(_("Lab dashboard"), "lab:dashboard", "bi-speedometer", "lab", 10),
        navigation.Entry(_("Collect samples"), "lab:collect_list", "bi-droplet", "lab", 20),
        navigation.Entry(_("Worklist"), "lab:worklist", "bi-list-check", "lab", 30),
        navigation.Entry(_("To verify"), "lab:to_verify", "bi-patch-check", "lab", 40),
        navigation.Entry(_("Test catalogue"), "lab:catalogue", "bi-journal-medical", "lab", 50),
    )


def register_doctor_and_desk() -> None:
    chart.register()
    consultation.register()
    workspace.register()
    navigation.register(
        navigation.Entry(_("New lab visit"), "lab:direct_visit", "bi-droplet", "front_desk", 40)
    )


def move_lab_records(duplicate: Patient, survivor: Patient) -> int:
    """A merge moves the duplicate's orders, results (each keeps the range it was flagged
    against) and critical alerts to the survivor."""
    return sum(
        merging.move_rows(model)(duplicate, survivor) for model in (LabOrder, Result, CriticalAlert)
    )


def register() -> None:
    charging.register()
    messages.register()
    merging.register_mover("lab orders and results", move_lab_records)
    register_bench_pages()
    register_doctor_and_desk()
