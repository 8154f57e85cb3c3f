"""The cash desk's live list: once a change of what a patient owes commits (a charge
captured, an invoice issued, a payment taken), the clinic's open cashier screens hear whose
and reload. Messages carry ids only, never names or amounts."""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction

from clinicflow.core.live import send_to_group


def desk_group(clinic_id: Any) -> str:
    return f"billing.{clinic_id}"


def announce(clinic: Any, change: str, patient_id: Any) -> None:
    """After commit: tell the clinic's cash desks that ``patient_id``'s bill moved."""
    group = desk_group(getattr(clinic, "pk", clinic))
    message = {"type": "bill.changed", "change": change, "patient": str(patient_id)}
    transaction.on_commit(lambda: send_to_group(group, {**message, "sent_at": time.time()}))
