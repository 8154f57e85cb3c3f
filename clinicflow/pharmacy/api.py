"""The pharmacy API: the same policy, services, refusals and audit as the pages.

/api/v1/medicines/                   the catalogue (``?q=&is_active=``) with what is available
                                     to dispense; add, change (never delete: ``is_active``)
/api/v1/batches/                     stock by batch (``?medicine=&expired=&near_expiry=<days>``);
                                     ``adjust/``, ``count/``, ``write-off/``
/api/v1/goods-receipts/              deliveries with their lines; receive one
/api/v1/stock-movements/             the ledger, read only (``?batch=&medicine=&kind=&since=``)
/api/v1/pharmacy-queue/              prescriptions waiting, with what remains of each item
/api/v1/dispensing/{prescription}/   where a prescription stands; ``findings/``, ``review/``,
                                     ``dispense/``, ``cancel/``
/api/v1/dispenses/                   what was given to whom (every read audited)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, ClassVar

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from clinicflow.clinical.models import Prescription, PrescriptionItem, PrescriptionStatus
from clinicflow.core import policy
from clinicflow.core.access import ScopedViewSetMixin, actor_of, referenced_object
from clinicflow.core.api_fields import OffsetDateTimeField
from clinicflow.core.audit.reads import record_row_read, record_rows_read
from clinicflow.core.errors import DomainError
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.rest import DefaultPagination
from clinicflow.core.serializers import ClinicFlowModelSerializer, ClinicFlowSerializer
from clinicflow.pharmacy import catalogue, dispensing, queue, stock
from clinicflow.pharmacy.dispensing import ItemProgress
from clinicflow.pharmacy.models import (
    Dispense,
    GoodsReceipt,
    Medicine,
    MovementKind,
    Review,
    StockBatch,
    StockMovement,
)
from clinicflow.pharmacy.views import CatalogueFilter

# ---------------------------------------------------------------- the catalogue


class AvailableField(serializers.DecimalField):
    """What may be dispensed now (expired batches not counted): the list's annotation when
    there is one, ``stock.available`` otherwise."""

    def __init__(self, **kwargs: Any):
        super().__init__(max_digits=12, decimal_places=2, read_only=True, source="*", **kwargs)

    def to_representation(self, value: Any) -> Any:
        summed = getattr(value, "available_now", None)
        return super().to_representation(stock.available(value) if summed is None else summed)


class MedicineSerializer(ClinicFlowModelSerializer[Medicine]):
    available = AvailableField()

    class Meta:
        model = Medicine
        fields = ["id", *catalogue.EDITABLE, "available"]
        read_only_fields = ["id", "available"]
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "sale_price": {"min_value": Decimal("0")},
            "max_daily_mg": {"min_value": Decimal("0.01")},
            "mg_per_unit": {"min_value": Decimal("0.01")},
        }


class CataloguePagination(DefaultPagination):
    ordering = ("generic_name", "pk")  # type: ignore[assignment]  # DRF takes a tuple too


class MedicineViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Medicine],
):
    """The clinic's medicines. There is no delete: a medicine no longer stocked is made
    inactive (``is_active: false``)."""

    queryset = Medicine.objects.all()
    serializer_class = MedicineSerializer
    filterset_class = CatalogueFilter
    pagination_class = CataloguePagination
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "pharmacy.catalogue.view",
        "retrieve": "pharmacy.catalogue.view",
        "create": "pharmacy.catalogue.manage",
        "update": "pharmacy.catalogue.manage",
        "partial_update": "pharmacy.catalogue.manage",
    }

    def get_queryset(self) -> QuerySet[Medicine]:
        rows = super().get_queryset()
        return stock.with_available(rows) if self.action == "list" else rows

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = catalogue.save_medicine(
            actor=actor_of(self.request), fields=serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = catalogue.save_medicine(
            actor=actor_of(self.request),
            medicine=serializer.instance,
            fields=serializer.validated_data,
        )


# ---------------------------------------------------------------- stock


class BatchSerializer(ClinicFlowModelSerializer[StockBatch]):
    medicine_name = serializers.CharField(source="medicine", read_only=True)
    expired = serializers.SerializerMethodField()

    class Meta:
        model = StockBatch
        fields = [
            "id", "medicine", "medicine_name", "batch_number", "expiry_date", "cost_price",
            "sale_price", "on_hand", "expired", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_expired(self, batch: StockBatch) -> bool:
        """Expired batches are never offered and only leave by a write-off."""
        return stock.is_expired(batch)


class MovementSerializer(ClinicFlowModelSerializer[StockMovement]):
    medicine = serializers.IntegerField(source="batch.medicine_id", read_only=True)
    medicine_name = serializers.CharField(source="batch.medicine", read_only=True)
    batch_number = serializers.CharField(source="batch.batch_number", read_only=True)
    by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = StockMovement
        fields = [
            "id", "batch", "medicine", "medicine_name", "batch_number", "kind", "quantity",
            "balance_after", "reason", "receipt", "dispense", "by", "at",
        ]  # fmt: skip
        read_only_fields = fields


class AdjustSerializer(ClinicFlowSerializer):
    quantity = serializers.CharField(
        max_length=20, help_text="Signed: -3 takes three away (damage), 5 adds five."
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class CountSerializer(ClinicFlowSerializer):
    counted = serializers.CharField(max_length=20, help_text="What is on the shelf.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class WriteOffSerializer(ClinicFlowSerializer):
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed unless the batch has expired.",
    )


class BatchFilter(ClinicFilterSet):
    medicine = django_filters.NumberFilter(field_name="medicine_id")
    expired = django_filters.BooleanFilter(method="by_expiry")
    near_expiry = django_filters.NumberFilter(
        method="by_near_expiry",
        min_value=0,
        max_value=3650,
        label="Expiring within this many days (in stock, not yet expired)",
    )

    class Meta:
        model = StockBatch
        fields = ["medicine", "expired", "near_expiry"]

    def by_expiry(self, rows: QuerySet[StockBatch], name: str, value: bool) -> QuerySet[StockBatch]:
        today = stock.today()
        return rows.filter(expiry_date__lte=today) if value else rows.filter(expiry_date__gt=today)

    def by_near_expiry(
        self, rows: QuerySet[StockBatch], name: str, value: Decimal
    ) -> QuerySet[StockBatch]:
        today = stock.today()
        return rows.filter(
            on_hand__gt=0,
            expiry_date__gt=today,
            expiry_date__lte=today + timedelta(days=int(value)),
        )


class BatchPagination(DefaultPagination):
    ordering = ("expiry_date", "pk")  # type: ignore[assignment]  # first expiring first


class BatchViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[StockBatch],
):
    """Stock by batch, first expiring first. Every change is a ledger row written by the
    stock service; the answer to a change is that row."""

    queryset = StockBatch.objects.select_related("medicine")
    serializer_class = BatchSerializer
    filterset_class = BatchFilter
    pagination_class = BatchPagination
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "pharmacy.stock.view",
        "retrieve": "pharmacy.stock.view",
        "adjust": "pharmacy.stock.manage",
        "count": "pharmacy.stock.manage",
        "write_off": "pharmacy.stock.manage",
    }

    @staticmethod
    def _moved(movement: StockMovement) -> Response:
        return Response(MovementSerializer(movement).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AdjustSerializer, responses={201: MovementSerializer})
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, pk: Any = None) -> Response:
        """Correct the batch by a signed quantity (damage, a miscount), with a reason."""
        data = AdjustSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._moved(
            stock.adjust(actor=actor_of(request), batch=self.get_object(), **data.validated_data)
        )

    @extend_schema(request=CountSerializer, responses={201: MovementSerializer, 204: None})
    @action(detail=True, methods=["post"])
    def count(self, request: Request, pk: Any = None) -> Response:
        """A stock count: the ledger is adjusted to the shelf (204 when they already agree)."""
        data = CountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        movement = stock.count(
            actor=actor_of(request), batch=self.get_object(), **data.validated_data
        )
        if movement is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._moved(movement)

    @extend_schema(request=WriteOffSerializer, responses={201: MovementSerializer})
    @action(detail=True, methods=["post"], url_path="write-off")
    def write_off(self, request: Request, pk: Any = None) -> Response:
        """Move the batch's whole quantity out (expired, recalled, spoiled)."""
        data = WriteOffSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._moved(
            stock.write_off(actor=actor_of(request), batch=self.get_object(), **data.validated_data)
        )


