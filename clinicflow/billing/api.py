"""The billing API: the same policy, services, refusals and audit as the cash desk's pages.

/api/v1/price-items/                   the price list with each item's price today; add an
                                       item; ``set-price/`` from a day on
/api/v1/charges/                       charges (``?patient=&status=``); add one by hand;
                                       ``void/``
/api/v1/invoices/                      invoices and credit notes with lines, payments and what
                                       the patient still owes; draft (or issue at once);
                                       ``issue/``, ``discount/``, ``approve-discount/``,
                                       ``discard/``, ``credit/``, ``pay/``, ``use-credit/``,
                                       ``qr/``
/api/v1/payments/                      receipts with their tenders; ``deposit/``
/api/v1/refunds/                       refunds; ask for one; ``approve/``, ``reject/``,
                                       ``pay-out/``
/api/v1/shifts/                        one's own shifts (a manager: everyone's); ``open/``,
                                       ``close/``, ``summary/``, ``sign-off/``
/api/v1/billing/webhooks/<provider>/<clinic code>/
                                       a payment gateway's signed callback (public)

Money is written as strings with two decimals ("1250.00"), in and out.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from clinicflow.billing import charges, gateways, invoices, payments, prices, qr, shifts
from clinicflow.billing.models import (
    Charge,
    ChargeStatus,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    ItemKind,
    Method,
    Payment,
    PaymentPurpose,
    PriceItem,
    Refund,
    RefundStatus,
    Shift,
    TaxCategory,
    Tender,
)
from clinicflow.core.access import ScopedViewSetMixin, actor_of
from clinicflow.core.audit.reads import record_row_read
from clinicflow.core.audit.recorder import record
from clinicflow.core.errors import DomainError
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.models import AuditAction, Clinic
from clinicflow.core.serializers import (
    ClinicFlowModelSerializer,
    ClinicFlowSerializer,
    ClinicScopedSerializer,
)

logger = logging.getLogger(__name__)


def money_field(**kwargs: Any) -> serializers.DecimalField:
    """An amount handed out: a string with two decimals."""
    return serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, **kwargs)


def amount_input(**kwargs: Any) -> serializers.CharField:
    """An amount taken in: text, read by the service (``billing.money.read_amount``), which
    names the field in its refusal (negative, three decimals, too large)."""
    kwargs.setdefault("help_text", 'An amount with at most two decimals, e.g. "1250.50".')
    return serializers.CharField(max_length=20, **kwargs)


# ---------------------------------------------------------------- the price list


class PriceItemSerializer(ClinicFlowModelSerializer[PriceItem]):
    price = money_field(
        source="current_price",
        allow_null=True,
        help_text="Today's price on the standard list; null when it has none.",
    )

    class Meta:
        model = PriceItem
        fields = [
            "id", "code", "name", "kind", "department", "tax_category", "is_manual", "is_active",
            "price",
        ]  # fmt: skip
        read_only_fields = fields


class NewPriceItemSerializer(ClinicFlowSerializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=160)
    kind = serializers.ChoiceField(choices=[c for c in ItemKind.choices if c[0] != "medicine"])
    amount = amount_input()
    valid_from = serializers.DateField(required=False, help_text="Default: today.")
    tax_category = serializers.ChoiceField(choices=TaxCategory.choices, default=TaxCategory.EXEMPT)
    department = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")


class SetPriceSerializer(ClinicFlowSerializer):
    amount = amount_input()
    valid_from = serializers.DateField(required=False, help_text="Default: today.")


class PriceItemFilter(ClinicFilterSet):
    kind = django_filters.ChoiceFilter(choices=ItemKind.choices)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = PriceItem
        fields = ["kind", "is_active"]


class PriceItemViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[PriceItem],
):
    """The clinic's services and their price today. A price never changes: a new one applies
    from a day on, and charges keep the price they were made at."""

    queryset = PriceItem.objects.all()
    serializer_class = PriceItemSerializer
    filterset_class = PriceItemFilter
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "billing.prices.view",
        "retrieve": "billing.prices.view",
        "create": "billing.prices.manage",
        "set_price": "billing.prices.manage",
    }

    def get_queryset(self) -> QuerySet[PriceItem]:
        rows = super().get_queryset()
        clinic = getattr(getattr(self.request, "actor", None), "clinic", None)
        if clinic is None:  # the schema generator
            return rows.none()
        return prices.with_price_today(rows, clinic)

    def _item(self, pk: Any) -> Response:
        return Response(PriceItemSerializer(self.get_queryset().get(pk=pk)).data)

    @extend_schema(request=NewPriceItemSerializer, responses={201: PriceItemSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a service to the price list with its price (from today unless said)."""
        data = NewPriceItemSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = dict(data.validated_data)
        actor = actor_of(request)
        given.setdefault("valid_from", actor.clinic.local_date() if actor.clinic else None)
        item = prices.create_item(actor=actor, **given)
        answer = self._item(item.pk)
        answer.status_code = status.HTTP_201_CREATED
        return answer

    @extend_schema(request=SetPriceSerializer, responses=PriceItemSerializer)
    @action(detail=True, methods=["post"], url_path="set-price")
    def set_price(self, request: Request, pk: Any = None) -> Response:
        """A new price from a day on (today unless said); the old one keeps its days."""
        data = SetPriceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = self.get_object()
        actor = actor_of(request)
        prices.set_price(
            actor=actor,
            item=item,
            amount=data.validated_data["amount"],
            valid_from=data.validated_data.get("valid_from") or item.clinic.local_date(),
        )
        return self._item(item.pk)


