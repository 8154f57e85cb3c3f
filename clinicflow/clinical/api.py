"""The consultation API: the same policy, services and refusals as the pages.

/api/v1/encounters/                 list (``?patient=``), open one for a visit called in
/api/v1/encounters/{id}/            one consultation; ``note/`` (autosave, with ``version``),
                                    ``diagnoses/``, ``sign/`` (with the problem-list choice and
                                    the allergies acknowledgement), ``amendments/``,
                                    ``medicines/`` (answers the safety alerts), ``override/``,
                                    ``stop-medicine/``, ``pregnancy/`` (the status asked)
/api/v1/prescriptions/              issued prescriptions with their items (``?patient=``)
/api/v1/icd10/?q=                   ICD-10 codes by code or words
"""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from clinicflow.clinical import prescribing, selectors, services
from clinicflow.clinical.models import (
    Amendment,
    Diagnosis,
    DiagnosisCertainty,
    DiagnosisRank,
    Encounter,
    Frequency,
    Icd10Code,
    Pregnancy,
    PregnancyStatus,
    Prescription,
    PrescriptionItem,
    Route,
    SafetyAlert,
)
from clinicflow.core.access import ScopedViewSetMixin, actor_of, referenced_object
from clinicflow.core.errors import DomainError
from clinicflow.core.serializers import ClinicFlowModelSerializer, ClinicFlowSerializer
from clinicflow.frontdesk.models import QueueEntry


class DiagnosisSerializer(ClinicFlowModelSerializer[Diagnosis]):
    class Meta:
        model = Diagnosis
        fields = ["id", "code", "text", "rank", "certainty", "entered_in_error", "recorded_at"]
        read_only_fields = fields


class AmendmentSerializer(ClinicFlowModelSerializer[Amendment]):
    class Meta:
        model = Amendment
        fields = ["id", "text", "reason", "author", "created_at"]
        read_only_fields = fields


class EncounterSerializer(ClinicFlowModelSerializer[Encounter]):
    diagnoses = DiagnosisSerializer(many=True, read_only=True)
    amendments = AmendmentSerializer(many=True, read_only=True)

    class Meta:
        model = Encounter
        fields = [
            "id", "patient", "practitioner", "entry", "appointment", "follow_up_of",
            "subjective", "objective", "assessment", "plan", "quick_note", "version",
            "status", "started_at", "signed_at", "signed_by", "diagnoses", "amendments",
        ]  # fmt: skip
        read_only_fields = fields


class OpenSerializer(ClinicFlowSerializer):
    entry = serializers.UUIDField()


class NoteSerializer(ClinicFlowSerializer):
    version = serializers.IntegerField(min_value=0)
    subjective = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    objective = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    assessment = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    plan = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    quick_note = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class NewDiagnosisSerializer(ClinicFlowSerializer):
    code = serializers.CharField(required=False, allow_blank=True, default="", max_length=8)
    text = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    rank = serializers.ChoiceField(choices=DiagnosisRank.choices, default=DiagnosisRank.PRIMARY)
    certainty = serializers.ChoiceField(
        choices=DiagnosisCertainty.choices, default=DiagnosisCertainty.PROVISIONAL
    )


class NewAmendmentSerializer(ClinicFlowSerializer):
    text = serializers.CharField()
    reason = serializers.CharField(max_length=200)


class Icd10Serializer(ClinicFlowModelSerializer[Icd10Code]):
    class Meta:
        model = Icd10Code
        fields = ["code", "title"]


class AlertSerializer(ClinicFlowModelSerializer[SafetyAlert]):
    class Meta:
        model = SafetyAlert
        fields = [
            "id", "kind", "severity", "message", "override_reason", "overridden_by",
            "overridden_at", "cleared_at",
        ]  # fmt: skip
        read_only_fields = fields