class ReceiptLineSerializer(ClinicFlowModelSerializer[StockMovement]):
    """A line as received: its ``receive`` row in the ledger and the batch it went into."""

    medicine = serializers.IntegerField(source="batch.medicine_id", read_only=True)
    medicine_name = serializers.CharField(source="batch.medicine", read_only=True)
    batch_number = serializers.CharField(source="batch.batch_number", read_only=True)
    expiry_date = serializers.DateField(source="batch.expiry_date", read_only=True)
    cost_price = serializers.DecimalField(
        source="batch.cost_price", max_digits=10, decimal_places=2, read_only=True
    )
    sale_price = serializers.DecimalField(
        source="batch.sale_price", max_digits=10, decimal_places=2, read_only=True
    )

    class Meta:
        model = StockMovement
        fields = [
            "batch", "medicine", "medicine_name", "batch_number", "expiry_date", "quantity",
            "cost_price", "sale_price",
        ]  # fmt: skip
        read_only_fields = fields


class GoodsReceiptSerializer(ClinicFlowModelSerializer[GoodsReceipt]):
    received_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    lines = ReceiptLineSerializer(source="movements", many=True, read_only=True)

    class Meta:
        model = GoodsReceipt
        fields = [
            "id", "supplier", "invoice_number", "invoice_date", "note", "received_by",
            "received_at", "lines",
        ]  # fmt: skip
        read_only_fields = fields


