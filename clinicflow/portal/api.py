"""The portal's API: what the patient's pages read and do, for an app on the patient's phone.

/api/v1/portal/me/                                    the account and the records it looks after
/api/v1/portal/doctors/                               the doctors one may book online;
                                                      ``{id}/slots/?from=&to=`` their free times
/api/v1/portal/members/{member}/appointments/         list; book (POST); ``{id}/cancel/``,
                                                      ``{id}/move/``
/api/v1/portal/members/{member}/visits/               signed visits, diagnoses in words
                                ./prescriptions/      issued prescriptions and their items
                                ./lab-reports/        released reports; ``{id}/`` with results
                                ./vitals/ ./allergies/ ./problems/
                                ./documents/          list; ``{id}/content/`` the file
                                ./invoices/           issued bills; ``{id}/`` lines, payments
                                ./payments/ ./balance/
                                ./medicines/          today's doses and the adherence;
                                                      ``doses/`` (POST) tell one taken/skipped
                                ./today/              the visit today: token, place, wait
                                ./reviews/            visits to review and reviews written;
                                                      ``{appointment}/`` (POST) write one

``{member}`` is a record the account looks after (``portal.access.access_member``): any other
id, another clinic's or a family member no longer linked, is a 404 that confirms nothing, and a
row of the member is fetched through the policy *and* that member. Each route names the page's
own policy action, reads through the page's readers (``records``, ``booking``, ``queue``,
``clinical.adherence``, ``scheduling.reviews``), is audited as the page is (``records.read_of``,
``via: api``) and writes through the page's services; the policy decides the fields of each
kind of row (``policy.PORTAL_ROWS``). Staff are refused (403): these are the portal's actions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, ClassVar

from django.http import Http404
from django.http.response import HttpResponseBase
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from clinicflow.billing.api import money_field
from clinicflow.billing.models import Invoice, InvoiceLine, Payment
from clinicflow.clinical import adherence
from clinicflow.clinical.models import DoseOutcome, Prescription, PrescriptionItem
from clinicflow.core.access import PolicyPermission, access_object, actor_of, narrow_to_policy
from clinicflow.core.api_fields import OffsetDateTimeField
from clinicflow.core.errors import DomainError
from clinicflow.core.rest import DefaultPagination
from clinicflow.core.serializers import ClinicFlowModelSerializer, ClinicFlowSerializer
from clinicflow.lab import selectors as lab_selectors
from clinicflow.lab.models import RELEASED_STATUSES, LabOrder, OrderedTest
from clinicflow.lab.serializers import ResultSerializer
from clinicflow.patients.models import Allergy, Condition, Patient, PatientDocument
from clinicflow.portal import access, booking, documents, queue, records
from clinicflow.scheduling import reviews, slots
from clinicflow.scheduling.api import MAX_SLOT_DAYS, PractitionerSerializer, SlotSerializer
from clinicflow.scheduling.api import _date_param as date_param
from clinicflow.scheduling.models import Appointment, Practitioner, VisitReview

FAMILY = "portal.family"
READ = "portal.records"
BILLS = "portal.bills"
QUEUE = "portal.queue"

# ---------------------------------------------------------------- what is handed out


class PortalFamilyMemberSerializer(ClinicFlowSerializer):
    """A record the account looks after, and who it is to the account."""

    id = serializers.UUIDField(source="patient.pk")
    mrn = serializers.CharField(source="patient.mrn")
    given_name = serializers.CharField(source="patient.given_name")
    family_name = serializers.CharField(source="patient.family_name")
    sex = serializers.CharField(source="patient.sex")
    birth_date = serializers.DateField(source="patient.birth_date", allow_null=True)
    relationship = serializers.CharField()


class PortalMeSerializer(ClinicFlowSerializer):
    id = serializers.UUIDField(source="user.pk")
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.get_full_name")
    members = PortalFamilyMemberSerializer(many=True)


class PortalAppointmentSerializer(ClinicFlowModelSerializer[Appointment]):
    kind = serializers.CharField(read_only=True)  # in_person, video
    practitioner_name = serializers.CharField(source="practitioner.__str__", read_only=True)
    may_change = serializers.SerializerMethodField()

    class Meta:
        model = Appointment
        fields = [
            "id", "practitioner", "practitioner_name", "starts_at", "ends_at", "kind", "reason",
            "status", "may_change",
        ]  # fmt: skip
        read_only_fields = fields

    def get_may_change(self, appointment: Appointment) -> bool:
        """Whether it may still be cancelled or moved online (the clinic's limit)."""
        return booking.may_change(appointment, rules=self.context.get("rules"))


class PortalBookSerializer(ClinicFlowSerializer):
    practitioner = serializers.IntegerField(help_text="A doctor of /api/v1/portal/doctors/.")
    starts_at = OffsetDateTimeField(help_text="A free slot's start (its `starts_at`).")
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")


class PortalCancelSerializer(ClinicFlowSerializer):
    reason = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class PortalMoveSerializer(ClinicFlowSerializer):
    starts_at = OffsetDateTimeField(help_text="A free slot of the same doctor.")


class PortalVisitSerializer(ClinicFlowSerializer):
    """A signed consultation as the patient reads it (``records.Visit``)."""

    when = OffsetDateTimeField()
    doctor = serializers.CharField()
    diagnoses = serializers.ListField(child=serializers.CharField())


class PortalPrescriptionItemSerializer(ClinicFlowModelSerializer[PrescriptionItem]):
    status = serializers.CharField(read_only=True)  # active, stopped, completed

    class Meta:
        model = PrescriptionItem
        fields = [
            "id", "medicine_name", "strength", "form", "dose", "dose_unit", "route",
            "frequency", "times_of_day", "duration_days", "quantity", "instructions", "status",
        ]  # fmt: skip
        read_only_fields = fields


class PortalPrescriptionSerializer(ClinicFlowModelSerializer[Prescription]):
    prescriber_name = serializers.CharField(source="prescriber.__str__", read_only=True)
    items = PortalPrescriptionItemSerializer(many=True, read_only=True)

    class Meta:
        model = Prescription
        fields = ["id", "issued_at", "status", "prescriber_name", "items"]
        read_only_fields = fields


class PortalResultSerializer(ResultSerializer):
    """A released value as the report prints it: no one's name, no stored range."""

    flag = serializers.CharField(read_only=True)  # "" (normal), L, H, LL, HH, A

    entered_by = None  # type: ignore[assignment]
    verified_by = None  # type: ignore[assignment]

    class Meta(ResultSerializer.Meta):
        fields = [
            "id", "code", "name", "value", "text", "unit", "flag", "reference", "collected_at",
            "status",
        ]  # fmt: skip
        read_only_fields = fields


class PortalReportTestSerializer(ClinicFlowModelSerializer[OrderedTest]):
    """A released test; on the report, with its released results."""

    code = serializers.CharField(source="test.code", read_only=True)
    name = serializers.CharField(source="test.name", read_only=True)
    results = PortalResultSerializer(source="released_results", many=True, read_only=True)

    class Meta:
        model = OrderedTest
        fields = ["id", "code", "name", "status", "verified_at", "results"]
        read_only_fields = fields


class PortalReleasedTestSerializer(PortalReportTestSerializer):
    """A released test in the list of reports (its results are on the report)."""

    results = None  # type: ignore[assignment]

    class Meta(PortalReportTestSerializer.Meta):
        fields = ["id", "code", "name", "status", "verified_at"]
        read_only_fields = fields


class PortalLabReportListSerializer(ClinicFlowModelSerializer[LabOrder]):
    tests = PortalReleasedTestSerializer(source="released_tests", many=True, read_only=True)

    class Meta:
        model = LabOrder
        fields = ["id", "number", "ordered_at", "tests"]
        read_only_fields = fields


class PortalLabReportSerializer(PortalLabReportListSerializer):
    tests = PortalReportTestSerializer(source="report_tests", many=True, read_only=True)  # type: ignore[assignment]


class PortalVitalSerializer(ClinicFlowSerializer):
    """One vital sign as people read it (``frontdesk.vitals.Reading``)."""

    label = serializers.CharField()  # type: ignore[assignment]  # a field, not the serializer's label
    value = serializers.CharField()
    unit = serializers.CharField()
    flag = serializers.CharField()
    taken_at = OffsetDateTimeField()


class PortalAllergySerializer(ClinicFlowModelSerializer[Allergy]):
    severity = serializers.CharField(read_only=True)

    class Meta:
        model = Allergy
        fields = ["id", "substance", "reaction", "severity", "recorded_at"]
        read_only_fields = fields


class PortalProblemSerializer(ClinicFlowModelSerializer[Condition]):
    class Meta:
        model = Condition
        fields = ["id", "description", "icd10_code", "onset", "status", "recorded_at"]
        read_only_fields = fields


class PortalDocumentSerializer(ClinicFlowModelSerializer[PatientDocument]):
    """A document of the record; its file is ``documents/{id}/content/``."""

    class Meta:
        model = PatientDocument
        fields = ["id", "title", "category", "document_date", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class PortalInvoiceLineSerializer(ClinicFlowModelSerializer[InvoiceLine]):
    class Meta:
        model = InvoiceLine
        fields = ["id", "description", "quantity", "unit_price", "discount", "tax", "total"]
        read_only_fields = fields


class PortalPaymentSerializer(ClinicFlowModelSerializer[Payment]):
    amount = money_field()
    invoice = serializers.CharField(source="invoice.number", default=None, read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "number", "purpose", "amount", "received_at", "invoice"]
        read_only_fields = fields


class PortalInvoiceSerializer(ClinicFlowModelSerializer[Invoice]):
    """An issued invoice or credit note, and what the patient still owes on it."""

    kind = serializers.CharField(read_only=True)  # invoice, credit_note

    credit_of = serializers.CharField(source="credit_of.number", default=None, read_only=True)
    total = money_field()
    payer_share = money_field()
    paid = money_field()
    credited = money_field()
    patient_due = money_field()

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "kind", "issued_at", "credit_of", "total", "payer_share", "paid",
            "credited", "patient_due",
        ]  # fmt: skip
        read_only_fields = fields


class PortalInvoiceDetailSerializer(PortalInvoiceSerializer):
    lines = PortalInvoiceLineSerializer(source="shown_lines", many=True, read_only=True)
    payments = PortalPaymentSerializer(source="shown_payments", many=True, read_only=True)

    class Meta(PortalInvoiceSerializer.Meta):
        fields = [*PortalInvoiceSerializer.Meta.fields, "lines", "payments"]
        read_only_fields = fields


class PortalBalanceSerializer(ClinicFlowSerializer):
    owed = money_field(help_text="What the member owes on issued bills.")
    credit = money_field(help_text="What the clinic holds for the member.")
    net = money_field(help_text="Owed less credit (negative: the clinic owes the member).")


class PortalDoseSerializer(ClinicFlowSerializer):
    """One dose of the day and what was told of it (null: not yet)."""

    item = serializers.IntegerField(source="dose.item.pk")
    medicine_name = serializers.CharField(source="dose.item.medicine_name")
    strength = serializers.CharField(source="dose.item.strength")
    time_of_day = serializers.CharField(
        help_text='The dose\'s key on its course day, posted back to tell it (may be "26:00").'
    )
    shown_time = serializers.CharField(
        help_text='The time as the patient reads it ("02:00 (next day)", never "26:00").'
    )
    outcome = serializers.CharField(source="record.outcome", default=None, allow_null=True)


class PortalAdherenceSerializer(ClinicFlowSerializer):
    item = serializers.IntegerField(source="item.pk")
    medicine_name = serializers.CharField(source="item.medicine_name")
    due = serializers.IntegerField()
    taken = serializers.IntegerField()
    skipped = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)


