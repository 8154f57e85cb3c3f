"""What the lab's API reads and writes. The answers list every field a role may receive; the
policy (``fields=`` on ``lab.order`` and ``lab.view``) trims each row, nested rows included,
to what the caller's roles are given (see ``lab.api.LabViewSetMixin``)."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinicflow.core.api_fields import OffsetDateTimeField
from clinicflow.core.serializers import (
    ClinicFlowModelSerializer,
    ClinicFlowSerializer,
    PlainTextFields,
)
from clinicflow.lab import ranges
from clinicflow.lab.models import (
    CriticalAlert,
    LabOrder,
    LabTest,
    OrderedTest,
    Parameter,
    ReferenceRange,
    RejectionReason,
    Result,
    Sample,
    Urgency,
)

# ---------------------------------------------------------------- the catalogue


class RangeSerializer(ClinicFlowModelSerializer[ReferenceRange]):
    class Meta:
        model = ReferenceRange
        fields = [
            "id", "sex", "age_from_days", "age_to_days", "low", "high", "critical_low",
            "critical_high", "text",
        ]  # fmt: skip
        read_only_fields = fields


class ParameterSerializer(ClinicFlowModelSerializer[Parameter]):
    choices = serializers.ListField(
        source="choice_list",
        child=serializers.CharField(),
        read_only=True,
        help_text="The permitted answers of a choice result.",
    )
    ranges = RangeSerializer(many=True, read_only=True)

    class Meta:
        model = Parameter
        fields = [
            "id", "code", "name", "loinc", "unit", "unit_label", "result_type", "decimals",
            "choices", "formula", "absolute_low", "absolute_high", "delta_percent", "order",
            "ranges",
        ]  # fmt: skip
        read_only_fields = fields


class PanelMemberSerializer(ClinicFlowSerializer):
    test = serializers.IntegerField(source="test_id")
    code = serializers.CharField(source="test.code")
    name = serializers.CharField(source="test.name")


class LabTestSerializer(ClinicFlowModelSerializer[LabTest]):
    section_name = serializers.CharField(source="section.name", read_only=True)
    members = PanelMemberSerializer(
        many=True, read_only=True, help_text="A panel's tests, in report order."
    )
    parameters = ParameterSerializer(
        many=True, read_only=True, help_text="What the test reports (a panel: none of its own)."
    )

    class Meta:
        model = LabTest
        fields = [
            "id", "code", "name", "loinc", "section", "section_name", "sample_type", "container",
            "turnaround_minutes", "price", "is_panel", "is_active", "members", "parameters",
        ]  # fmt: skip
        read_only_fields = fields


# ---------------------------------------------------------------- orders


class OrderedTestSerializer(ClinicFlowModelSerializer[OrderedTest]):
    code = serializers.CharField(source="test.code", read_only=True)
    name = serializers.CharField(source="test.name", read_only=True)

    class Meta:
        model = OrderedTest
        fields = [
            "id", "test", "code", "name", "status", "sample", "comment", "resulted_at",
            "verified_at", "cancelled_at", "cancel_reason",
        ]  # fmt: skip
        read_only_fields = fields


class SampleSerializer(ClinicFlowModelSerializer[Sample]):
    collected_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    tests: serializers.PrimaryKeyRelatedField[OrderedTest] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Sample
        fields = [
            "id", "accession", "sample_type", "container", "status", "collected_at",
            "collected_by", "recorded_at", "received_at", "rejected_at", "rejection_reason",
            "rejection_note", "tests",
        ]  # fmt: skip
        read_only_fields = fields


class ResultSerializer(ClinicFlowModelSerializer[Result]):
    code = serializers.CharField(source="parameter.code", read_only=True)
    name = serializers.CharField(source="parameter.name", read_only=True)
    unit = serializers.SerializerMethodField()
    reference = serializers.SerializerMethodField()
    entered_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    verified_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = Result
        fields = [
            "id", "ordered_test", "parameter", "code", "name", "unit", "value", "text", "flag",
            "reference", "applied_range", "previous_value", "delta_flagged", "comment",
            "status", "collected_at", "entered_by", "entered_at", "verified_by", "verified_at",
            "amends", "amend_reason",
        ]  # fmt: skip
        read_only_fields = fields

    def get_unit(self, result: Result) -> str:
        return result.parameter.unit_label or result.parameter.unit

    def get_reference(self, result: Result) -> str:
        """The range as the report prints it ("0.6–1.2", "≤ 200", "Negative")."""
        return ranges.shown(result.applied_range)


class CurrentResults(PlainTextFields, serializers.ListSerializer):
    """An order's results as they stand, test by test: those its tests were fetched with
    (``current``, chosen for the caller by ``lab.api``), in one list."""

    def get_attribute(self, instance: LabOrder) -> list[Result]:
        return [result for test in instance.tests.all() for result in getattr(test, "current", [])]


class LabOrderSerializer(ClinicFlowModelSerializer[LabOrder]):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    ordering_doctor_name = serializers.SerializerMethodField()
    ordered_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    tests = OrderedTestSerializer(many=True, read_only=True)
    samples = SampleSerializer(many=True, read_only=True)
    results = CurrentResults(
        child=ResultSerializer(),
        read_only=True,
        help_text="Current results (amended ones replace what they amend); outside the lab, "
        "released (verified) results only.",
    )
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = LabOrder
        fields = [
            "id", "number", "patient", "patient_name", "patient_mrn", "encounter", "source",
            "urgency", "ordering_doctor", "ordering_doctor_name", "referrer", "clinical_note",
            "ordered_by", "ordered_at", "tests", "samples", "results", "report_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_ordering_doctor_name(self, order: LabOrder) -> str:
        """The clinic's doctor who ordered, or the outside prescriber's name."""
        return str(order.ordering_doctor) if order.ordering_doctor else order.referrer

    @extend_schema_field(OpenApiTypes.URI)
    def get_report_url(self, order: LabOrder) -> str | None:
        """The printable report (PDF), where this installation serves one."""
        try:
            return reverse("lab:report", args=[order.pk])
        except NoReverseMatch:
            return None


class NewOrderSerializer(ClinicFlowSerializer):
    patient = serializers.UUIDField()
    tests = serializers.ListField(
        child=serializers.IntegerField(), max_length=50, help_text="Tests of the catalogue, by id."
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.ROUTINE)
    clinical_note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    encounter = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The doctor's own open consultation; none for a direct lab visit.",
    )
    referrer = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="A direct visit: the outside doctor who prescribed the tests.",
    )


class CancelReasonSerializer(ClinicFlowSerializer):
    reason = serializers.CharField(max_length=200, allow_blank=True)


# ---------------------------------------------------------------- samples and results


class CollectSerializer(ClinicFlowSerializer):
    collected_at = OffsetDateTimeField(
        help_text="When the sample was taken (with its UTC offset), as the collector says."
    )
    tests = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        default=None,
        max_length=50,
        help_text="The order's tests to collect, by id; default: all still to collect.",
    )


class RejectSerializer(ClinicFlowSerializer):
    reason = serializers.ChoiceField(choices=RejectionReason.choices)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class EntrySerializer(ClinicFlowSerializer):
    values = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        help_text="Raw values by parameter id; a blank leaves a parameter as it was.",
    )
    comments = serializers.DictField(
        child=serializers.CharField(max_length=300, allow_blank=True),
        required=False,
        default=dict,
        help_text="A comment per parameter id.",
    )
    report_comment = serializers.CharField(
        max_length=500, required=False, allow_null=True, default=None
    )


class TestResultsSerializer(ClinicFlowModelSerializer[OrderedTest]):
    """A test with its current results: the answer to an entry or a verification."""

    code = serializers.CharField(source="test.code", read_only=True)
    name = serializers.CharField(source="test.name", read_only=True)
    results = ResultSerializer(source="current", many=True, read_only=True)

    class Meta:
        model = OrderedTest
        fields = ["id", "order", "test", "code", "name", "status", "comment", "results"]
        read_only_fields = fields


class AmendSerializer(ClinicFlowSerializer):
    value = serializers.CharField(max_length=500)
    reason = serializers.CharField(max_length=300, allow_blank=True)


# ---------------------------------------------------------------- critical alerts


class CriticalAlertSerializer(ClinicFlowModelSerializer[CriticalAlert]):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    order = serializers.UUIDField(source="result.ordered_test.order_id", read_only=True)
    order_number = serializers.CharField(source="result.ordered_test.order.number", read_only=True)
    test_name = serializers.CharField(source="result.ordered_test.test.name", read_only=True)
    parameter = serializers.CharField(source="result.parameter.name", read_only=True)
    value = serializers.CharField(source="result.display", read_only=True)
    unit = serializers.CharField(source="result.parameter.unit_label", read_only=True)
    flag = serializers.CharField(source="result.flag", read_only=True)
    acknowledged_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    raised_at = OffsetDateTimeField(read_only=True)

    class Meta:
        model = CriticalAlert
        fields = [
            "id", "patient", "patient_name", "patient_mrn", "order", "order_number",
            "test_name", "result", "parameter", "value", "unit", "flag", "raised_at",
            "escalated_at", "acknowledged_at", "acknowledged_by", "action_taken",
        ]  # fmt: skip
        read_only_fields = fields


class AcknowledgeSerializer(ClinicFlowSerializer):
    action_taken = serializers.CharField(
        max_length=300, allow_blank=True, help_text="What was done: patient called back, ..."
    )
