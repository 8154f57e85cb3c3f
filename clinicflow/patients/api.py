"""The patients API: the same policy, services and audit as the pages.

/api/v1/patients/            list: who the patients are, not their charts (``?q=`` searches like
                             the search box, narrowed by ``sex``, ``age`` — an age or a birth
                             year — and ``phone`` digits; paged); create
/api/v1/patients/{id}/       retrieve (the record: audited as a chart read), update — never delete
/api/v1/allergies/, /api/v1/conditions/    list (``?patient=``), create, retrieve, ``status``
/api/v1/documents/           list (``?patient=``), upload, retrieve, ``content``,
                             ``entered_in_error``
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.http import FileResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.utils.urls import replace_query_param

from clinicflow.core import policy
from clinicflow.core.access import ScopedViewSetMixin, access_object, actor_of
from clinicflow.core.audit.recorder import record
from clinicflow.core.models import AuditAction
from clinicflow.core.rest import DefaultPagination
from clinicflow.core.serializers import (
    ClinicFlowModelSerializer,
    ClinicFlowSerializer,
    ClinicScopedSerializer,
)
from clinicflow.patients import services
from clinicflow.patients.file_responses import uploaded_file_response
from clinicflow.patients.forms import FindForm
from clinicflow.patients.models import (
    Allergy,
    ClinicalStatus,
    Condition,
    DocumentCategory,
    DocumentStatus,
    Patient,
    PatientDocument,
    Sex,
)
from clinicflow.patients.search import search_page
from clinicflow.patients.uploads import read_upload

#: A search's page size over the API unless ``page_size`` asks for another.
SEARCH_PAGE = 50

# ---------------------------------------------------------------- serializers


class PatientSerializer(ClinicFlowModelSerializer[Patient]):
    age_years = serializers.IntegerField(
        write_only=True, required=False, min_value=0, max_value=130
    )
    confirm_new = serializers.BooleanField(write_only=True, required=False, default=False)

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            *services.DETAIL_FIELDS,
            "age_years",
            "birth_date_estimated",
            "allergy_statement",
            "is_active",
            "created_at",
            "confirm_new",
        ]
        read_only_fields = [
            "id",
            "mrn",
            "birth_date_estimated",
            "allergy_statement",
            "is_active",
            "created_at",
        ]

    def details(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("confirm_new", None)
        return data


class PatientIdentitySerializer(ClinicFlowModelSerializer[Patient]):
    """Who a patient is, to find them (every staff role): name, MRN, age, sex, phone."""

    age_years = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = sorted(policy.PATIENT_IDENTITY)
        read_only_fields = fields

    def get_age_years(self, patient: Patient) -> int | None:
        return patient.age_on(timezone.localdate())


class _ChartEntrySerializer(ClinicScopedSerializer):
    patient = serializers.PrimaryKeyRelatedField(queryset=Patient.objects.all())
    recorded_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()


class AllergySerializer(_ChartEntrySerializer):
    class Meta:
        model = Allergy
        fields = [
            "id",
            "patient",
            "substance",
            "reaction",
            "severity",
            "status",
            "status_reason",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["status", "status_reason", "recorded_by", "recorded_at"]


class ConditionSerializer(_ChartEntrySerializer):
    class Meta:
        model = Condition
        fields = [
            "id",
            "patient",
            "description",
            "icd10_code",
            "onset",
            "status",
            "status_reason",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["status", "status_reason", "recorded_by", "recorded_at"]


class StatusSerializer(ClinicFlowSerializer):
    status = serializers.ChoiceField(choices=ClinicalStatus.choices)
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DocumentSerializer(_ChartEntrySerializer):
    file = serializers.FileField(write_only=True)
    uploaded_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    category = serializers.ChoiceField(choices=DocumentCategory.choices)

    class Meta:
        model = PatientDocument
        fields = [
            "id",
            "patient",
            "category",
            "title",
            "document_date",
            "content_type",
            "size",
            "sha256",
            "status",
            "status_reason",
            "uploaded_by",
            "uploaded_at",
            "file",
        ]
        read_only_fields = [
            "content_type",
            "size",
            "sha256",
            "status",
            "status_reason",
            "uploaded_by",
            "uploaded_at",
        ]
        extra_kwargs: ClassVar[dict[str, Any]] = {"title": {"required": False, "allow_blank": True}}


class PatientSearchPageSerializer(ClinicFlowSerializer):
    next = serializers.URLField(allow_null=True)
    results = PatientIdentitySerializer(many=True)


class ReasonSerializer(ClinicFlowSerializer):
    reason = serializers.CharField(max_length=200)


# ---------------------------------------------------------------- views


class PatientPagination(DefaultPagination):
    ordering = "-mrn_seq"


class PatientViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Patient],
):
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    pagination_class = PatientPagination
    patient_key = "pk"
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "patients.search",
        "retrieve": "patients.chart",
        "create": "patients.register",
        "update": "patients.edit",
        "partial_update": "patients.edit",
    }

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Patient]]:
        if self.action == "list":
            return PatientIdentitySerializer
        return PatientSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Name, phone, e-mail or MRN"),
            OpenApiParameter("sex", str, enum=[value for value, _ in Sex.choices]),
            OpenApiParameter("age", int, description="An age in years, or a year of birth"),
            OpenApiParameter("phone", str, description="Digits the phone number contains"),
            OpenApiParameter("after", str, description="The next page of a search (``next``)"),
        ],
        responses=PatientSearchPageSerializer,
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Without a search, the newest registrations (``cursor`` paging); with one, the best
        matches first (``after`` paging)."""
        form = FindForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {name: [str(e) for e in errors] for name, errors in form.errors.items()}
            )
        text = form.cleaned_data["q"].strip()
        narrowing = form.narrowing()
        if not (text or narrowing):
            return super().list(request, *args, **kwargs)
        clinic = actor_of(request).clinic
        assert clinic is not None  # the policy refuses clinic-less actors
        page = search_page(
            clinic,
            text,
            narrowing=narrowing,
            after=form.cleaned_data["after"] or None,
            size=PatientPagination().get_page_size(request) or SEARCH_PAGE,
        )
        following = None
        if page.next_cursor:
            following = replace_query_param(request.build_absolute_uri(), "after", page.next_cursor)
        results = self.get_serializer(page.items, many=True).data
        return Response({"next": following, "results": results})

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.register_patient(
            actor=actor_of(self.request),
            details=serializer.details(),
            confirm_new=serializer.validated_data.get("confirm_new", False),
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_patient(
            actor=actor_of(self.request),
            patient=serializer.instance,
            changes=serializer.details(),
        )


class _PatientRowViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet[Any],
):
    """Rows of a patient's chart: listed per patient, created and corrected through services."""

    patient_key = "patient_id"

    def get_queryset(self) -> Any:
        rows = super().get_queryset().select_related("patient")
        patient = self.request.query_params.get("patient")
        if patient:
            rows = rows.filter(patient_id=patient)
        return rows

    def _patient_for(self, serializer: Any, action: str) -> Patient:
        return access_object(
            actor_of(self.request),
            action,
            Patient.objects.all(),
            pk=serializer.validated_data["patient"].pk,
        )


