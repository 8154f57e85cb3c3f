"""Order and accession numbers: a letter for the series, the clinic's date and the day's
count (``S2612070042``, the 42nd sample of 7 December 2026), taken under the day's counter
row lock so two desks never give out one number. Short, all digits after the letter: what a
Code 128 label prints compactly and a scanner reads back."""

from __future__ import annotations

from typing import Any

from clinicflow.lab.models import LabCounter

ORDER, SAMPLE = "O", "S"


def take(clinic: Any, series: str) -> str:
    day = clinic.local_date()
    LabCounter.objects.get_or_create(clinic=clinic, series=series, day=day)
    counter = LabCounter.objects.select_for_update().get(clinic=clinic, series=series, day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{series}{day:%y%m%d}{counter.last:04d}"
