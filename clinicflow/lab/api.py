"""The lab's API: the same policy, services, refusals and audit as its pages.

/api/v1/lab-tests/                    the catalogue: tests with their parameters and ranges
                                      (``?q=&section=&is_active=``), read only
/api/v1/lab-orders/                   orders with their tests, samples and current results
                                      (``?patient=&status=&urgency=&date=&since=&until=``);
                                      place one; ``{id}/collect/`` its samples
/api/v1/lab-order-status/             where each ordered test stands, without results: what
                                      the front desk follows of the visits it registered
/api/v1/lab-ordered-tests/{id}/       ``cancel/`` with a reason, ``results/`` entered,
                                      ``verify/`` by a second person
/api/v1/lab-samples/{id}/             ``receive/``, ``reject/`` with a reason
/api/v1/lab-results/{id}/amend/       correct a verified result with a reason
/api/v1/lab-alerts/                   my open critical values; ``{id}/acknowledge/``

Every read of a patient's orders or alerts is audited (one event per list, naming the
patients; one per order opened). Outside the lab (without ``lab.work``) only released
(verified or amended) results are handed out, and each role receives the fields the policy
gives it for the action (``fields=`` on ``lab.order`` and ``lab.view``), nested rows included.
The samples, results and alerts routes are in ``lab.api_work``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from clinicflow.clinical.models import Encounter
from clinicflow.core import policy
from clinicflow.core.access import (
    PolicyPermission,
    ScopedViewSetMixin,
    actor_of,
    narrow_to_policy,
    referenced_object,
)
from clinicflow.core.actor import Actor
from clinicflow.core.errors import DomainError
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.rest import DefaultPagination
from clinicflow.lab import orders, samples, selectors
from clinicflow.lab.models import (
    LabOrder,
    LabTest,
    OrderedTest,
    PanelMember,
    Parameter,
    ReferenceRange,
    Result,
    ResultStatus,
    Sample,
    TestStatus,
    Urgency,
)
from clinicflow.lab.serializers import (
    CollectSerializer,
    LabOrderSerializer,
    LabTestSerializer,
    NewOrderSerializer,
    SampleSerializer,
)
from clinicflow.patients.models import Patient

# ---------------------------------------------------------------- shared


class LabViewSetMixin(ScopedViewSetMixin):
    """The lab's viewsets: rows narrowed by the policy as in every viewset, and the rows
    nested in them too (an order's tests and results), so a role never receives a nested
    field the policy does not give it. ``answer`` shapes what an action returns the same way."""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)
        self._narrow_nested(serializer)
        return serializer

    def _narrow_nested(self, serializer: Any) -> None:
        action_name = PolicyPermission.action_of(self)
        actor = getattr(self.request, "actor", None)
        if action_name is None or actor is None:
            return
        rows = getattr(serializer, "child", serializer)
        for field in getattr(rows, "fields", {}).values():
            if isinstance(field, serializers.BaseSerializer):
                narrow_to_policy(field, actor, action_name)

    def actor(self) -> Actor | None:
        """The caller with a clinic; None for the schema generator (it has no actor)."""
        actor = getattr(self.request, "actor", None)
        return actor if actor is not None and actor.clinic is not None else None

    def answer(
        self, serializer_class: Any, instance: Any, *, many: bool = False, code: int = 200
    ) -> Response:
        serializer = serializer_class(instance, many=many, context=self.get_serializer_context())  # type: ignore[attr-defined]
        action_name = PolicyPermission.action_of(self)
        if action_name is not None:
            narrow_to_policy(serializer, actor_of(self.request), action_name)
        self._narrow_nested(serializer)
        return Response(serializer.data, status=code)


def field_named(exc: DomainError, prefix: str) -> DomainError:
    """A service's refusal about one entry of a body's mapping or list, named as the body
    names it (``values.12``)."""
    exc.field = f"{prefix}.{exc.field}" if exc.field else prefix
    return exc


# ---------------------------------------------------------------- the catalogue


class CatalogueFilter(ClinicFilterSet):
    q = django_filters.CharFilter(method="search", label="Code or name")
    section = django_filters.NumberFilter(field_name="section_id")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = LabTest
        fields = ["q", "section", "is_active"]

    def search(self, rows: QuerySet[LabTest], name: str, value: str) -> QuerySet[LabTest]:
        return rows.filter(Q(code__icontains=value) | Q(name__icontains=value))


class CataloguePagination(DefaultPagination):
    ordering = ("name", "pk")  # type: ignore[assignment]  # DRF takes a tuple too


class LabTestViewSet(
    LabViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[LabTest],
):
    """The lab's tests and panels, with what each reports and the ranges it is flagged
    against. Edited on the lab's catalogue pages."""

    queryset = LabTest.objects.select_related("section")
    serializer_class = LabTestSerializer
    filterset_class = CatalogueFilter
    pagination_class = CataloguePagination
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "lab.catalogue.view",
        "retrieve": "lab.catalogue.view",
    }

    def get_queryset(self) -> QuerySet[LabTest]:
        rows = super().get_queryset()
        actor = self.actor()
        if actor is None:
            return rows.none()
        clinic = actor.clinic
        ranges = ReferenceRange.objects.for_clinic(clinic)
        return rows.prefetch_related(
            Prefetch(
                "members",
                PanelMember.objects.for_clinic(clinic)
                .select_related("test")
                .order_by("order", "pk"),
            ),
            Prefetch(
                "parameters",
                Parameter.objects.for_clinic(clinic).prefetch_related(Prefetch("ranges", ranges)),
            ),
        )