class NewLineSerializer(ClinicFlowSerializer):
    """Types only: the stock service checks each line and names it (``lines.2.expiry_date``)."""

    medicine = serializers.IntegerField(help_text="A medicine of the catalogue, by id.")
    batch_number = serializers.CharField(max_length=60, allow_blank=True)
    expiry_date = serializers.DateField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=2)
    cost_price = serializers.DecimalField(max_digits=10, decimal_places=2)
    sale_price = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        required=False,
        allow_null=True,
        help_text="Defaults to the medicine's sale price.",
    )


class NewReceiptSerializer(ClinicFlowSerializer):
    supplier = serializers.CharField(max_length=120)
    invoice_number = serializers.CharField(max_length=60)
    invoice_date = serializers.DateField(required=False, allow_null=True, default=None)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lines = NewLineSerializer(many=True)


class ReceiptFilter(ClinicFilterSet):
    supplier = django_filters.CharFilter(lookup_expr="icontains")
    since = django_filters.DateFilter(field_name="received_at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="received_at", lookup_expr="date__lte")

    class Meta:
        model = GoodsReceipt
        fields = ["supplier", "since", "until"]


class GoodsReceiptViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[GoodsReceipt],
):
    """Deliveries from suppliers. Receiving one adds each line to its batch (created at its
    first delivery); one bad line stores nothing."""

    queryset = GoodsReceipt.objects.select_related("received_by").prefetch_related(
        "movements__batch__medicine"
    )
    serializer_class = GoodsReceiptSerializer
    filterset_class = ReceiptFilter
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "pharmacy.stock.view",
        "retrieve": "pharmacy.stock.view",
        "create": "pharmacy.stock.manage",
    }

    @extend_schema(request=NewReceiptSerializer, responses={201: GoodsReceiptSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = NewReceiptSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        receipt = stock.receive(
            actor=actor_of(request),
            supplier=given["supplier"],
            invoice_number=given["invoice_number"],
            invoice_date=given["invoice_date"],
            note=given["note"],
            lines=[dict(line) for line in given["lines"]],
        )
        fresh = self.get_queryset().get(pk=receipt.pk)
        return Response(GoodsReceiptSerializer(fresh).data, status=status.HTTP_201_CREATED)


class MovementFilter(ClinicFilterSet):
    batch = django_filters.NumberFilter(field_name="batch_id")
    medicine = django_filters.NumberFilter(field_name="batch__medicine_id")
    kind = django_filters.ChoiceFilter(choices=MovementKind.choices)
    receipt = django_filters.NumberFilter(field_name="receipt_id")
    since = django_filters.DateFilter(field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="at", lookup_expr="date__lte")

    class Meta:
        model = StockMovement
        fields = ["batch", "medicine", "kind", "receipt", "since", "until"]


class StockMovementViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[StockMovement],
):
    """The append-only stock ledger, newest first: read only, as the database keeps it."""

    queryset = StockMovement.objects.select_related("batch__medicine", "by")
    serializer_class = MovementSerializer
    filterset_class = MovementFilter
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "pharmacy.stock.view",
        "retrieve": "pharmacy.stock.view",
    }


