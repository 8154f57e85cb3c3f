"""The front-desk API: the same policy, services and refusals as the pages.

/api/v1/queue/                 today's queue (``?day=&status=&practitioner=``), add a walk-in
/api/v1/queue/check-in/        check in a booked appointment (far from its time: 409
                               ``check_in_outside_window``, then again with ``confirm``)
/api/v1/queue/call-next/       a doctor calls the next patient in
/api/v1/queue/{id}/            one visit; ``move/``, ``priority/``, ``assign/``, ``vitals/``
/api/v1/observations/          vitals of a patient (``?patient=``), newest first
"""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from clinicflow.core.access import ScopedViewSetMixin, actor_of, referenced_object
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.rest import DefaultPagination
from clinicflow.core.serializers import ClinicFlowModelSerializer, ClinicFlowSerializer
from clinicflow.frontdesk import services, vitals
from clinicflow.frontdesk.models import Observation, Priority, QueueEntry, QueueStatus
from clinicflow.patients.models import Patient
from clinicflow.scheduling.models import Appointment, Practitioner, Specialization


class QueueEntrySerializer(ClinicFlowModelSerializer[QueueEntry]):
    token_label = serializers.CharField(read_only=True)

    class Meta:
        model = QueueEntry
        fields = [
            "id", "day", "token", "token_label", "patient", "walk_in_name", "walk_in_phone",
            "appointment", "practitioner", "priority", "reason", "status", "status_reason",
            "room", "arrived_at", "vitals_at", "ready_at", "called_at", "finished_at",
        ]  # fmt: skip
        read_only_fields = fields


class WalkInSerializer(ClinicFlowSerializer):
    patient = serializers.UUIDField(required=False, allow_null=True, default=None)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    practitioner = serializers.IntegerField(required=False, allow_null=True, default=None)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.ROUTINE)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CheckInSerializer(ClinicFlowSerializer):
    appointment = serializers.UUIDField()
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Check in although far from the booked time (after a 409 "
        "`check_in_outside_window`).",
    )