# ---------------------------------------------------------------- charges


class ChargeSerializer(ClinicFlowModelSerializer[Charge]):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)

    class Meta:
        model = Charge
        fields = [
            "id", "patient", "patient_name", "patient_mrn", "item", "description", "quantity",
            "unit_price", "amount", "tax_category", "status", "void_reason", "charged_at",
        ]  # fmt: skip
        read_only_fields = fields


class NewChargeSerializer(ClinicScopedSerializer):
    quantity = serializers.CharField(max_length=20, default="1", help_text="How many, e.g. 2.")

    class Meta:
        model = Charge
        fields = ["patient", "item", "quantity"]
        extra_kwargs: ClassVar[dict[str, Any]] = {"item": {"required": True, "allow_null": False}}


class VoidReasonSerializer(ClinicFlowSerializer):
    reason = serializers.CharField(max_length=200)


class ChargeFilter(ClinicFilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    status = django_filters.ChoiceFilter(choices=ChargeStatus.choices)

    class Meta:
        model = Charge
        fields = ["patient", "status"]


#: A charge with everything its answer names, in one query.
CHARGES = Charge.objects.select_related("patient")


class ChargeViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Charge],
):
    """What patients were charged, newest first. Charges are captured where the service was
    given; the counter adds a service from the price list by hand, and voids an unbilled one
    with the reason."""

    queryset = CHARGES
    serializer_class = ChargeSerializer
    filterset_class = ChargeFilter
    patient_key = "patient_id"
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "billing.balances",
        "retrieve": "billing.balances",
        "create": "billing.charges.add",
        "void": "billing.charges.void",
    }

    @extend_schema(request=NewChargeSerializer, responses={201: ChargeSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Charge a service of the price list (not medicines or lab tests: those are charged
        where they are given)."""
        data = NewChargeSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        given = data.validated_data
        charge = charges.add_manual(
            actor=actor_of(request),
            patient=given["patient"],
            item=given["item"],
            quantity=given["quantity"],
        )
        fresh = CHARGES.for_clinic(charge.clinic).get(pk=charge.pk)
        return Response(ChargeSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=VoidReasonSerializer, responses=ChargeSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request: Request, pk: Any = None) -> Response:
        """Void an unbilled charge (added by mistake), with the reason."""
        data = VoidReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        charge = charges.void(
            actor=actor_of(request), charge=self.get_object(), reason=data.validated_data["reason"]
        )
        fresh = CHARGES.for_clinic(charge.clinic).get(pk=charge.pk)
        return Response(ChargeSerializer(fresh).data)


# ---------------------------------------------------------------- payments (as shown)


class TenderSerializer(ClinicFlowModelSerializer[Tender]):
    class Meta:
        model = Tender
        fields = ["method", "amount", "reference"]
        read_only_fields = fields


class PaymentSerializer(ClinicFlowModelSerializer[Payment]):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    invoice_number = serializers.CharField(
        source="invoice.number", read_only=True, allow_null=True, default=None
    )
    tenders = TenderSerializer(many=True, read_only=True)
    received_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField(
        help_text="Empty for a payment a gateway reported."
    )

    class Meta:
        model = Payment
        fields = [
            "id", "number", "purpose", "patient", "patient_name", "patient_mrn", "invoice",
            "invoice_number", "amount", "tenders", "shift", "received_by", "received_at",
        ]  # fmt: skip
        read_only_fields = fields


#: A payment with everything its answer names, in a bounded number of queries.
PAYMENTS = Payment.objects.select_related("patient", "invoice", "received_by").prefetch_related(
    "tenders"
)


class TenderInSerializer(ClinicFlowSerializer):
    """One way of paying. Types only: the payment service checks each tender and names it
    (``tenders.1.amount``)."""

    method = serializers.ChoiceField(choices=Method.choices)
    amount = amount_input()
    reference = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        default="",
        help_text="The slip, transaction or cheque number (needed for all but cash).",
    )


class TendersSerializer(ClinicFlowSerializer):
    tenders = TenderInSerializer(many=True, allow_empty=False)


def tenders_of(given: Any) -> list[payments.TenderIn]:
    return [payments.TenderIn(t["method"], t["amount"], t["reference"]) for t in given]


# ---------------------------------------------------------------- invoices


class InvoiceLineSerializer(ClinicFlowModelSerializer[InvoiceLine]):
    class Meta:
        model = InvoiceLine
        fields = [
            "id", "charge", "credits", "description", "quantity", "unit_price", "gross",
            "discount", "tax_rate", "tax", "total",
        ]  # fmt: skip
        read_only_fields = fields


class InvoicePaymentSerializer(ClinicFlowModelSerializer[Payment]):
    tenders = TenderSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "number", "amount", "tenders", "received_at"]
        read_only_fields = fields


class InvoiceSerializer(ClinicFlowModelSerializer[Invoice]):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    patient_due = money_field(help_text="What the patient still owes on it.")
    discount_approved = serializers.SerializerMethodField()
    lines = InvoiceLineSerializer(many=True, read_only=True)
    payments = InvoicePaymentSerializer(many=True, read_only=True)

    class Meta:
        model = Invoice
        fields = [
            "id", "kind", "number", "status", "patient", "patient_name", "patient_mrn",
            "credit_of", "reason", "subtotal", "discount_total", "discount_reason",
            "discount_approved", "tax_total", "total", "payer_share", "paid", "credited",
            "patient_due", "created_at", "issued_at", "lines", "payments",
        ]  # fmt: skip
        read_only_fields = fields

    def get_discount_approved(self, invoice: Invoice) -> bool:
        """A manager approved the discount (needed above the clinic's threshold)."""
        return invoice.discount_approved_by_id is not None


#: An invoice with its patient, lines and payments, in a bounded number of queries.
INVOICES = Invoice.objects.select_related("patient").prefetch_related("lines", "payments__tenders")


class NewInvoiceSerializer(ClinicScopedSerializer):
    charges = serializers.PrimaryKeyRelatedField(
        queryset=Charge.objects.all(),
        many=True,
        required=False,
        help_text="The charges to bill; default: all the patient's unbilled charges.",
    )
    issue = serializers.BooleanField(
        default=False, help_text="Issue it at once (the counter's usual path) instead of a draft."
    )

    class Meta:
        model = Invoice
        fields = ["patient", "charges", "issue"]


class DiscountSerializer(ClinicFlowSerializer):
    amount = amount_input(help_text='The whole discount, e.g. "100.00"; "0" removes it.')
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lines = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        default=list,
        help_text="The lines it is on; default: all.",
    )


class CreditSerializer(ClinicFlowSerializer):
    reason = serializers.CharField(max_length=200)
    lines = serializers.DictField(
        child=serializers.CharField(max_length=20, allow_null=True),
        required=False,
        allow_null=True,
        default=None,
        help_text='Line id → amount to take back ("" or null: all that is left of the line); '
        "default: every line's remainder.",
    )
    returns = serializers.BooleanField(
        default=True, help_text="Also settle unbilled returns of medicines this invoice charged."
    )


class UseCreditSerializer(ClinicFlowSerializer):
    amount = amount_input()


class QrSerializer(ClinicFlowSerializer):
    payload = serializers.CharField(help_text="The EMVCo payload to draw as a QR code.")
    amount = money_field()
    bill_number = serializers.CharField()


class InvoiceFilter(ClinicFilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices)
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices)

    class Meta:
        model = Invoice
        fields = ["patient", "status", "kind"]


class InvoiceViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Invoice],
):
    """Invoices and credit notes, newest first. A draft may change (discount, discard);
    once issued it never does: a correction is a credit note."""

    queryset = INVOICES
    serializer_class = InvoiceSerializer
    filterset_class = InvoiceFilter
    patient_key = "patient_id"
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "billing.balances",
        "retrieve": "billing.balances",
        "create": "billing.invoices.issue",
        "issue": "billing.invoices.issue",
        "discount": "billing.invoices.issue",
        "approve_discount": "billing.discounts.approve",
        "discard": "billing.invoices.issue",
        "credit": "billing.invoices.credit",
        "pay": "billing.payments.take",
        "use_credit": "billing.payments.take",
        "qr": "billing.payments.take",
    }

    def _invoice(self, invoice: Invoice, code: int = status.HTTP_200_OK) -> Response:
        fresh = INVOICES.for_clinic(invoice.clinic).get(pk=invoice.pk)
        return Response(InvoiceSerializer(fresh).data, status=code)

    @extend_schema(request=NewInvoiceSerializer, responses={201: InvoiceSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A draft of the patient's unbilled charges (those named, or all), or with
        ``issue: true`` an issued invoice at once."""
        data = NewInvoiceSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        given = data.validated_data
        named = given.get("charges")
        make = invoices.invoice_now if given["issue"] else invoices.draft
        invoice = make(
            actor=actor_of(request),
            patient=given["patient"],
            charge_ids=None if named is None else [c.pk for c in named],
        )
        return self._invoice(invoice, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: Any = None) -> Response:
        """Number the draft and record what the patient owes."""
        return self._invoice(invoices.issue(actor=actor_of(request), invoice=self.get_object()))

    @extend_schema(request=DiscountSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def discount(self, request: Request, pk: Any = None) -> Response:
        """A discount on the draft, with the reason (above the clinic's threshold it needs a
        manager's approval before issuing)."""
        data = DiscountSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        done = invoices.set_discount(
            actor=actor_of(request),
            invoice=self.get_object(),
            amount=given["amount"],
            reason=given["reason"],
            line_ids=given["lines"],
        )
        return self._invoice(done)

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], url_path="approve-discount")
    def approve_discount(self, request: Request, pk: Any = None) -> Response:
        """A manager approves the draft's discount."""
        return self._invoice(
            invoices.approve_discount(actor=actor_of(request), invoice=self.get_object())
        )

    @extend_schema(request=None, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: Any = None) -> Response:
        """Throw the draft away: its charges are unbilled again."""
        return self._invoice(invoices.discard(actor=actor_of(request), invoice=self.get_object()))

    @extend_schema(request=CreditSerializer, responses={201: InvoiceSerializer})
    @action(detail=True, methods=["post"])
    def credit(self, request: Request, pk: Any = None) -> Response:
        """A credit note against the issued invoice (the answer is the credit note): what was
        not paid is taken off, what was paid becomes the patient's credit."""
        data = CreditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        note = invoices.credit(
            actor=actor_of(request),
            invoice=self.get_object(),
            reason=given["reason"],
            lines=given["lines"],
            returns=given["returns"],
        )
        return self._invoice(note, status.HTTP_201_CREATED)

    @extend_schema(request=TendersSerializer, responses={201: PaymentSerializer})
    @action(detail=True, methods=["post"])
    def pay(self, request: Request, pk: Any = None) -> Response:
        """Take payment, all or part of what is due, in one or more tenders (split tender).
        More than is due is refused and nothing is saved."""
        data = TendersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = payments.pay(
            actor=actor_of(request),
            invoice=self.get_object(),
            tenders=tenders_of(data.validated_data["tenders"]),
        )
        fresh = PAYMENTS.for_clinic(payment.clinic).get(pk=payment.pk)
        return Response(PaymentSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UseCreditSerializer, responses=InvoiceSerializer)
    @action(detail=True, methods=["post"], url_path="use-credit")
    def use_credit(self, request: Request, pk: Any = None) -> Response:
        """Use the patient's credit (a deposit, a credit note's excess) on this invoice."""
        data = UseCreditSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = self.get_object()
        payments.apply_credit(
            actor=actor_of(request), invoice=invoice, amount=data.validated_data["amount"]
        )
        return self._invoice(invoice)

    @extend_schema(responses=QrSerializer)
    @action(detail=True, methods=["get"])
    def qr(self, request: Request, pk: Any = None) -> Response:
        """The payment QR (EMVCo merchant-presented) for what is still due. 409 when the
        clinic has no QR merchant set up or nothing is due."""
        invoice = self.get_object()
        record_row_read(invoice, patient_key="patient_id", part="invoice qr", via="api")
        payload, due = qr.payload_for(invoice)
        return Response(
            QrSerializer({"payload": payload, "amount": due, "bill_number": invoice.number}).data
        )


# ---------------------------------------------------------------- payments


class DepositSerializer(ClinicScopedSerializer):
    tenders = TenderInSerializer(many=True, allow_empty=False)

    class Meta:
        model = Payment
        fields = ["patient", "tenders"]


class PaymentFilter(ClinicFilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    invoice = django_filters.NumberFilter(field_name="invoice_id")
    purpose = django_filters.ChoiceFilter(choices=PaymentPurpose.choices)

    class Meta:
        model = Payment
        fields = ["patient", "invoice", "purpose"]


class PaymentViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Payment],
):
    """Receipts, newest first, with how each was paid. Invoices are paid at
    ``invoices/{id}/pay/``; a deposit (an advance on the patient's account) here."""

    queryset = PAYMENTS
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter
    patient_key = "patient_id"
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "billing.balances",
        "retrieve": "billing.balances",
        "deposit": "billing.payments.take",
    }

    @extend_schema(request=DepositSerializer, responses={201: PaymentSerializer})
    @action(detail=False, methods=["post"])
    def deposit(self, request: Request) -> Response:
        """Take a deposit, held on the patient's account for later bills."""
        data = DepositSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        payment = payments.deposit(
            actor=actor_of(request),
            patient=data.validated_data["patient"],
            tenders=tenders_of(data.validated_data["tenders"]),
        )
        fresh = PAYMENTS.for_clinic(payment.clinic).get(pk=payment.pk)
        return Response(PaymentSerializer(fresh).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- refunds


class RefundSerializer(ClinicFlowModelSerializer[Refund]):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    requested_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()
    approved_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = Refund
        fields = [
            "id", "number", "patient", "patient_name", "patient_mrn", "payment", "method",
            "amount", "reason", "status", "requested_by", "requested_at", "approved_by",
            "paid_at",
        ]  # fmt: skip
        read_only_fields = fields


class NewRefundSerializer(ClinicScopedSerializer):
    amount = amount_input()
    reason = serializers.CharField(max_length=200)
    method = serializers.ChoiceField(choices=Method.choices, default=Method.CASH)

    class Meta:
        model = Refund
        fields = ["patient", "payment", "amount", "reason", "method"]
        extra_kwargs: ClassVar[dict[str, Any]] = {
            "payment": {
                "required": False,
                "help_text": "The payment refunded to its own method; default: in cash.",
            }
        }


REFUNDS = Refund.objects.select_related("patient", "requested_by", "approved_by")


class RefundFilter(ClinicFilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    status = django_filters.ChoiceFilter(choices=RefundStatus.choices)

    class Meta:
        model = Refund
        fields = ["patient", "status"]


class RefundViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Refund],
):
    """Money given back from a patient's credit, newest first. Above the clinic's threshold
    a refund waits for a manager (``approve/`` or ``reject/``), then is paid out from the
    counter (``pay-out/``)."""

    queryset = REFUNDS
    serializer_class = RefundSerializer
    filterset_class = RefundFilter
    patient_key = "patient_id"
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "billing.refunds.request",
        "retrieve": "billing.refunds.request",
        "create": "billing.refunds.request",
        "approve": "billing.refunds.approve",
        "reject": "billing.refunds.approve",
        "pay_out": "billing.refunds.request",
    }

    def _refund(self, refund: Refund, code: int = status.HTTP_200_OK) -> Response:
        fresh = REFUNDS.for_clinic(refund.clinic).get(pk=refund.pk)
        return Response(RefundSerializer(fresh).data, status=code)

    @extend_schema(request=NewRefundSerializer, responses={201: RefundSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Refund the patient's credit: paid out at once, or above the threshold (unless a
        manager asks) waiting for a manager's approval."""
        data = NewRefundSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        given = data.validated_data
        made = payments.refund(
            actor=actor_of(request),
            patient=given["patient"],
            amount=given["amount"],
            reason=given["reason"],
            method=given["method"],
            payment=given.get("payment"),
        )
        return self._refund(made, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RefundSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._refund(
            payments.approve_refund(actor=actor_of(request), refund=self.get_object())
        )

    @extend_schema(request=None, responses=RefundSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        return self._refund(
            payments.approve_refund(
                actor=actor_of(request), refund=self.get_object(), approve=False
            )
        )

    @extend_schema(request=None, responses=RefundSerializer)
    @action(detail=True, methods=["post"], url_path="pay-out")
    def pay_out(self, request: Request, pk: Any = None) -> Response:
        """Hand out an approved refund from one's open shift."""
        return self._refund(payments.pay_refund(actor=actor_of(request), refund=self.get_object()))


# ---------------------------------------------------------------- shifts


class ShiftSerializer(ClinicFlowModelSerializer[Shift]):
    cashier_name: serializers.StringRelatedField[Any] = serializers.StringRelatedField(
        source="cashier"
    )
    variance = money_field(allow_null=True, help_text="Counted less expected, once closed.")
    signed_off_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField()

    class Meta:
        model = Shift
        fields = [
            "id", "cashier", "cashier_name", "status", "opening_float", "opened_at",
            "closed_at", "counted", "counted_cash", "expected_cash", "variance",
            "variance_reason", "signed_off_by", "signed_off_at",
        ]  # fmt: skip
        read_only_fields = fields


class OpenShiftSerializer(ClinicFlowSerializer):
    opening_float = amount_input(help_text='The cash in the drawer at the start, e.g. "1000".')


class CloseShiftSerializer(ClinicFlowSerializer):
    counted = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=100000),
        help_text='Notes and coins counted, by denomination: {"1000": 2, "500": 1}.',
    )
    reason = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Needed when the count differs from what the drawer should hold.",
    )