class PortalMedicinesSerializer(ClinicFlowSerializer):
    day = serializers.DateField()
    doses = PortalDoseSerializer(many=True)
    adherence = PortalAdherenceSerializer(many=True)


class PortalTellDoseSerializer(ClinicFlowSerializer):
    item = serializers.IntegerField(help_text="A medicine of today's doses (its `item`).")
    day = serializers.DateField()
    time = serializers.CharField(max_length=5, help_text='The dose\'s time of day ("08:00").')
    outcome = serializers.ChoiceField(choices=DoseOutcome.choices)


class PortalVisitTodaySerializer(ClinicFlowSerializer):
    """The member's visit in today's queue."""

    token = serializers.CharField(source="entry.token_label")
    status = serializers.CharField(source="entry.status")
    doctor = serializers.CharField(source="entry.practitioner", default=None, allow_null=True)
    room = serializers.CharField(source="entry.room")
    called = serializers.BooleanField()
    ahead = serializers.IntegerField(help_text="How many the doctor sees first.")
    wait_minutes = serializers.IntegerField()


class PortalReviewSerializer(ClinicFlowModelSerializer[VisitReview]):
    practitioner_name = serializers.CharField(source="practitioner.__str__", read_only=True)

    class Meta:
        model = VisitReview
        fields = [
            "id", "appointment", "practitioner_name", "doctor_rating", "clinic_rating",
            "comment", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class PortalWriteReviewSerializer(ClinicFlowSerializer):
    doctor_rating = serializers.IntegerField(help_text="1 to 5 stars.")
    clinic_rating = serializers.IntegerField(help_text="1 to 5 stars.")
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class PortalReviewsSerializer(ClinicFlowSerializer):
    to_review = PortalAppointmentSerializer(many=True)
    written = PortalReviewSerializer(many=True)


# ---------------------------------------------------------------- paging


def newest_first(key: str, size: int = records.PAGE_SIZE) -> type[DefaultPagination]:
    """Keyset pages of a member's rows, newest ``key`` first (the pages' order and size)."""
    return type(
        f"NewestBy{key.title().replace('_', '')}",
        (DefaultPagination,),
        {"ordering": (f"-{key}", "-pk"), "page_size": size},
    )


# ---------------------------------------------------------------- the base


def narrow(serializer: Any, actor: Any, action: str) -> None:
    """The policy's fields of each kind of row, at every level of the answer."""
    narrow_to_policy(serializer, actor, action)
    rows = getattr(serializer, "child", serializer)
    for field in list(getattr(rows, "fields", {}).values()):
        if isinstance(field, serializers.BaseSerializer):
            narrow(field, actor, action)


class PortalViewSet(viewsets.GenericViewSet[Any]):
    """A route of the portal: its policy action per viewset action (``policy_actions``), the
    record named by ``{member}`` fetched through the account before anything else runs (404
    for any other), and the policy's fields in every answer."""

    policy_actions: ClassVar[dict[str, str]]
    #: The kind of row the route is about, for the schema (a member's route: the record).
    queryset: Any = Patient.objects.none()
    pagination_class: Any = None
    member: Patient

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # the policy allows the action at all
        if "member" in kwargs and PolicyPermission.action_of(self) is not None:
            # (no action: a method the route does not take, answered 405 with nothing in it)
            self.member = access.access_member(request, kwargs["member"], self.policy_action)

    @property
    def policy_action(self) -> str:
        action = PolicyPermission.action_of(self)
        assert action is not None  # PolicyPermission refused the request otherwise
        return action

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)
        actor = getattr(self.request, "actor", None)  # none while the schema is drawn
        if actor is not None:
            narrow(serializer, actor, self.policy_action)
        return serializer

    def booking_rules(self) -> Any:
        """The clinic's online-booking settings, asked once for a list of appointments."""
        member = getattr(self, "member", None)  # none while the schema is drawn
        return booking.settings_of(member.clinic) if member is not None else None

    def read(self, part: str, obj: Any = None, **more: Any) -> None:
        """The audited read of the member's record, as the page equivalent records it."""
        records.read_of(self.member, part, obj, via="api", **more)

    def paged(self, rows: Any, part: str, shown: Any = None) -> Response:
        """A page of ``rows`` (``shown``: how a page is turned into what is handed out),
        audited as one read of the member's ``part``."""
        page = self.paginate_queryset(rows)
        assert page is not None
        self.read(part)
        data = self.get_serializer(shown(page) if shown else page, many=True).data
        return self.get_paginated_response(data)

    def listed(self, rows: Iterable[Any], part: str) -> Response:
        self.read(part)
        return Response(self.get_serializer(list(rows), many=True).data)