# ---------------------------------------------------------------- orders


def visible_results(actor: Actor) -> QuerySet[Result]:
    """The results an order shows this person: as they stand; outside the lab (no
    ``lab.work``), only those released by verification."""
    rows = (
        Result.objects.for_clinic(actor.clinic)
        .exclude(status=ResultStatus.SUPERSEDED)
        .select_related("parameter", "entered_by", "verified_by")
    )
    if not policy.allows(actor, "lab.work"):
        rows = rows.filter(status__in=selectors.RELEASED)
    return rows


def with_lab_work(rows: QuerySet[LabOrder], actor: Actor) -> QuerySet[LabOrder]:
    """Orders with their samples and the results this person may read, in a fixed number of
    queries whatever the number of orders."""
    tests = (
        OrderedTest.objects.for_clinic(actor.clinic)
        .select_related("test")
        .prefetch_related(Prefetch("results", visible_results(actor), to_attr="current"))
        .order_by("pk")
    )
    taken = (
        Sample.objects.for_clinic(actor.clinic)
        .select_related("collected_by")
        .prefetch_related(Prefetch("tests", OrderedTest.objects.for_clinic(actor.clinic)))
        .order_by("pk")
    )
    return rows.prefetch_related(Prefetch("tests", tests), Prefetch("samples", taken))


def with_tests(rows: QuerySet[LabOrder], actor: Actor) -> QuerySet[LabOrder]:
    tests = OrderedTest.objects.for_clinic(actor.clinic).select_related("test").order_by("pk")
    return rows.prefetch_related(Prefetch("tests", tests))


class OrderFilter(ClinicFilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    status = django_filters.ChoiceFilter(
        choices=TestStatus.choices, method="with_test_status", label="Has a test in this status"
    )
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices)
    date = django_filters.DateFilter(field_name="ordered_at", lookup_expr="date")
    since = django_filters.DateFilter(field_name="ordered_at", lookup_expr="date__gte")
    until = django_filters.DateFilter(field_name="ordered_at", lookup_expr="date__lte")

    class Meta:
        model = LabOrder
        fields = ["patient", "status", "urgency", "date", "since", "until"]

    def with_test_status(
        self, rows: QuerySet[LabOrder], name: str, value: str
    ) -> QuerySet[LabOrder]:
        # A subquery, never evaluated alone: the outer rows are already the clinic's.
        tests = OrderedTest.objects.filter(order=OuterRef("pk"), status=value)
        return rows.filter(Exists(tests))


class OrderPagination(DefaultPagination):
    ordering = ("-ordered_at", "-pk")  # type: ignore[assignment]  # newest first


ORDERS = LabOrder.objects.select_related("patient", "ordering_doctor", "ordered_by")