# ---------------------------------------------------------------- dispensing


@dataclass(frozen=True)
class Standing:
    """Where a prescription stands for the pharmacy: each active item's progress and, when
    asked, the latest review."""

    prescription: Prescription
    items: Sequence[ItemProgress]
    review: Review | None = None


def standings(clinic: Any, prescriptions: Sequence[Prescription]) -> list[Standing]:
    """Where each prescription of a queue page stands, in one query (their active items come
    prefetched by ``queue.pending``)."""
    items_of = {p.pk: p.active_items for p in prescriptions}  # type: ignore[attr-defined]
    progress = dispensing.progress_of(clinic, items_of)
    return [Standing(prescription=p, items=progress[p.pk]) for p in prescriptions]


class ItemProgressSerializer(ClinicFlowSerializer):
    id = serializers.IntegerField(source="item.pk")
    medicine_name = serializers.CharField(source="item.medicine_name")
    strength = serializers.CharField(source="item.strength")
    form = serializers.CharField(source="item.form")
    free_text = serializers.BooleanField(
        source="item.free_text", help_text="Not picked from the catalogue."
    )
    quantity = serializers.DecimalField(source="item.quantity", max_digits=8, decimal_places=2)
    in_words = serializers.CharField(source="item.in_words")
    dispensed = serializers.DecimalField(max_digits=12, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=12, decimal_places=2)
    completed = serializers.BooleanField()


class QueueRowSerializer(ClinicFlowSerializer):
    id = serializers.UUIDField(source="prescription.pk")
    patient = serializers.UUIDField(source="prescription.patient_id")
    patient_name = serializers.CharField(source="prescription.patient.full_name")
    patient_mrn = serializers.CharField(source="prescription.patient.mrn")
    prescriber = serializers.IntegerField(source="prescription.prescriber_id")
    prescriber_name = serializers.CharField(source="prescription.prescriber")
    status = serializers.ChoiceField(
        source="prescription.status", choices=PrescriptionStatus.choices
    )
    issued_at = OffsetDateTimeField(source="prescription.issued_at")
    items = ItemProgressSerializer(many=True)


class ReviewFindingSerializer(ClinicFlowSerializer):
    """One finding as the review stored it."""

    item = serializers.IntegerField()
    medicine = serializers.CharField()
    kind = serializers.CharField()
    message = serializers.CharField()
    prescriber_reason = serializers.CharField(
        help_text="The doctor's override at signing; empty when the warning is new."
    )


class ReviewSerializer(ClinicFlowModelSerializer[Review]):
    findings = ReviewFindingSerializer(many=True, read_only=True)
    reviewed_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = Review
        fields = ["id", "prescription", "findings", "note", "reviewed_by", "reviewed_at"]
        read_only_fields = fields


class StandingSerializer(QueueRowSerializer):
    status_reason = serializers.CharField(source="prescription.status_reason")
    review = ReviewSerializer(allow_null=True, help_text="The latest review, if any.")


class FindingSerializer(ClinicFlowSerializer):
    item = serializers.IntegerField(source="item.pk")
    medicine = serializers.CharField(source="item")
    kind = serializers.CharField()
    message = serializers.CharField()
    prescriber_reason = serializers.CharField()
    is_new = serializers.BooleanField(
        help_text="A blocking warning the doctor did not override: needs a note."
    )


class ReviewNoteSerializer(ClinicFlowSerializer):
    note = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed when a warning is new since the doctor signed.",
    )


class NewDispenseSerializer(ClinicFlowSerializer):
    item = serializers.IntegerField(help_text="The prescription item, by id.")
    quantity = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="Default: the rest."
    )
    medicine = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Another product than the prescribed one needs substitution_reason.",
    )
    batch = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Default: first expiring first; another batch needs batch_reason.",
    )
    batch_reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    substitution_reason = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    complete = serializers.BooleanField(
        default=False, help_text="No more of this item is needed (e.g. one bottle is enough)."
    )