# ---------------------------------------------------------------- the account


class MeViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"retrieve": FAMILY}
    serializer_class = PortalMeSerializer

    def retrieve(self, request: Request) -> Response:
        """The account and the records it looks after (its own first), with who each is to
        it; each record's id is the ``{member}`` of the other routes."""
        actor = actor_of(request)
        members = access.family_of(actor.user, actor.clinic)
        return Response(self.get_serializer({"user": actor.user, "members": members}).data)


# ---------------------------------------------------------------- booking


class DoctorViewSet(PortalViewSet):
    queryset = Practitioner.objects.none()
    policy_actions: ClassVar[dict[str, str]] = {"list": booking.BOOK, "slots": booking.BOOK}
    serializer_class = PractitionerSerializer

    def list(self, request: Request) -> Response:
        """The clinic's doctors one may book online, by specialization."""
        return Response(
            self.get_serializer(booking.doctors(actor_of(request).clinic), many=True).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (local); today"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day; a week from `from`"),
        ],
        responses=SlotSerializer(many=True),
    )
    def slots(self, request: Request, pk: int) -> Response:
        """The doctor's free times one may book online now (the clinic's window)."""
        doctor = booking.doctors(actor_of(request).clinic).filter(pk=pk).first()
        if doctor is None:
            raise Http404
        first = date_param(request, "from") or timezone.localdate()
        last = date_param(request, "to") or first + timedelta(days=6)
        if last < first or (last - first).days > MAX_SLOT_DAYS:
            raise DomainError("Ask for at most a month, from before to.", field="to")
        found: list[slots.Slot] = booking.free_slots(doctor, first, last)
        return Response(SlotSerializer.rows(found))


