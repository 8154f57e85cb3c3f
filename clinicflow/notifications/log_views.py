"""The delivery log for managers: every e-mail and SMS the clinic sent or tried to, filtered
by patient, channel, event, status and date, with each channel's last hour at the top and a
way to send a failed message again."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from clinicflow.core.access import actor_of, requires
from clinicflow.core.errors import DomainError
from clinicflow.core.filters import ClinicFilterSet
from clinicflow.core.lists import FilteredListView
from clinicflow.notifications import events, outbox
from clinicflow.notifications.models import Channel, Message, MessageStatus

ACTION = "notifications.log"


class MessageFilter(ClinicFilterSet):
    mrn = django_filters.CharFilter(
        field_name="patient__mrn", lookup_expr="iexact", label=gettext_lazy("Patient (MRN)")
    )
    channel = django_filters.ChoiceFilter(
        choices=Channel.choices, empty_label=gettext_lazy("Any channel")
    )
    event = django_filters.ChoiceFilter(
        choices=lambda: [(k.key, k.label) for k in events.kinds()],
        empty_label=gettext_lazy("Any event"),
    )
    status = django_filters.ChoiceFilter(
        choices=MessageStatus.choices, empty_label=gettext_lazy("Any status")
    )
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=gettext_lazy("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=gettext_lazy("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Message
        fields: list[str] = []


class MessageLogView(FilteredListView):
    policy_action = ACTION
    model = Message
    filterset_class = MessageFilter
    template_name = "notifications/log.html"
    select_related = ("patient",)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        health = outbox.health(actor_of(self.request).clinic)
        context["health"] = [(Channel(c).label, figures) for c, figures in health.items()]
        return context


@requires(ACTION)
@require_POST
def resend(request: HttpRequest, pk: int) -> HttpResponse:
    actor = actor_of(request)
    message = get_object_or_404(Message.objects.for_clinic(actor.clinic), pk=pk)
    try:
        outbox.resend(actor=actor, message=message)
    except DomainError as error:
        flash.error(request, str(error))
    else:
        flash.success(request, _("The message is queued again."))
    return redirect("notifications:log")