class CancelSerializer(ClinicFlowSerializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class DispenseSerializer(ClinicFlowModelSerializer[Dispense]):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    prescriber = serializers.IntegerField(source="prescription.prescriber_id", read_only=True)
    prescriber_name = serializers.CharField(source="prescription.prescriber", read_only=True)
    prescribed = serializers.CharField(source="item", read_only=True)
    medicine_name = serializers.CharField(source="medicine", read_only=True)
    batch_number = serializers.CharField(source="batch.batch_number", read_only=True)
    expiry_date = serializers.DateField(source="batch.expiry_date", read_only=True)
    dispensed_by_name: serializers.StringRelatedField[Any] = serializers.StringRelatedField(
        source="dispensed_by"
    )

    class Meta:
        model = Dispense
        fields = [
            "id", "prescription", "item", "prescribed", "patient", "patient_name",
            "patient_mrn", "prescriber", "prescriber_name", "medicine", "medicine_name",
            "batch", "batch_number", "expiry_date", "quantity", "unit_price",
            "substitution_reason", "batch_reason", "completes_item", "dispensed_by",
            "dispensed_by_name", "dispensed_at",
        ]  # fmt: skip
        read_only_fields = fields


#: A dispense with everything its answer shows, in one query.
DISPENSES = Dispense.objects.select_related(
    "patient", "prescription__prescriber__user", "item", "medicine", "batch", "dispensed_by"
)


class QueuePagination(DefaultPagination):
    ordering = ("issued_at", "pk")  # type: ignore[assignment]  # oldest first


class PharmacyQueueViewSet(viewsets.GenericViewSet[Prescription]):
    """The prescriptions waiting for the pharmacy, oldest first, with what remains to give."""

    serializer_class = QueueRowSerializer
    pagination_class = QueuePagination
    policy_actions: ClassVar[dict[str, str]] = {"list": "pharmacy.queue"}

    def get_queryset(self) -> QuerySet[Prescription]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no actor
            return Prescription.objects.none()
        actor = actor_of(self.request)
        if actor.clinic is None:
            return Prescription.objects.none()
        return policy.restrict(actor, "pharmacy.queue", queue.pending(actor.clinic))

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []
        record_rows_read(
            Prescription, page, patient_key="patient_id", part="pharmacy queue", via="api"
        )
        rows = standings(actor_of(request).clinic, page)
        return self.get_paginated_response(QueueRowSerializer(rows, many=True).data)


def _chosen(request: Request, action: str, model: Any, pk: Any, field: str) -> Any:
    """A record the body names by id (none when none), the error naming the body's field."""
    try:
        return referenced_object(request, action, model, pk, optional=True)
    except DomainError as exc:
        exc.field = field
        raise


class DispensingViewSet(
    ScopedViewSetMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Prescription]
):
    """A prescription at the pharmacy, by the prescription's id: the review (the safety
    checks again, against today's chart), then dispensing item by item, or cancelling."""

    queryset = Prescription.objects.exclude(status=PrescriptionStatus.DRAFT).select_related(
        "patient", "prescriber__user"
    )
    serializer_class = StandingSerializer
    pagination_class = None  # one prescription: its findings and dispenses are short lists
    patient_key = "patient_id"
    policy_actions: ClassVar[dict[str, str]] = {
        "retrieve": "pharmacy.queue",
        "findings": "pharmacy.dispense",
        "review": "pharmacy.dispense",
        "dispense": "pharmacy.dispense",
        "cancel": "pharmacy.dispense",
    }

    def _standing(self, prescription: Prescription) -> Response:
        fresh = self.queryset.for_clinic(actor_of(self.request).clinic).get(pk=prescription.pk)
        standing = Standing(
            prescription=fresh,
            items=dispensing.progress(fresh),
            review=dispensing.latest_review(fresh),
        )
        return Response(StandingSerializer(standing).data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        prescription = self.get_object()
        record_row_read(prescription, patient_key="patient_id", part="dispensing", via="api")
        return self._standing(prescription)

    @extend_schema(responses=FindingSerializer(many=True))
    @action(detail=True, methods=["get"])
    def findings(self, request: Request, pk: Any = None) -> Response:
        """What the safety checks say today, with the doctor's override where there was one."""
        prescription = self.get_object()
        record_row_read(prescription, patient_key="patient_id", part="findings", via="api")
        found = dispensing.findings(prescription)
        return Response(FindingSerializer(found, many=True).data)

    @extend_schema(request=ReviewNoteSerializer, responses={201: ReviewSerializer})
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: Any = None) -> Response:
        """Record the pharmacist's review; a warning new since signing needs a note."""
        data = ReviewNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = dispensing.review(
            actor=actor_of(request), prescription=self.get_object(), **data.validated_data
        )
        return Response(ReviewSerializer(done).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=NewDispenseSerializer, responses={201: DispenseSerializer(many=True)})
    @action(detail=True, methods=["post"])
    def dispense(self, request: Request, pk: Any = None) -> Response:
        """Give (part of) one item; the answer lists a row per batch it came from."""
        data = NewDispenseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        item = self._item_of_prescription(pk, given["item"])
        rows = dispensing.dispense(
            actor=actor_of(request),
            item=item,
            quantity=given["quantity"],
            medicine=_chosen(
                request, "pharmacy.catalogue.view", Medicine, given["medicine"], "medicine"
            ),
            batch=_chosen(request, "pharmacy.stock.view", StockBatch, given["batch"], "batch"),
            batch_reason=given["batch_reason"],
            substitution_reason=given["substitution_reason"],
            complete=given["complete"],
        )
        # The rows come back with everything the answer names already read.
        return Response(DispenseSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)

    def _item_of_prescription(self, pk: Any, item_pk: Any) -> PrescriptionItem:
        """The item with its prescription in one query, which must be a prescription this
        view may reach (``get_object``'s queryset and object checks, as for any other action)."""
        items = PrescriptionItem.objects.for_clinic(actor_of(self.request).clinic)
        try:
            item = (
                items.select_related("prescription")
                .filter(prescription__in=self.get_queryset(), prescription_id=pk, pk=item_pk)
                .first()
            )
        except (ValueError, DjangoValidationError):  # a malformed id in the address
            item = None
        if item is None:
            self.get_object()  # 404 for a prescription out of reach
            raise DomainError("No such medicine on this prescription.", field="item")
        self.check_object_permissions(self.request, item.prescription)
        return item

    @extend_schema(request=CancelSerializer, responses=StandingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """Nothing more will be dispensed; what was given stays on record."""
        data = CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = dispensing.cancel(
            actor=actor_of(request), prescription=self.get_object(), **data.validated_data
        )
        return self._standing(done)


class DispenseFilter(ClinicFilterSet):
    since = django_filters.DateFilter(field_name="dispensed_at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="dispensed_at", lookup_expr="date__lte")
    patient = django_filters.UUIDFilter(field_name="patient_id")
    prescription = django_filters.UUIDFilter(field_name="prescription_id")
    prescriber = django_filters.NumberFilter(field_name="prescription__prescriber_id")
    medicine = django_filters.NumberFilter(field_name="medicine_id")
    dispensed_by = django_filters.UUIDFilter(field_name="dispensed_by_id")

    class Meta:
        model = Dispense
        fields = [
            "since", "until", "patient", "prescription", "prescriber", "medicine",
            "dispensed_by",
        ]  # fmt: skip


class DispenseViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Dispense],
):
    """What was dispensed, to whom, by whom, newest first. Each read is audited: the rows are
    the patients' medicines."""

    queryset = DISPENSES
    serializer_class = DispenseSerializer
    filterset_class = DispenseFilter
    patient_key = "patient_id"
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "pharmacy.history",
        "retrieve": "pharmacy.history",
    }


def register(router: BaseRouter) -> None:
    router.register("medicines", MedicineViewSet, basename="medicine")
    router.register("batches", BatchViewSet, basename="stock-batch")
    router.register("goods-receipts", GoodsReceiptViewSet, basename="goods-receipt")
    router.register("stock-movements", StockMovementViewSet, basename="stock-movement")
    router.register("pharmacy-queue", PharmacyQueueViewSet, basename="pharmacy-queue")
    router.register("dispensing", DispensingViewSet, basename="dispensing")
    router.register("dispenses", DispenseViewSet, basename="dispense")