class AppointmentViewSet(PortalViewSet):
    queryset = Appointment.objects.none()
    policy_actions: ClassVar[dict[str, str]] = {
        "list": booking.MANAGE,
        "create": booking.BOOK,
        "cancel": booking.MANAGE,
        "move": booking.MANAGE,
    }
    serializer_class = PortalAppointmentSerializer
    pagination_class = newest_first("starts_at")

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "rules": self.booking_rules(),
        }

    def _appointment(self, pk: Any) -> Appointment:
        rows = Appointment.objects.filter(patient=self.member).select_related(
            "practitioner__user", "patient", "clinic"
        )
        found: Appointment = access_object(actor_of(self.request), booking.MANAGE, rows, pk=pk)
        return found

    def _answer(self, appointment: Appointment, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(appointment).data, status=code)

    def list(self, request: Request, member: Any) -> Response:
        """Every appointment of the member, newest first, each saying whether it may still be
        cancelled or moved online."""
        return self.paged(records.appointments_of(self.member), "appointments")

    @extend_schema(request=PortalBookSerializer, responses={201: PortalAppointmentSerializer})
    def create(self, request: Request, member: Any) -> Response:
        """Book a free slot (409 ``slot_taken`` when someone was faster); it waits as
        ``requested`` where the clinic confirms online bookings."""
        given = PortalBookSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        doctor = booking.doctors(self.member.clinic).filter(pk=data["practitioner"]).first()
        if doctor is None:
            raise DomainError("No such doctor takes bookings here.", field="practitioner")
        appointment = booking.book_online(
            actor=actor_of(request),
            patient=self.member,
            practitioner=doctor,
            starts_at=data["starts_at"],
            reason=data["reason"],
        )
        return self._answer(appointment, status.HTTP_201_CREATED)

    @extend_schema(request=PortalCancelSerializer, responses=PortalAppointmentSerializer)
    def cancel(self, request: Request, member: Any, pk: Any) -> Response:
        """Cancel a requested or booked appointment, until the clinic's limit before it."""
        appointment = self._appointment(pk)
        given = PortalCancelSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        cancelled = booking.cancel_online(
            actor=actor_of(request), appointment=appointment, reason=given.validated_data["reason"]
        )
        return self._answer(cancelled)

    @extend_schema(request=PortalMoveSerializer, responses=PortalAppointmentSerializer)
    def move(self, request: Request, member: Any, pk: Any) -> Response:
        """Move it to another free slot of the same doctor (409 ``slot_taken``)."""
        appointment = self._appointment(pk)
        given = PortalMoveSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        moved = booking.move_online(
            actor=actor_of(request),
            appointment=appointment,
            starts_at=given.validated_data["starts_at"],
        )
        return self._answer(moved)


