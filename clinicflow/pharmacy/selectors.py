"""Reading the catalogue for other domains."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from clinicflow.pharmacy.models import Medicine


def find(clinic: Any, name: str) -> Medicine | None:
    """The active catalogue medicine a prescriber named (generic or brand name, or the
    "generic strength form" the picker offers)."""
    text = " ".join(name.split())
    if not text:
        return None
    active = Medicine.objects.for_clinic(clinic).filter(is_active=True)
    return active.filter(Q(generic_name__iexact=text) | Q(brand__iexact=text)).first()


def search(clinic: Any, query: str, limit: int = 15) -> QuerySet[Medicine]:
    words = query.split()
    rows = Medicine.objects.for_clinic(clinic).filter(is_active=True)
    for word in words:
        rows = rows.filter(Q(generic_name__icontains=word) | Q(brand__icontains=word))
    return rows.order_by("generic_name", "strength")[:limit] if words else rows.none()
