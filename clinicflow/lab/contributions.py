"""What the lab adds elsewhere: its charges (billing); its place in the doctor's and the
desk's day (the consultation's "Lab tests", the chart's timeline and "Results", the doctor's
card and critical banner, the new lab visit in the sidebar)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from clinicflow.core import navigation
from clinicflow.lab import charging, chart, consultation, workspace


def register_doctor_and_desk() -> None:
    chart.register()
    consultation.register()
    workspace.register()
    navigation.register(
        navigation.Entry(
            gettext_lazy("New lab visit"), "lab:direct_visit", "bi-droplet", "front_desk", 40
        )
    )


def register() -> None:
    charging.register()
    register_doctor_and_desk()
