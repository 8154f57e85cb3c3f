"""Fields every API serializer shares.

An instant is written as RFC 3339 with its numeric UTC offset, in the clinic's zone:
``2025-01-06T09:00:00+05:45``, ``2025-01-06T09:00:00+00:00``. DRF's own field writes ``Z``
instead of ``+00:00`` whenever the zone in force is UTC (a clinic on UTC, a request without a
clinic), so one clinic's times came with an offset and another's without; every instant now
carries the same shape, whatever the zone. Model datetime fields get this field through the
field mapping of ``ClinicFlowModelSerializer`` (every model serializer's base); declared ones
name it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rest_framework import serializers


class OffsetDateTimeField(serializers.DateTimeField):
    """An aware instant, shown in the zone in force (the clinic's) with its ``±HH:MM``."""

    def to_representation(self, value: Any) -> Any:
        if value in (None, ""):
            return None
        if isinstance(value, str):
            return value
        moment: datetime = self.enforce_timezone(value)
        return moment.isoformat()
