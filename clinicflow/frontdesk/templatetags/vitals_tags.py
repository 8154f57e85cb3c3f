"""``{% for r in observations|readings %}``: vital signs as people read them, on every page
that shows them (one rule: ``frontdesk.vitals.readings``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from clinicflow.frontdesk.vitals import Reading
from clinicflow.frontdesk.vitals import readings as as_readings

register = template.Library()


@register.filter
def readings(observations: Iterable[Any]) -> list[Reading]:
    return as_readings(observations)