# ---------------------------------------------------------------- the record


class VisitViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"list": READ}
    serializer_class = PortalVisitSerializer
    pagination_class = newest_first("started_at")

    def list(self, request: Request, member: Any) -> Response:
        """Signed visits, newest first: when, with whom, the diagnoses in words."""
        return self.paged(records.visits(self.member), "visits", records.as_visits)


class PrescriptionViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"list": READ}
    serializer_class = PortalPrescriptionSerializer
    pagination_class = newest_first("issued_at")

    def list(self, request: Request, member: Any) -> Response:
        """Issued prescriptions, newest first, with their medicines."""
        return self.paged(records.prescriptions(self.member), "prescriptions")


class LabReportViewSet(PortalViewSet):
    queryset = LabOrder.objects.none()
    policy_actions: ClassVar[dict[str, str]] = {"list": READ, "retrieve": READ}
    serializer_class = PortalLabReportListSerializer
    pagination_class = newest_first("ordered_at")

    def get_serializer_class(self) -> Any:
        return (
            PortalLabReportSerializer
            if self.action == "retrieve"
            else PortalLabReportListSerializer
        )

    def list(self, request: Request, member: Any) -> Response:
        """Lab orders with a released test, newest first (never a value still unchecked)."""
        return self.paged(records.lab_reports(self.member), "lab reports")

    def retrieve(self, request: Request, member: Any, pk: Any) -> Response:
        """One report: its released tests and their released results."""
        rows = lab_selectors.order_detail(self.member.clinic).select_related("clinic")
        order: LabOrder = access_object(
            actor_of(request), READ, rows.filter(patient=self.member), pk=pk
        )
        if not any(t.status in RELEASED_STATUSES for t in order.tests.all()):
            raise Http404  # nothing released yet: no report
        tests = []
        for released in records.report_of(order):
            released.ordered.released_results = released.results  # type: ignore[attr-defined]
            tests.append(released.ordered)
        order.report_tests = tests  # type: ignore[attr-defined]
        self.read("lab report", order)
        return Response(self.get_serializer(order).data)


class VitalsViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"list": READ}
    serializer_class = PortalVitalSerializer

    def list(self, request: Request, member: Any) -> Response:
        """The latest vital signs, newest first (at most ``records.VITALS_SHOWN`` values)."""
        return self.listed(records.vitals(self.member), "vitals")


class AllergyViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"list": READ}
    serializer_class = PortalAllergySerializer

    def list(self, request: Request, member: Any) -> Response:
        """Active allergies."""
        return self.listed(records.allergies(self.member), "allergies and problems")


class ProblemViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"list": READ}
    serializer_class = PortalProblemSerializer

    def list(self, request: Request, member: Any) -> Response:
        """The problem list (not those entered in error)."""
        return self.listed(records.problems(self.member), "allergies and problems")


class DocumentViewSet(PortalViewSet):
    queryset = PatientDocument.objects.none()
    policy_actions: ClassVar[dict[str, str]] = {"list": READ, "content": READ}
    serializer_class = PortalDocumentSerializer
    pagination_class = newest_first("uploaded_at")

    def list(self, request: Request, member: Any) -> Response:
        """The record's documents, newest first."""
        return self.paged(records.documents(self.member), "documents")

    @extend_schema(
        parameters=[OpenApiParameter("download", OpenApiTypes.BOOL)],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def content(self, request: Request, member: Any, pk: Any) -> HttpResponseBase:
        """The file, sandboxed (``?download=1``: as a download)."""
        rows = records.documents(self.member)
        doc: PatientDocument = access_object(actor_of(request), READ, rows, pk=pk)
        self.read("document", doc)
        wanted = request.query_params.get("download") in ("1", "true")
        return documents.document_file(self.member, doc, download=wanted)


# ---------------------------------------------------------------- bills


class InvoiceViewSet(PortalViewSet):
    queryset = Invoice.objects.none()
    policy_actions: ClassVar[dict[str, str]] = {"list": BILLS, "retrieve": BILLS}
    serializer_class = PortalInvoiceSerializer
    pagination_class = newest_first("issued_at")

    def get_serializer_class(self) -> Any:
        return (
            PortalInvoiceDetailSerializer if self.action == "retrieve" else PortalInvoiceSerializer
        )

    def list(self, request: Request, member: Any) -> Response:
        """Issued invoices and credit notes, newest first."""
        rows = records.issued_bills(self.member).select_related("credit_of")
        return self.paged(rows, "bills")

    def retrieve(self, request: Request, member: Any, pk: int) -> Response:
        """One bill: its lines and the payments made on it."""
        rows = records.issued_bills(self.member).select_related("credit_of")
        item: Invoice = access_object(actor_of(request), BILLS, rows, pk=pk)
        item.shown_lines = list(item.lines.order_by("pk"))  # type: ignore[attr-defined]
        item.shown_payments = list(  # type: ignore[attr-defined]
            item.payments.select_related("invoice").order_by("received_at", "pk")
        )
        self.read("invoice", item)
        return Response(self.get_serializer(item).data)


class PaymentViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"list": BILLS}
    serializer_class = PortalPaymentSerializer
    pagination_class = newest_first("received_at")

    def list(self, request: Request, member: Any) -> Response:
        """Payments made (receipts), newest first."""
        return self.paged(records.payments(self.member).select_related("invoice"), "bills")


class BalanceViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"retrieve": BILLS}
    serializer_class = PortalBalanceSerializer

    def retrieve(self, request: Request, member: Any) -> Response:
        """What the member owes on issued bills and what the clinic holds for them."""
        self.read("bills")
        return Response(self.get_serializer(records.balance(self.member)).data)


# ---------------------------------------------------------------- medicines, today, reviews


class MedicineViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {
        "retrieve": adherence.RECORD,
        "dose": adherence.RECORD,
    }
    serializer_class = PortalMedicinesSerializer

    def _today(self) -> Any:
        return timezone.localtime(timezone.now(), self.member.clinic.zone).date()

    def retrieve(self, request: Request, member: Any) -> Response:
        """Today's doses (what was told of each) and the adherence per medicine so far."""
        today = self._today()
        self.read("medicines")
        shown = {
            "day": today,
            "doses": adherence.doses_of_day(self.member, today),
            "adherence": adherence.adherence(self.member),
        }
        return Response(self.get_serializer(shown).data)

    @extend_schema(request=PortalTellDoseSerializer, responses=PortalDoseSerializer)
    def dose(self, request: Request, member: Any) -> Response:
        """Tell one dose taken or skipped (told again: changed); a dose of the course so far."""
        given = PortalTellDoseSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        told = adherence.record_dose(
            actor=actor_of(request),
            patient=self.member,
            item_id=data["item"],
            day=data["day"],
            time_of_day=data["time"],
            outcome=data["outcome"],
        )
        row = next(
            r
            for r in adherence.doses_of_day(self.member, told.day)
            if r.dose.item.pk == told.item_id and r.time_of_day == told.time_of_day
        )
        return Response(PortalDoseSerializer(row).data)


class TodayViewSet(PortalViewSet):
    policy_actions: ClassVar[dict[str, str]] = {"retrieve": QUEUE}
    serializer_class = PortalVisitTodaySerializer

    @extend_schema(
        responses=inline_serializer(
            "PortalToday", {"visit": PortalVisitTodaySerializer(allow_null=True)}
        )
    )
    def retrieve(self, request: Request, member: Any) -> Response:
        """The member's visit in today's queue (``visit``: null without one)."""
        self.read("queue today")
        visit = queue.today_for(self.member)
        return Response({"visit": self.get_serializer(visit).data if visit else None})