class MoveSerializer(ClinicFlowSerializer):
    to_status = serializers.ChoiceField(choices=QueueStatus.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PrioritySerializer(ClinicFlowSerializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AssignSerializer(ClinicFlowSerializer):
    practitioner = serializers.IntegerField(required=False, allow_null=True, default=None)
    specialization = serializers.IntegerField(required=False, allow_null=True, default=None)


class CallNextSerializer(ClinicFlowSerializer):
    practitioner = serializers.IntegerField()


class VitalsSerializer(ClinicFlowSerializer):
    """Each vital sign optional; values as numbers or decimal strings."""

    def get_fields(self) -> dict[str, Any]:
        return {
            vital.key: serializers.CharField(required=False, allow_blank=True, max_length=12)
            for vital in vitals.VITALS
        }


class ObservationSerializer(ClinicFlowModelSerializer[Observation]):
    class Meta:
        model = Observation
        fields = ["id", "patient", "entry", "code", "name", "value", "unit", "flag", "taken_at"]
        read_only_fields = fields


class QueueFilter(ClinicFilterSet):
    class Meta:
        model = QueueEntry
        fields = ["day", "status", "practitioner", "patient"]


class QueueOrder(DefaultPagination):
    """The queue's own order: priority, then booked time or arrival, then token."""

    ordering = services.queue_order()  # type: ignore[assignment]  # DRF takes a tuple too


class QueueEntryViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[QueueEntry],
):
    queryset = QueueEntry.objects.select_related("clinic", "practitioner", "appointment")
    serializer_class = QueueEntrySerializer
    patient_key = "patient_id"
    filterset_class = QueueFilter
    pagination_class = QueueOrder
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "frontdesk.queue",
        "retrieve": "frontdesk.queue",
        "create": "frontdesk.check_in",
        "check_in": "frontdesk.check_in",
        "call_next": "frontdesk.see_patients",
        "move": "frontdesk.queue",  # the service asks for the move's own action
        "priority": "frontdesk.manage",
        "assign": "frontdesk.manage",
        "vitals": "frontdesk.vitals",
    }

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        clinic = actor_of(self.request).clinic
        if self.action == "list" and clinic and "day" not in self.request.query_params:
            qs = qs.filter(day=services.today(clinic))
        return qs

    def _answer(self, entry: QueueEntry, code: int = status.HTTP_200_OK) -> Response:
        return Response(QueueEntrySerializer(entry).data, status=code)

    @extend_schema(request=WalkInSerializer, responses={201: QueueEntrySerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = WalkInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        entry = services.add_walk_in(
            actor=actor_of(request),
            patient=referenced_object(
                request, "patients.chart", Patient, given["patient"], optional=True
            ),
            name=given["name"],
            phone=given["phone"],
            practitioner=referenced_object(
                request, "scheduling.view", Practitioner, given["practitioner"], optional=True
            ),
            priority=given["priority"],
            reason=given["reason"],
        )
        return self._answer(entry, status.HTTP_201_CREATED)

    @extend_schema(request=CheckInSerializer, responses={201: QueueEntrySerializer})
    @action(detail=False, methods=["post"], url_path="check-in")
    def check_in(self, request: Request) -> Response:
        data = CheckInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.check_in(
            actor=actor_of(request),
            appointment=referenced_object(
                request, "appointments.manage", Appointment, data.validated_data["appointment"]
            ),
            priority=data.validated_data.get("priority"),
            confirm=data.validated_data["confirm"],
        )
        return self._answer(entry, status.HTTP_201_CREATED)

    @extend_schema(request=CallNextSerializer, responses={200: QueueEntrySerializer, 204: None})
    @action(detail=False, methods=["post"], url_path="call-next")
    def call_next(self, request: Request) -> Response:
        data = CallNextSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doctor = referenced_object(
            request, "frontdesk.see_patients", Practitioner, data.validated_data["practitioner"]
        )
        entry = services.call_next(actor=actor_of(request), practitioner=doctor)
        return Response(status=status.HTTP_204_NO_CONTENT) if entry is None else self._answer(entry)

    @extend_schema(request=MoveSerializer, responses=QueueEntrySerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: Any = None) -> Response:
        data = MoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.move(
            actor=actor_of(request), entry=self.get_object(), **data.validated_data
        )
        return self._answer(entry)

    @extend_schema(request=PrioritySerializer, responses=QueueEntrySerializer)
    @action(detail=True, methods=["post"])
    def priority(self, request: Request, pk: Any = None) -> Response:
        data = PrioritySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.set_priority(
            actor=actor_of(request), entry=self.get_object(), **data.validated_data
        )
        return self._answer(entry)

    @extend_schema(request=AssignSerializer, responses=QueueEntrySerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: Any = None) -> Response:
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        specialization = referenced_object(
            request, "scheduling.view", Specialization, given["specialization"], optional=True
        )
        entry = services.assign(
            actor=actor_of(request),
            entry=self.get_object(),
            practitioner=referenced_object(
                request, "scheduling.view", Practitioner, given["practitioner"], optional=True
            ),
            specialization_id=getattr(specialization, "pk", None),
        )
        return self._answer(entry)

    @extend_schema(request=VitalsSerializer, responses={201: ObservationSerializer(many=True)})
    @action(detail=True, methods=["post"], pagination_class=None)  # the set just recorded
    def vitals(self, request: Request, pk: Any = None) -> Response:
        data = VitalsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = services.record_vitals(
            actor=actor_of(request), entry=self.get_object(), values=data.validated_data
        )
        return Response(ObservationSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class ObservationViewSet(
    ScopedViewSetMixin, mixins.ListModelMixin, viewsets.GenericViewSet[Observation]
):
    queryset = Observation.objects.filter(status="final")
    serializer_class = ObservationSerializer
    patient_key = "patient_id"
    filterset_fields = ["patient", "entry", "code"]
    policy_actions: ClassVar[dict[str, str]] = {"list": "patients.chart"}


def register(router: BaseRouter) -> None:
    router.register("queue", QueueEntryViewSet, basename="queue-entry")
    router.register("observations", ObservationViewSet, basename="observation")