class ShiftSummarySerializer(ClinicFlowSerializer):
    by_method = serializers.DictField(
        child=serializers.DecimalField(max_digits=12, decimal_places=2),
        help_text="Money in less money out, by method.",
    )
    takings = money_field()
    payments = serializers.IntegerField()
    refunds = money_field()
    refund_count = serializers.IntegerField()
    deposits = money_field()
    expected_cash = money_field()
    discounts = money_field()
    credit_notes = money_field()


SHIFTS = Shift.objects.select_related("cashier", "signed_off_by")


class ShiftViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Shift],
):
    """Cashiers' shifts, newest first: one's own (a manager sees everyone's). Opened with a
    float, closed with the cash counted by denomination, signed off by a manager."""

    queryset = SHIFTS
    serializer_class = ShiftSerializer
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "billing.shifts",
        "retrieve": "billing.shifts",
        "open": "billing.shifts",
        "close": "billing.shifts",
        "summary": "billing.shifts",
        "sign_off": "billing.shifts.sign_off",
    }

    def _shift(self, shift: Shift, code: int = status.HTTP_200_OK) -> Response:
        fresh = SHIFTS.for_clinic(shift.clinic).get(pk=shift.pk)
        return Response(ShiftSerializer(fresh).data, status=code)

    @extend_schema(request=OpenShiftSerializer, responses={201: ShiftSerializer})
    @action(detail=False, methods=["post"])
    def open(self, request: Request) -> Response:
        """Open one's shift with the float in the drawer (one open shift at a time)."""
        data = OpenShiftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shift = shifts.open_shift(
            actor=actor_of(request), opening_float=data.validated_data["opening_float"]
        )
        return self._shift(shift, status.HTTP_201_CREATED)

    @extend_schema(request=CloseShiftSerializer, responses=ShiftSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: Any = None) -> Response:
        """Close one's own shift with the cash counted; a difference needs its reason."""
        data = CloseShiftSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shift = shifts.close_shift(
            actor=actor_of(request),
            shift=self.get_object(),
            counted=data.validated_data["counted"],
            reason=data.validated_data["reason"],
        )
        return self._shift(shift)

    @extend_schema(responses=ShiftSummarySerializer)
    @action(detail=True, methods=["get"])
    def summary(self, request: Request, pk: Any = None) -> Response:
        """Takings by method, refunds, deposits and the cash the drawer should hold."""
        figures = shifts.summary(self.get_object())
        shown = {
            "by_method": figures.by_method,
            "takings": figures.takings,
            "payments": figures.payments,
            "refunds": figures.refunds,
            "refund_count": figures.refund_count,
            "deposits": figures.deposits,
            "expected_cash": figures.expected_cash,
            "discounts": figures.discounts,
            "credit_notes": figures.credit_notes,
        }
        return Response(ShiftSummarySerializer(shown).data)

    @extend_schema(request=None, responses=ShiftSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request: Request, pk: Any = None) -> Response:
        """A manager signs off another cashier's closed shift."""
        return self._shift(shifts.sign_off(actor=actor_of(request), shift=self.get_object()))