class OrderReads(LabViewSetMixin, viewsets.GenericViewSet[LabOrder]):
    """An order list and an order, audited as reads of the patients' results."""

    queryset = ORDERS
    serializer_class = LabOrderSerializer
    filterset_class = OrderFilter
    pagination_class = OrderPagination
    patient_key = "patient_id"


class LabOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrderReads):
    """Lab orders with their tests, samples and current results, newest first; placing an
    order (a doctor from their open consultation, or a direct lab visit naming the outside
    doctor) and collecting its samples."""

    policy_actions: ClassVar[dict[str, str]] = {
        "list": "lab.view",
        "retrieve": "lab.view",
        "create": "lab.order",
        "collect": "lab.collect",
    }

    def get_queryset(self) -> QuerySet[LabOrder]:
        rows = super().get_queryset()
        actor = self.actor()
        if actor is None:
            return rows.none()
        if self.action in ("list", "retrieve"):
            return with_lab_work(rows, actor)
        return with_tests(rows, actor)

    @extend_schema(request=NewOrderSerializer, responses={201: LabOrderSerializer})
    def create(self, request: Request) -> Response:
        """Order tests: ``encounter`` is the doctor's own open consultation; without one, a
        direct lab visit, which names the outside doctor in ``referrer`` (reception)."""
        data = NewOrderSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        actor = actor_of(request)
        patient = referenced_object(request, "patients.search", Patient, given["patient"])
        encounter = referenced_object(
            request, "clinical.write", Encounter, given["encounter"], optional=True
        )
        placed = orders.place(
            actor=actor,
            patient=patient,
            tests=catalogue_tests(actor, given["tests"]),
            urgency=given["urgency"],
            clinical_note=given["clinical_note"],
            encounter=encounter,
            referrer=given["referrer"],
        )
        return self.answer(
            LabOrderSerializer, self.get_queryset().get(pk=placed.pk), code=status.HTTP_201_CREATED
        )

    @extend_schema(request=CollectSerializer, responses={201: SampleSerializer(many=True)})
    @action(detail=True, methods=["post"], pagination_class=None)  # the samples just taken
    def collect(self, request: Request, pk: Any = None) -> Response:
        """Take the order's samples (one per sample type and container) at the time given."""
        data = CollectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        order = self.get_object()
        taken = samples.collect(
            actor=actor_of(request),
            order=order,
            collected_at=data.validated_data["collected_at"],
            tests=tests_of_order(actor_of(request), order, data.validated_data["tests"]),
        )
        return self.answer(SampleSerializer, taken, many=True, code=status.HTTP_201_CREATED)


def catalogue_tests(actor: Actor, ids: Sequence[int]) -> list[LabTest]:
    """The tests a body names, in its order (a repeated one repeated: the service says so)."""
    found = LabTest.objects.for_clinic(actor.clinic).in_bulk(list(ids))
    if any(pk not in found for pk in ids):
        raise DomainError("Choose tests from this clinic's catalogue.", field="tests")
    return [found[pk] for pk in ids]


def tests_of_order(
    actor: Actor, order: LabOrder, ids: Sequence[int] | None
) -> list[OrderedTest] | None:
    if ids is None:
        return None
    found = list(OrderedTest.objects.for_clinic(actor.clinic).filter(order=order, pk__in=ids))
    if len(found) != len(set(ids)):
        raise DomainError("Choose tests of this order.", field="tests")
    return found


class LabOrderStatusViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrderReads):
    """Where each ordered test stands, for those who order (the front desk follows the
    direct visits it registered): the policy gives ``lab.order`` no results, samples or
    clinical note."""

    policy_actions: ClassVar[dict[str, str]] = {"list": "lab.order", "retrieve": "lab.order"}

    def get_queryset(self) -> QuerySet[LabOrder]:
        rows = super().get_queryset()
        actor = self.actor()
        return rows.none() if actor is None else with_tests(rows, actor)


def register(router: BaseRouter) -> None:
    from clinicflow.lab import api_work

    router.register("lab-tests", LabTestViewSet, basename="lab-test")
    router.register("lab-orders", LabOrderViewSet, basename="lab-order")
    router.register("lab-order-status", LabOrderStatusViewSet, basename="lab-order-status")
    api_work.register(router)
