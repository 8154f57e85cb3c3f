"""How a patient's age, phone and allergies read on a page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import template
from django.db.models import QuerySet
from django.utils import timezone

from clinicflow.patients.models import Patient
from clinicflow.patients.phones import display_phone

register = template.Library()


@register.simple_tag(takes_context=True)
def banner_allergies(context: Any, patient: Patient) -> list[Any]:
    """The patient's active allergies for the red banner: the view's ``allergies`` when it
    gave them, read here otherwise, so that no page about a patient says "no known
    allergies" for want of a context variable."""
    from clinicflow.patients.selectors import active_allergies

    given = context.get("allergies")
    if isinstance(given, list | tuple | QuerySet):
        return list(given)
    return active_allergies(patient)


@register.simple_tag
def age(patient: Patient, today: date | None = None) -> str:
    """ "34 y", "~34 y" for an estimated birth date, "8 m" for a baby, "—" when unknown.

    ``today`` is the day the age is counted on; a page that names none (the template engine
    gives an empty string for a missing variable) counts on the current date."""
    if not isinstance(today, date):
        today = timezone.localdate()
    years = patient.age_on(today)
    if years is None or patient.birth_date is None:
        return "—"
    prefix = "~" if patient.birth_date_estimated else ""
    if years == 0 and not patient.birth_date_estimated:
        months = (
            (today.year - patient.birth_date.year) * 12 + today.month - patient.birth_date.month
        )
        months -= today.day < patient.birth_date.day
        return f"{max(months, 0)} m"
    return f"{prefix}{years} y"


@register.filter
def phone(value: str) -> str:
    return display_phone(value)
