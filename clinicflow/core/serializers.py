"""The bases of every API serializer: text without control characters; related records looked
up in the caller's clinic only."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Model
from rest_framework import serializers

from clinicflow.core.access import in_callers_clinic
from clinicflow.core.api_fields import OffsetDateTimeField
from clinicflow.core.text import with_text_rule

_M = TypeVar("_M", bound=Model)


def _plain_text(field: serializers.Field[Any, Any, Any, Any]) -> None:
    if isinstance(field, serializers.CharField):
        field.validators = with_text_rule(field.validators)
    child = getattr(field, "child", None)  # a list or dict of texts
    if isinstance(child, serializers.Field) and not isinstance(child, serializers.BaseSerializer):
        _plain_text(child)


# The bases carry comments, not docstrings: the OpenAPI schema would show a base's docstring
# as the description of every serializer that has none of its own.


class PlainTextFields:
    # Every text field of the serializer refuses control characters (core.text): declared,
    # made from a model field or by a ``get_fields`` of its own, since the rule is added when
    # the input is read. A nested serializer brings its own.

    fields: Any

    def to_internal_value(self, data: Any) -> Any:
        for field in self.fields.values():
            _plain_text(field)
        return super().to_internal_value(data)  # type: ignore[misc]  # a mixin


class ClinicFlowSerializer(PlainTextFields, serializers.Serializer[Any]):
    pass  # the base of every plain serializer


class ClinicFlowModelSerializer(PlainTextFields, serializers.ModelSerializer[_M]):
    # The base of every model serializer: a model's instants are written with their offset.
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateTimeField: OffsetDateTimeField,
    }


class ClinicScopedSerializer(ClinicFlowModelSerializer[Any]):
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
