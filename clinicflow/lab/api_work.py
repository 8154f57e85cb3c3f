"""The lab's API, the work on an order: cancelling a test, receiving or rejecting a sample,
entering, verifying and amending results, acknowledging critical values (routes in
``lab.api``'s docstring)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from clinicflow.core.access import actor_of
from clinicflow.core.errors import DomainError
from clinicflow.core.rest import DefaultPagination
from clinicflow.core.roles import Role
from clinicflow.lab import alerts, orders, results, samples, selectors
from clinicflow.lab.api import LabViewSetMixin, field_named
from clinicflow.lab.models import CriticalAlert, OrderedTest, Result, Sample
from clinicflow.lab.serializers import (
    AcknowledgeSerializer,
    AmendSerializer,
    CancelReasonSerializer,
    CriticalAlertSerializer,
    EntrySerializer,
    OrderedTestSerializer,
    RejectSerializer,
    ResultSerializer,
    SampleSerializer,
    TestResultsSerializer,
)


class OrderedTestViewSet(LabViewSetMixin, viewsets.GenericViewSet[OrderedTest]):
    """One ordered test: cancelled before collection (by who orders), its results entered
    and verified by a second person (the lab)."""

    queryset = OrderedTest.objects.select_related("test")
    serializer_class = OrderedTestSerializer
    policy_actions: ClassVar[dict[str, str]] = {
        "cancel": "lab.order",
        "enter": "lab.work",
        "verify": "lab.work",
    }

    def _with_results(self, ordered_test: OrderedTest) -> Response:
        ordered_test = self.get_queryset().get(pk=ordered_test.pk)  # as the service left it
        ordered_test.current = list(selectors.current_results(ordered_test))  # type: ignore[attr-defined]
        return self.answer(TestResultsSerializer, ordered_test)

    @extend_schema(request=CancelReasonSerializer, responses=OrderedTestSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """Cancel a test not yet collected, saying why; its unbilled charge is voided."""
        data = CancelReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = orders.cancel(
            actor=actor_of(request), ordered_test=self.get_object(), **data.validated_data
        )
        return self.answer(OrderedTestSerializer, done)

    @extend_schema(request=EntrySerializer, responses=TestResultsSerializer)
    @action(detail=True, methods=["post"], url_path="results")
    def enter(self, request: Request, pk: Any = None) -> Response:
        """Enter or correct (before verification) the test's values, all or nothing: a
        refused value is named ``values.<parameter id>`` and nothing is saved."""
        data = EntrySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        ordered_test = self.get_object()
        try:
            results.enter(
                actor=actor_of(request),
                ordered_test=ordered_test,
                values=given["values"],
                comments=given["comments"],
                report_comment=given["report_comment"],
            )
        except DomainError as exc:
            raise field_named(exc, "values") from None
        return self._with_results(ordered_test)

    @extend_schema(request=None, responses=TestResultsSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: Any = None) -> Response:
        """Release the test's results: never by one who entered any of them
        (400, ``same_person``); a test already verified is a 409."""
        return self._with_results(
            results.verify(actor=actor_of(request), ordered_test=self.get_object())
        )


class SampleViewSet(LabViewSetMixin, viewsets.GenericViewSet[Sample]):
    """A sample in the lab: received, or rejected with a reason (its tests wait to be
    collected again)."""

    queryset = Sample.objects.select_related("collected_by")
    serializer_class = SampleSerializer
    policy_actions: ClassVar[dict[str, str]] = {"receive": "lab.work", "reject": "lab.work"}

    @extend_schema(request=None, responses=SampleSerializer)
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, pk: Any = None) -> Response:
        return self.answer(
            SampleSerializer, samples.receive(actor=actor_of(request), sample=self.get_object())
        )

    @extend_schema(request=RejectSerializer, responses=SampleSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = samples.reject(
            actor=actor_of(request), sample=self.get_object(), **data.validated_data
        )
        return self.answer(SampleSerializer, done)


class ResultViewSet(LabViewSetMixin, viewsets.GenericViewSet[Result]):
    """A released result, amended with a reason: the original stays, superseded."""

    queryset = Result.objects.select_related("parameter")
    serializer_class = ResultSerializer
    patient_key = "patient_id"
    policy_actions: ClassVar[dict[str, str]] = {"amend": "lab.work"}

    @extend_schema(request=AmendSerializer, responses={201: ResultSerializer})
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: Any = None) -> Response:
        data = AmendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        correction = results.amend(
            actor=actor_of(request), result=self.get_object(), **data.validated_data
        )
        return self.answer(ResultSerializer, correction, code=status.HTTP_201_CREATED)


class AlertPagination(DefaultPagination):
    ordering = ("-raised_at", "-pk")  # type: ignore[assignment]  # newest first


class AlertViewSet(
    LabViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[CriticalAlert],
):
    """My critical values: a doctor's own patients'; a manager's, those escalated to them.
    The list shows the open ones; acknowledging says what was done."""

    queryset = CriticalAlert.objects.select_related(
        "patient",
        "acknowledged_by",
        "result__parameter",
        "result__ordered_test__order",
        "result__ordered_test__test",
    )
    serializer_class = CriticalAlertSerializer
    pagination_class = AlertPagination
    patient_key = "patient_id"
    policy_actions: ClassVar[dict[str, str]] = {
        "list": "lab.alerts.acknowledge",
        "retrieve": "lab.alerts.acknowledge",
        "acknowledge": "lab.alerts.acknowledge",
    }

    def get_queryset(self) -> QuerySet[CriticalAlert]:
        rows = super().get_queryset()
        actor = self.actor()
        if actor is None:
            return rows.none()
        mine = Q(doctor=actor.user)
        if actor.roles & {Role.MANAGER, Role.ADMIN}:
            mine |= Q(escalated_at__isnull=False)
        rows = rows.filter(mine)
        return rows.filter(acknowledged_at=None) if self.action == "list" else rows

    @extend_schema(request=AcknowledgeSerializer, responses=CriticalAlertSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: Any = None) -> Response:
        data = AcknowledgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        done = alerts.acknowledge(
            actor=actor_of(request), alert=self.get_object(), **data.validated_data
        )
        return self.answer(CriticalAlertSerializer, self.get_queryset().get(pk=done.pk))


def register(router: BaseRouter) -> None:
    router.register("lab-ordered-tests", OrderedTestViewSet, basename="lab-ordered-test")
    router.register("lab-samples", SampleViewSet, basename="lab-sample")
    router.register("lab-results", ResultViewSet, basename="lab-result")
    router.register("lab-alerts", AlertViewSet, basename="lab-alert")
