"""The scheduling API: the same policy, services and refusals as the pages.

/api/v1/practitioners/                 list, retrieve; ``{id}/slots/?from=&to=`` free slots
/api/v1/availability-rules/            list (``?practitioner=``), create, delete
/api/v1/time-off/                      list, create (answers with the appointments it covers)
/api/v1/appointments/                  list (filters), book (409 with fresh slots when taken),
                                       retrieve, ``{id}/status/``, ``{id}/reschedule/``
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

import django_filters
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from clinicflow.core.access import ScopedViewSetMixin, access_object, actor_of
from clinicflow.core.errors import DomainError
from clinicflow.core.serializers import ClinicScopedSerializer
from clinicflow.patients.models import Patient
from clinicflow.scheduling import services, slots
from clinicflow.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    AvailabilityRule,
    Practitioner,
    TimeOff,
)

MAX_SLOT_DAYS = 31


class PractitionerSerializer(serializers.ModelSerializer[Practitioner]):
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    specialization = serializers.CharField(source="specialization.name", read_only=True)

    class Meta:
        model = Practitioner
        fields = [
            "id", "name", "specialization", "department", "qualifications",
            "consultation_fee", "follow_up_fee", "follow_up_days", "slot_minutes", "is_active",
        ]  # fmt: skip


class SlotSerializer(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    practitioner = serializers.IntegerField(source="practitioner_id")


class RuleSerializer(ClinicScopedSerializer):
    class Meta:
        model = AvailabilityRule
        fields = [
            "id",
            "practitioner",
            "weekday",
            "start_time",
            "end_time",
            "valid_from",
            "valid_until",
        ]


class TimeOffSerializer(ClinicScopedSerializer):
    class Meta:
        model = TimeOff
        fields = ["id", "practitioner", "starts_at", "ends_at", "reason"]
        extra_kwargs: ClassVar[dict[str, Any]] = {"practitioner": {"required": False}}


class AppointmentSerializer(ClinicScopedSerializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    practitioner = serializers.PrimaryKeyRelatedField(queryset=Practitioner.objects.all())
    kind = serializers.ChoiceField(
        choices=AppointmentKind.choices, default=AppointmentKind.IN_PERSON
    )

    class Meta:
        model = Appointment
        fields = [
            "id", "patient", "practitioner", "starts_at", "ends_at", "kind", "reason",
            "status", "status_reason", "created_at",
        ]  # fmt: skip
        read_only_fields = ["ends_at", "status", "status_reason", "created_at"]


class AppointmentStatusSerializer(serializers.Serializer[Any]):
    to_status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RescheduleSerializer(serializers.Serializer[Any]):
    starts_at = serializers.DateTimeField()


class AppointmentFilter(django_filters.FilterSet):
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Appointment
        fields = ["practitioner", "patient", "status"]


def _owned(request: Request, action_name: str, model: Any, pk: Any) -> Any:
    """The related object of the request body, reachable for this action, or a field error."""
    try:
        return access_object(actor_of(request), action_name, model.objects.all(), pk=pk)
    except Http404:  # missing and "not yours" alike: no such record, at its field
        raise DomainError("No such record.", field=model._meta.model_name) from None


class PractitionerViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Practitioner],
):
    queryset = Practitioner.objects.select_related("user", "specialization", "clinic")
    serializer_class = PractitionerSerializer
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "appointments.book",
        "retrieve": "appointments.book",
        "slots": "appointments.book",
    }

    @extend_schema(
        parameters=[OpenApiParameter("from", str), OpenApiParameter("to", str)],
        responses=SlotSerializer(many=True),
    )
    @action(detail=True, methods=["get"])
    def slots(self, request: Request, pk: Any = None) -> Response:
        """Free slots between two local dates (at most a month)."""
        doctor = self.get_object()
        first = parse_date(request.query_params.get("from", "")) or timezone.localdate()
        last = parse_date(request.query_params.get("to", "")) or first + timedelta(days=6)
        if last < first or (last - first).days > MAX_SLOT_DAYS:
            raise DomainError("Ask for at most a month, from before to.", field="to")
        return Response(SlotSerializer(slots.free_slots(doctor, first, last), many=True).data)


class RuleViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[AvailabilityRule],
):
    queryset = AvailabilityRule.objects.select_related("practitioner")
    serializer_class = RuleSerializer
    filterset_fields = ["practitioner"]
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "scheduling.availability",
        "create": "scheduling.availability",
        "destroy": "scheduling.availability",
    }

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        doctor = _owned(
            self.request, "scheduling.availability", Practitioner, data.pop("practitioner").pk
        )
        serializer.instance = services.add_rule(
            actor=actor_of(self.request), practitioner=doctor, **data
        )

    def perform_destroy(self, instance: AvailabilityRule) -> None:
        services.remove_rule(actor=actor_of(self.request), rule=instance)


class TimeOffViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[TimeOff],
):
    queryset = TimeOff.objects.select_related("practitioner")
    serializer_class = TimeOffSerializer
    filterset_fields = ["practitioner"]
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "scheduling.view",
        "create": "scheduling.availability",
    }

    @extend_schema(
        responses=inline_serializer(
            "TimeOffCreated",
            {
                "time_off": TimeOffSerializer(),
                "covered_appointments": serializers.ListField(child=serializers.UUIDField()),
            },
        )
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        doctor = data.pop("practitioner", None)
        if doctor is not None:
            doctor = _owned(request, "scheduling.availability", Practitioner, doctor.pk)
        off, covered = services.add_time_off(actor=actor_of(request), practitioner=doctor, **data)
        return Response(
            {
                "time_off": TimeOffSerializer(off).data,
                "covered_appointments": [str(a.pk) for a in covered],
            },
            status=status.HTTP_201_CREATED,
        )


class AppointmentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Appointment],
):
    queryset = Appointment.objects.select_related(
        "patient", "practitioner__user", "practitioner__clinic"
    )
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "scheduling.view",
        "retrieve": "scheduling.view",
        "create": "appointments.book",
        "status": "appointments.manage",
        "reschedule": "appointments.manage",
    }

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.book_appointment(
            actor=actor_of(self.request),
            patient=_owned(self.request, "patients.chart", Patient, data["patient"].pk),
            practitioner=_owned(
                self.request, "appointments.book", Practitioner, data["practitioner"].pk
            ),
            starts_at=data["starts_at"],
            kind=data["kind"],
            reason=data.get("reason", ""),
        )

    @extend_schema(request=AppointmentStatusSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: Any = None) -> Response:
        data = AppointmentStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.change_status(
            actor=actor_of(request), appointment=self.get_object(), **data.validated_data
        )
        return Response(self.get_serializer(moved).data)

    @extend_schema(request=RescheduleSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request: Request, pk: Any = None) -> Response:
        data = RescheduleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.reschedule(
            actor=actor_of(request),
            appointment=self.get_object(),
            starts_at=data.validated_data["starts_at"],
        )
        return Response(self.get_serializer(moved).data)


def register(router: BaseRouter) -> None:
    router.register("practitioners", PractitionerViewSet, basename="practitioner")
    router.register("availability-rules", RuleViewSet, basename="availability-rule")
    router.register("time-off", TimeOffViewSet, basename="time-off")
    router.register("appointments", AppointmentViewSet, basename="appointment")