class _ClinicalEntryViewSet(_PatientRowViewSet):
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "patients.chart",
        "retrieve": "patients.chart",
        "create": "patients.clinical_edit",
        "status": "patients.clinical_edit",
    }

    @extend_schema(request=StatusSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: Any = None) -> Response:
        """Resolve, reactivate, or mark entered in error (with a reason)."""
        entry = self.get_object()
        data = StatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.change_record_status(
            actor=actor_of(request), entry=entry, **data.validated_data
        )
        return Response(self.get_serializer(entry).data)


class AllergyViewSet(_ClinicalEntryViewSet):
    queryset = Allergy.objects.all()
    serializer_class = AllergySerializer

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.record_allergy(
            actor=actor_of(self.request),
            patient=self._patient_for(serializer, "patients.clinical_edit"),
            substance=data["substance"],
            reaction=data.get("reaction", ""),
            severity=data.get("severity", Allergy._meta.get_field("severity").default),
        )


class ConditionViewSet(_ClinicalEntryViewSet):
    queryset = Condition.objects.all()
    serializer_class = ConditionSerializer

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.record_condition(
            actor=actor_of(self.request),
            patient=self._patient_for(serializer, "patients.clinical_edit"),
            description=data["description"],
            icd10_code=data.get("icd10_code", ""),
            onset=data.get("onset", ""),
        )


class DocumentViewSet(_PatientRowViewSet):
    queryset = PatientDocument.objects.filter(status=DocumentStatus.CURRENT)
    serializer_class = DocumentSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "patients.documents.view",
        "retrieve": "patients.documents.view",
        "create": "patients.documents.upload",
        "content": "patients.documents.view",
        "entered_in_error": "patients.documents.upload",
    }

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        upload = data["file"]
        serializer.instance = services.upload_document(
            actor=actor_of(self.request),
            patient=self._patient_for(serializer, "patients.documents.upload"),
            content=read_upload(upload),
            original_name=upload.name or "",
            category=data["category"],
            title=data.get("title", ""),
            document_date=data.get("document_date"),
        )

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(detail=True, methods=["get"])
    def content(self, request: Request, pk: Any = None) -> FileResponse:
        """The file itself; each download is audited."""
        doc = self.get_object()
        record(AuditAction.VIEW, obj=doc, changes={"part": "document", "via": "api"})
        return uploaded_file_response(doc.file, content_type=doc.content_type, download=True)

    @extend_schema(request=ReasonSerializer)
    @action(detail=True, methods=["post"])
    def entered_in_error(self, request: Request, pk: Any = None) -> Response:
        doc = self.get_object()
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        doc = services.mark_document_entered_in_error(
            actor=actor_of(request),
            document=doc,
            reason=data.validated_data["reason"],
        )
        return Response(self.get_serializer(doc).data, status=status.HTTP_200_OK)


def register(router: BaseRouter) -> None:
    router.register("patients", PatientViewSet, basename="patient")
    router.register("allergies", AllergyViewSet, basename="allergy")
    router.register("conditions", ConditionViewSet, basename="condition")
    router.register("documents", DocumentViewSet, basename="document")