# ---------------------------------------------------------------- gateways' callbacks


class WebhookAnswerSerializer(ClinicFlowSerializer):
    receipt = serializers.CharField(help_text="Our receipt number of the payment.")
    amount = money_field()


class RefusalSerializer(ClinicFlowSerializer):
    detail = serializers.CharField()
    code = serializers.CharField()


def gateway_secret(provider: str) -> bytes:
    """The provider's shared secret from ``BILLING_GATEWAY_SECRETS`` (empty: not set up)."""
    secrets: dict[str, str] = getattr(settings, "BILLING_GATEWAY_SECRETS", {}) or {}
    return secrets.get(provider, "").encode()


class GatewayWebhookView(APIView):
    """A payment gateway reports a QR payment of one of the clinic's invoices. Public (the
    provider signs its message instead), so no session, no CSRF. The same callback twice
    records one payment and answers 200 both times. An unknown provider or clinic is a 404,
    a bad signature a 403, an unreadable callback or one naming no issued invoice of the
    clinic a 400; each refusal is in the audit trail."""

    authentication_classes = ()  # no session: no CSRF, no signed-in user
    policy_action: ClassVar[str] = "billing.webhook"

    @staticmethod
    def _refuse(
        code: int,
        reason: str,
        message: str,
        *,
        provider: str,
        clinic: Clinic | None,
    ) -> Response:
        record(
            AuditAction.PERMISSION_DENIED,
            object_type="billing.gateway_callback",
            object_id=provider[:64],
            object_repr=f"Payment callback from {provider[:40]} refused: {reason}",
            changes={"action": "billing.webhook", "refused": reason, "detail": message[:200]},
            clinic_id=clinic.pk if clinic is not None else None,
        )
        logger.warning("Gateway callback from %r refused (%s): %s", provider, reason, message)
        return Response({"detail": message, "code": reason}, status=code)

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: WebhookAnswerSerializer,
            400: RefusalSerializer,
            403: RefusalSerializer,
            404: RefusalSerializer,
        },
        auth=[],
    )
    def post(self, request: Request, provider: str, clinic_code: str) -> Response:
        body = request._request.body  # the raw bytes the provider signed
        clinic = Clinic.objects.filter(code=clinic_code, is_active=True).first()
        secret = gateway_secret(provider)
        try:
            gateway = gateways.get(provider)
        except gateways.UnknownGatewayError:
            gateway = None
        if gateway is None or not secret:
            return self._refuse(
                404, "unknown_gateway", "No such payment gateway.", provider=provider, clinic=clinic
            )
        if clinic is None:
            return self._refuse(
                404, "unknown_clinic", "No such clinic.", provider=provider, clinic=None
            )
        try:
            callback = gateway.verify(body, request.headers, secret)
        except gateways.GatewaySignatureError as exc:
            return self._refuse(403, "bad_signature", str(exc), provider=provider, clinic=clinic)
        except gateways.GatewayPayloadError as exc:
            return self._refuse(400, "bad_payload", str(exc), provider=provider, clinic=clinic)
        try:
            payment = payments.record_gateway_payment(clinic=clinic, callback=callback)
        except DomainError as exc:
            return self._refuse(
                exc.status_code, exc.code, exc.message, provider=provider, clinic=clinic
            )
        return Response(
            WebhookAnswerSerializer({"receipt": payment.number, "amount": payment.amount}).data
        )


def register(router: BaseRouter) -> None:
    router.register("price-items", PriceItemViewSet, basename="price-item")
    router.register("charges", ChargeViewSet, basename="charge")
    router.register("invoices", InvoiceViewSet, basename="invoice")
    router.register("payments", PaymentViewSet, basename="payment")
    router.register("refunds", RefundViewSet, basename="refund")
    router.register("shifts", ShiftViewSet, basename="shift")


#: Routes outside the router, mounted under /api/v1/ next to it.
urlpatterns: list[URLPattern] = [
    path(
        "billing/webhooks/<str:provider>/<str:clinic_code>/",
        GatewayWebhookView.as_view(),
        name="billing-webhook",
    ),
]