class ItemSerializer(ClinicFlowModelSerializer[PrescriptionItem]):
    alerts = AlertSerializer(many=True, read_only=True)
    in_words = serializers.CharField(read_only=True)

    class Meta:
        model = PrescriptionItem
        fields = [
            "id", "medicine_name", "free_text", "strength", "form", "dose", "dose_unit", "route",
            "frequency", "every_hours", "times_of_day", "duration_days", "quantity",
            "instructions", "status", "stop_reason", "in_words", "alerts",
        ]  # fmt: skip
        read_only_fields = fields


class PrescriptionSerializer(ClinicFlowModelSerializer[Prescription]):
    items = ItemSerializer(many=True, read_only=True)

    class Meta:
        model = Prescription
        fields = ["id", "encounter", "patient", "prescriber", "status", "issued_at", "items"]
        read_only_fields = fields


class NewItemSerializer(ClinicFlowSerializer):
    medicine_name = serializers.CharField(max_length=120)
    strength = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    form = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    dose = serializers.CharField(max_length=12)
    dose_unit = serializers.CharField(max_length=20, required=False, default="tablet")
    route = serializers.ChoiceField(choices=Route.choices, default=Route.ORAL)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    every_hours = serializers.IntegerField(required=False, allow_null=True, default=None)
    times_of_day = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    duration_days = serializers.IntegerField()
    quantity = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    instructions = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class SignSerializer(ClinicFlowSerializer):
    problem_list = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="Ids of this consultation's diagnoses to add to the problem list.",
    )
    acknowledge_allergies = serializers.BooleanField(
        required=False,
        default=False,
        help_text="The patient's allergies were not asked: prescribe without knowing them.",
    )


class NewPregnancyStatusSerializer(ClinicFlowSerializer):
    status = serializers.ChoiceField(choices=Pregnancy.choices)


class PregnancyStatusSerializer(ClinicFlowModelSerializer[PregnancyStatus]):
    class Meta:
        model = PregnancyStatus
        fields = ["id", "encounter", "status", "recorded_by", "recorded_at"]
        read_only_fields = fields


class RowReasonSerializer(ClinicFlowSerializer):
    id = serializers.IntegerField()
    reason = serializers.CharField(max_length=200)


class EncounterViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Encounter],
):
    queryset = Encounter.objects.select_related("clinic").prefetch_related(
        "diagnoses", "amendments"
    )
    serializer_class = EncounterSerializer
    patient_key = "patient_id"
    filterset_fields = ["patient", "status"]
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "clinical.view",
        "retrieve": "clinical.view",
        "create": "clinical.write",
        "note": "clinical.write",
        "diagnoses": "clinical.write",
        "sign": "clinical.write",
        "amendments": "clinical.write",
        "medicines": "clinical.write",
        "override": "clinical.write",
        "stop_medicine": "clinical.write",
        "pregnancy": "patients.clinical_edit",
    }

    def _answer(self, encounter: Encounter, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.queryset.for_clinic(encounter.clinic).get(pk=encounter.pk)
        return Response(EncounterSerializer(fresh).data, status=code)

    @extend_schema(request=OpenSerializer, responses={201: EncounterSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = OpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = referenced_object(
            request, "frontdesk.see_patients", QueueEntry, data.validated_data["entry"]
        )
        encounter = services.open_encounter(actor=actor_of(request), entry=entry)
        return self._answer(encounter, status.HTTP_201_CREATED)

    @extend_schema(request=NoteSerializer, responses=EncounterSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request: Request, pk: Any = None) -> Response:
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = fields.pop("version")
        encounter = services.save_note(
            actor=actor_of(request), encounter=self.get_object(), fields=fields, version=version
        )
        return self._answer(encounter)

    @extend_schema(request=NewDiagnosisSerializer, responses={201: DiagnosisSerializer})
    @action(detail=True, methods=["post"])
    def diagnoses(self, request: Request, pk: Any = None) -> Response:
        data = NewDiagnosisSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        diagnosis = services.add_diagnosis(
            actor=actor_of(request), encounter=self.get_object(), **data.validated_data
        )
        return Response(DiagnosisSerializer(diagnosis).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SignSerializer, responses=EncounterSerializer)
    @action(detail=True, methods=["post"])
    def sign(self, request: Request, pk: Any = None) -> Response:
        data = SignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signed = services.sign(
            actor=actor_of(request),
            encounter=self.get_object(),
            problem_list=data.validated_data["problem_list"],
            allergies_unasked_acknowledged=data.validated_data["acknowledge_allergies"],
        )
        return self._answer(signed)

    @extend_schema(request=NewPregnancyStatusSerializer, responses={201: PregnancyStatusSerializer})
    @action(detail=True, methods=["post"])
    def pregnancy(self, request: Request, pk: Any = None) -> Response:
        """Record whether the patient is pregnant or breastfeeding, as asked at this visit."""
        data = NewPregnancyStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recorded = services.record_pregnancy_status(
            actor=actor_of(request),
            encounter=self.get_object(),
            status=data.validated_data["status"],
        )
        return Response(PregnancyStatusSerializer(recorded).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NewAmendmentSerializer, responses={201: AmendmentSerializer})
    @action(detail=True, methods=["post"])
    def amendments(self, request: Request, pk: Any = None) -> Response:
        data = NewAmendmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        amendment = services.amend(
            actor=actor_of(request), encounter=self.get_object(), **data.validated_data
        )
        return Response(AmendmentSerializer(amendment).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NewItemSerializer, responses={201: ItemSerializer})
    @action(detail=True, methods=["post"])
    def medicines(self, request: Request, pk: Any = None) -> Response:
        """Add a medicine; the answer carries the safety alerts it raised."""
        data = NewItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = prescribing.add_item(
            actor=actor_of(request), encounter=self.get_object(), details=data.validated_data
        )
        return Response(ItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RowReasonSerializer, responses=AlertSerializer)
    @action(detail=True, methods=["post"])
    def override(self, request: Request, pk: Any = None) -> Response:
        """Override one of this encounter's safety alerts, with a reason."""
        data = RowReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        encounter = self.get_object()
        alert = _of_encounter(SafetyAlert, encounter, data.validated_data["id"], "item__")
        done = prescribing.override(
            actor=actor_of(request), alert=alert, reason=data.validated_data["reason"]
        )
        return Response(AlertSerializer(done).data)

    @extend_schema(request=RowReasonSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["post"], url_path="stop-medicine")
    def stop_medicine(self, request: Request, pk: Any = None) -> Response:
        data = RowReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        encounter = self.get_object()
        item = _of_encounter(PrescriptionItem, encounter, data.validated_data["id"], "")
        stopped = prescribing.stop_item(
            actor=actor_of(request), item=item, reason=data.validated_data["reason"]
        )
        return Response(ItemSerializer(stopped).data)


def _of_encounter(model: Any, encounter: Encounter, pk: int, prefix: str) -> Any:
    """A row of this encounter's prescription, or a field error naming ``id``."""
    lookup = {f"{prefix}prescription__encounter": encounter, "pk": pk}
    found = model.objects.for_clinic(encounter.clinic).filter(**lookup).first()
    if found is None:
        raise DomainError("No such record.", field="id")
    return found


class PrescriptionViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Prescription],
):
    """Issued prescriptions and their items (``?patient=&status=``)."""

    queryset = Prescription.objects.select_related("clinic").prefetch_related("items__alerts")
    serializer_class = PrescriptionSerializer
    patient_key = "patient_id"
    filterset_fields = ["patient", "status"]
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "prescriptions.view",
        "retrieve": "prescriptions.view",
    }


class Icd10View(APIView):
    policy_action: ClassVar[str] = "clinical.view"

    @extend_schema(
        parameters=[OpenApiParameter("q", str, description="A code or words")],
        responses=Icd10Serializer(many=True),
    )
    def get(self, request: Request) -> Response:
        rows = selectors.search_icd10(request.query_params.get("q", ""))
        return Response(Icd10Serializer(rows, many=True).data)


def register(router: BaseRouter) -> None:
    router.register("encounters", EncounterViewSet, basename="encounter")
    router.register("prescriptions", PrescriptionViewSet, basename="prescription")
