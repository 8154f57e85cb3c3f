"""What API serializers share: related records are looked up in the caller's clinic only."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from clinicflow.core.access import in_callers_clinic


class ClinicScopedSerializer(serializers.ModelSerializer[Any]):
    """Every primary-key field (or list of them) pointing at a clinic-owned model accepts only
    rows of the caller's clinic: another clinic's id reads as "does not exist", like a missing
    one."""

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        request = self.context.get("request")
        for declared in fields.values():
            field = getattr(declared, "child_relation", declared)  # many=True: each id
            related = getattr(field, "queryset", None)
            if isinstance(field, serializers.PrimaryKeyRelatedField) and related is not None:
                field.queryset = in_callers_clinic(related, request)  # type: ignore[arg-type]
        return fields