class ReviewViewSet(PortalViewSet):
    queryset = Appointment.objects.none()
    policy_actions: ClassVar[dict[str, str]] = {"list": reviews.WRITE, "write": reviews.WRITE}
    serializer_class = PortalReviewsSerializer

    def get_serializer_class(self) -> Any:
        return PortalReviewSerializer if self.action == "write" else PortalReviewsSerializer

    def get_serializer_context(self) -> dict[str, Any]:
        return {
            **super().get_serializer_context(),
            "rules": self.booking_rules(),
        }

    def list(self, request: Request, member: Any) -> Response:
        """Completed visits still to review, and the reviews written."""
        clinic = self.member.clinic
        written = (
            VisitReview.objects.for_clinic(clinic)
            .filter(patient=self.member)
            .select_related("practitioner__user")
            .order_by("-created_at", "-pk")
        )
        self.read("reviews")
        shown = {"to_review": reviews.reviewable(clinic, self.member), "written": written}
        return Response(self.get_serializer(shown).data)

    @extend_schema(request=PortalWriteReviewSerializer, responses={201: PortalReviewSerializer})
    def write(self, request: Request, member: Any, pk: Any) -> Response:
        """Rate the doctor and the clinic after a completed visit (once: 409 after)."""
        rows = Appointment.objects.filter(patient=self.member).select_related("practitioner__user")
        visit: Appointment = access_object(actor_of(request), reviews.WRITE, rows, pk=pk)
        given = PortalWriteReviewSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        review = reviews.write_review(
            actor=actor_of(request), appointment=visit, **given.validated_data
        )
        return Response(self.get_serializer(review).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- the routes


def _route(
    route: str, viewset: type[PortalViewSet], actions: dict[str, Any], name: str
) -> URLPattern:
    return path(route, viewset.as_view(actions), name=f"portal-{name}")


MEMBER = "members/<uuid:member>/"

#: Mounted at /api/v1/portal/ (``core.api_urls``); every route is a ``path`` with typed ids, so
#: the sweep (``portal/tests/test_api_sweep.py``) finds each one in the URL resolver.
urlpatterns: list[URLPattern] = [
    _route("me/", MeViewSet, {"get": "retrieve"}, "me"),
    _route("doctors/", DoctorViewSet, {"get": "list"}, "doctors"),
    _route("doctors/<int:pk>/slots/", DoctorViewSet, {"get": "slots"}, "doctor-slots"),
    _route(
        f"{MEMBER}appointments/",
        AppointmentViewSet,
        {"get": "list", "post": "create"},
        "appointments",
    ),
    _route(
        f"{MEMBER}appointments/<uuid:pk>/cancel/",
        AppointmentViewSet,
        {"post": "cancel"},
        "appointment-cancel",
    ),
    _route(
        f"{MEMBER}appointments/<uuid:pk>/move/",
        AppointmentViewSet,
        {"post": "move"},
        "appointment-move",
    ),
    _route(f"{MEMBER}visits/", VisitViewSet, {"get": "list"}, "visits"),
    _route(f"{MEMBER}prescriptions/", PrescriptionViewSet, {"get": "list"}, "prescriptions"),
    _route(f"{MEMBER}lab-reports/", LabReportViewSet, {"get": "list"}, "lab-reports"),
    _route(f"{MEMBER}lab-reports/<uuid:pk>/", LabReportViewSet, {"get": "retrieve"}, "lab-report"),
    _route(f"{MEMBER}vitals/", VitalsViewSet, {"get": "list"}, "vitals"),
    _route(f"{MEMBER}allergies/", AllergyViewSet, {"get": "list"}, "allergies"),
    _route(f"{MEMBER}problems/", ProblemViewSet, {"get": "list"}, "problems"),
    _route(f"{MEMBER}documents/", DocumentViewSet, {"get": "list"}, "documents"),
    _route(
        f"{MEMBER}documents/<uuid:pk>/content/",
        DocumentViewSet,
        {"get": "content"},
        "document-content",
    ),
    _route(f"{MEMBER}invoices/", InvoiceViewSet, {"get": "list"}, "invoices"),
    _route(f"{MEMBER}invoices/<int:pk>/", InvoiceViewSet, {"get": "retrieve"}, "invoice"),
    _route(f"{MEMBER}payments/", PaymentViewSet, {"get": "list"}, "payments"),
    _route(f"{MEMBER}balance/", BalanceViewSet, {"get": "retrieve"}, "balance"),
    _route(f"{MEMBER}medicines/", MedicineViewSet, {"get": "retrieve"}, "medicines"),
    _route(f"{MEMBER}medicines/doses/", MedicineViewSet, {"post": "dose"}, "medicine-doses"),
    _route(f"{MEMBER}today/", TodayViewSet, {"get": "retrieve"}, "today"),
    _route(f"{MEMBER}reviews/", ReviewViewSet, {"get": "list"}, "reviews"),
    _route(f"{MEMBER}reviews/<uuid:pk>/", ReviewViewSet, {"post": "write"}, "review-write"),
]
