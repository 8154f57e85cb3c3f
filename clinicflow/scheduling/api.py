"""The scheduling API: the same policy, services and refusals as the pages.

/api/v1/practitioners/                 list, retrieve; ``{id}/slots/?from=&to=`` free slots
/api/v1/availability-rules/            list (``?practitioner=``), create, delete
/api/v1/time-off/                      list, create (answers with the appointments it covers)
/api/v1/appointments/                  list (filters), book (409 with fresh slots when taken;
                                       ``document_ids`` attaches the patient's documents),
                                       retrieve, ``{id}/status/`` (checking in far from the
                                       booked time: 409 ``check_in_outside_window`` until sent
                                       again with ``confirm``), ``{id}/reschedule/``,
                                       ``{id}/documents/`` (attach documents by id)

Every time is written in the clinic's zone with its UTC offset (``core.api_fields``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, ClassVar

import django_filters
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from clinicflow.core.access import (
    ScopedViewSetMixin,
    actor_of,
    referenced_object,
)
from clinicflow.core.api_fields import OffsetDateTimeField
from clinicflow.core.errors import DomainError
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.serializers import (
    ClinicFlowModelSerializer,
    ClinicFlowSerializer,
    ClinicScopedSerializer,
)
from clinicflow.patients.models import DocumentStatus, Patient, PatientDocument
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


class PractitionerSerializer(ClinicFlowModelSerializer[Practitioner]):
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    specialization = serializers.CharField(source="specialization.name", read_only=True)
    photo_url = serializers.SerializerMethodField()

    class Meta:
        model = Practitioner
        fields = [
            "id", "name", "specialization", "department", "qualifications",
            "consultation_fee", "follow_up_fee", "follow_up_days", "slot_minutes", "is_active",
            "photo_url",
        ]  # fmt: skip

    def get_photo_url(self, doctor: Practitioner) -> str | None:
        """The photo's thumbnail (``?full=1``: the photo), shown while the doctor is active."""
        if not doctor.photo or not doctor.is_active:
            return None
        return reverse("scheduling:practitioner_photo", args=[doctor.pk])


class SlotSerializer(ClinicFlowSerializer):
    starts_at = OffsetDateTimeField()
    ends_at = OffsetDateTimeField()
    practitioner = serializers.IntegerField(source="practitioner_id")

    @staticmethod
    def rows(found: Iterable[slots.Slot]) -> list[dict[str, Any]]:
        """What ``SlotSerializer(found, many=True).data`` gives, written directly: a week is
        about a hundred slots, and DRF's per-field machinery was a fifth of the request."""
        zone = timezone.get_current_timezone()
        return [
            {
                "starts_at": slot.starts_at.astimezone(zone).isoformat(),
                "ends_at": slot.ends_at.astimezone(zone).isoformat(),
                "practitioner": slot.practitioner_id,
            }
            for slot in found
        ]


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


class AttachedDocumentSerializer(ClinicFlowModelSerializer[PatientDocument]):
    """A document attached to the appointment; its file is ``/api/v1/documents/{id}/content/``
    (permission-checked and audited like every document)."""

    class Meta:
        model = PatientDocument
        fields = ["id", "title", "category", "document_date", "content_type", "uploaded_at"]


