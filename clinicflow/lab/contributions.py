"""What the lab adds elsewhere: its charges (billing)."""

from __future__ import annotations

from clinicflow.lab import charging


def register() -> None:
    charging.register()