class AppointmentSerializer(ClinicScopedSerializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    practitioner = serializers.PrimaryKeyRelatedField(queryset=Practitioner.objects.all())
    kind = serializers.ChoiceField(
        choices=AppointmentKind.choices, default=AppointmentKind.IN_PERSON
    )
    documents = AttachedDocumentSerializer(source="current_documents", many=True, read_only=True)
    document_ids = serializers.PrimaryKeyRelatedField(
        queryset=PatientDocument.objects.filter(status=DocumentStatus.CURRENT),
        many=True,
        write_only=True,
        required=False,
        help_text="Documents of the patient to attach at booking.",
    )

    class Meta:
        model = Appointment
        fields = [
            "id", "patient", "practitioner", "starts_at", "ends_at", "kind", "reason",
            "status", "status_reason", "created_at", "documents", "document_ids",
        ]  # fmt: skip
        read_only_fields = ["ends_at", "status", "status_reason", "created_at"]


class AttachDocumentsSerializer(ClinicScopedSerializer):
    """Documents of the appointment's patient to attach, by id."""

    documents = serializers.PrimaryKeyRelatedField(
        queryset=PatientDocument.objects.filter(status=DocumentStatus.CURRENT), many=True
    )

    class Meta:
        model = Appointment
        fields = ["documents"]


class AppointmentStatusSerializer(ClinicFlowSerializer):
    to_status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    confirm = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Go ahead with a move that needs confirming (409 `check_in_outside_window`: "
        "checking in far from the booked time).",
    )


class RescheduleSerializer(ClinicFlowSerializer):
    starts_at = OffsetDateTimeField()


class AppointmentFilter(ClinicFilterSet):
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Appointment
        fields = ["practitioner", "patient", "status"]


def _date_param(request: Request, name: str) -> date | None:
    """A date query parameter (``YYYY-MM-DD``), None when absent. Errors: ``DomainError``
    (400) for anything else, a well-formed but impossible date (month 13) included."""
    raw = request.query_params.get(name, "")
    if not raw:
        return None
    try:
        day = parse_date(raw)
    except ValueError:
        day = None
    if day is None:
        raise DomainError("Give the date as YYYY-MM-DD.", field=name)
    return day


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
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (local); today"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day; a week from `from`"),
        ],
        responses=SlotSerializer(many=True),
    )
    # A plain list, not paged: the range is at most a month of one doctor's slots.
    @action(detail=True, methods=["get"], pagination_class=None)
    def slots(self, request: Request, pk: Any = None) -> Response:
        """Free slots between two local dates (at most a month), in time order: one list."""
        doctor = self.get_object()
        first = _date_param(request, "from") or timezone.localdate()
        last = _date_param(request, "to") or first + timedelta(days=6)
        if last < first or (last - first).days > MAX_SLOT_DAYS:
            raise DomainError("Ask for at most a month, from before to.", field="to")
        return Response(SlotSerializer.rows(slots.free_slots(doctor, first, last)))


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
        doctor = referenced_object(
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
            doctor = referenced_object(request, "scheduling.availability", Practitioner, doctor.pk)
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
    ).prefetch_related(
        Prefetch(
            "documents",
            queryset=PatientDocument.objects.all_clinics().filter(  # scoped by the appointments
                status=DocumentStatus.CURRENT
            ),
            to_attr="current_documents",
        )
    )
    serializer_class = AppointmentSerializer
    patient_key = "patient_id"
    filterset_class = AppointmentFilter
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "scheduling.view",
        "retrieve": "scheduling.view",
        "create": "appointments.book",
        "status": "appointments.manage",
        "reschedule": "appointments.manage",
        "documents": "appointments.manage",
    }

    def _fresh(self, appointment: Appointment) -> dict[str, Any]:
        """The appointment as the list shows it (re-read with its documents)."""
        return dict(self.get_serializer(self.get_queryset().get(pk=appointment.pk)).data)

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.book_appointment(
            actor=actor_of(self.request),
            patient=referenced_object(self.request, "patients.chart", Patient, data["patient"].pk),
            practitioner=referenced_object(
                self.request, "appointments.book", Practitioner, data["practitioner"].pk
            ),
            starts_at=data["starts_at"],
            kind=data["kind"],
            reason=data.get("reason", ""),
            documents=data.get("document_ids", ()),
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        assert serializer.instance is not None
        return Response(self._fresh(serializer.instance), status=status.HTTP_201_CREATED)

    @extend_schema(request=AttachDocumentsSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def documents(self, request: Request, pk: Any = None) -> Response:
        """Attach documents of the appointment's patient, by id (already attached: kept)."""
        appointment = self.get_object()
        data = AttachDocumentsSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        services.attach_documents(
            actor=actor_of(request),
            appointment=appointment,
            documents=data.validated_data["documents"],
        )
        return Response(self._fresh(appointment))

    @extend_schema(request=AppointmentStatusSerializer, responses=AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: Any = None) -> Response:
        data = AppointmentStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.change_status(
            actor=actor_of(request), appointment=self.get_object(), **data.validated_data
        )
        return Response(self._fresh(moved))

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
        return Response(self._fresh(moved))


def register(router: BaseRouter) -> None:
    router.register("practitioners", PractitionerViewSet, basename="practitioner")
    router.register("availability-rules", RuleViewSet, basename="availability-rule")
    router.register("time-off", TimeOffViewSet, basename="time-off")
    router.register("appointments", AppointmentViewSet, basename="appointment")
