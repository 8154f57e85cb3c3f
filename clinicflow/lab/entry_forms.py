"""The lab bench's forms: a test's result entry (one input per parameter, in report order),
collecting an order's samples, rejecting a sample and amending a verified result. They check
only the shape of what was sent; the rules are the services' (``results``, ``samples``), whose
refusals the views put at the field they name."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinicflow.core.errors import DomainError
from clinicflow.core.forms import ClinicFlowForm
from clinicflow.lab.models import OrderedTest, Parameter, RejectionReason, Result, ResultType

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def value_field(parameter: Parameter) -> str:
    return f"p{parameter.pk}"


def comment_field(parameter: Parameter) -> str:
    return f"c{parameter.pk}"


def show_error(
    form: forms.Form, error: DomainError, *, fields: dict[str, str] | None = None
) -> None:
    """A service's refusal at the field it names (through ``fields``, from the service's
    name to the form's), or above the form."""
    name = (fields or {}).get(error.field or "", error.field)
    form.add_error(name if name in form.fields else None, error.message)


def _input_for(parameter: Parameter) -> forms.Field:
    label = parameter.name
    if parameter.result_type == ResultType.CHOICE:
        choices = [("", "—"), *((c, c) for c in parameter.choice_list)]
        return forms.ChoiceField(label=label, choices=choices, required=False)
    if parameter.result_type == ResultType.NUMERIC:
        widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})
        return forms.CharField(label=label, required=False, max_length=30, widget=widget)
    return forms.CharField(
        label=label, required=False, max_length=500, widget=forms.TextInput(attrs={"size": 40})
    )


class ResultEntryForm(ClinicFlowForm):
    """One test's values and comments. Calculated parameters have no input: the service
    computes them (and the page shows them, recomputed as the others are typed)."""

    report_comment = forms.CharField(
        label=_("Report comment"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        data: Any = None,
        *,
        parameters: Iterable[Parameter],
        results: Iterable[Result] = (),
        ordered_test: OrderedTest | None = None,
    ):
        current = {r.parameter_id: r for r in results}
        initial: dict[str, Any] = {"report_comment": ordered_test.comment if ordered_test else ""}
        for parameter in parameters:
            if parameter.pk in current:
                result = current[parameter.pk]
                initial[value_field(parameter)] = result.display
                initial[comment_field(parameter)] = result.comment
        super().__init__(
            data, initial=initial, prefix=f"t{ordered_test.pk}" if ordered_test else None
        )
        self.parameters = [p for p in parameters if p.result_type != ResultType.CALCULATED]
        for parameter in self.parameters:
            self.fields[value_field(parameter)] = _input_for(parameter)
        for parameter in parameters:
            self.fields[comment_field(parameter)] = forms.CharField(
                label=_("Comment on %(parameter)s") % {"parameter": parameter.name},
                required=False,
                max_length=300,
            )
        self.order_fields(["report_comment"])

    def values(self) -> dict[str, str]:
        """What the service takes: the raw value by parameter id (blank: left as it was)."""
        return {str(p.pk): self.cleaned_data.get(value_field(p)) or "" for p in self.parameters}

    def raw_values(self) -> dict[str, str]:
        """The values as typed, before cleaning (the preview reads a half-filled form)."""
        return {str(p.pk): str(self[value_field(p)].value() or "") for p in self.parameters}

    def comments(self) -> dict[str, str]:
        return {
            str(name[1:]): value
            for name, value in self.cleaned_data.items()
            if name.startswith("c") and name[1:].isdigit()
        }

    def field_names(self) -> dict[str, str]:
        """A service's field (a parameter id) to this form's field."""
        return {str(p.pk): value_field(p) for p in self.parameters}


class WaitingTests(forms.ModelMultipleChoiceField):
    """An order's waiting tests, each named with the sample and container it needs."""

    def label_from_instance(self, obj: Any) -> str:
        test = obj.test
        needs = test.get_sample_type_display()
        if test.container:
            needs = f"{needs}, {test.container}"
        return f"{test.name} — {needs}"


class CollectForm(ClinicFlowForm):
    """Which of the order's waiting tests, and when the sample was taken, read in the
    clinic's time zone (the collector's wall clock)."""

    tests = WaitingTests(
        label=_("Tests"), queryset=OrderedTest.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    collected_at = forms.DateTimeField(
        label=_("Taken at"),
        input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE),
    )

    def __init__(self, data: Any = None, *, waiting: Any, zone: ZoneInfo):
        self.zone = zone
        now = timezone.localtime(timezone.now(), zone)
        initial = {"tests": list(waiting), "collected_at": now.strftime(LOCAL_MINUTE)}
        super().__init__(data, initial=initial)
        field = self.fields["tests"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = waiting

    def full_clean(self) -> None:
        # A typed time is the clinic's wall clock, whatever zone the request runs in.
        with timezone.override(self.zone):
            super().full_clean()

    def taken_at(self) -> datetime:
        value: datetime = self.cleaned_data["collected_at"]
        return value


class RejectForm(ClinicFlowForm):
    reason = forms.ChoiceField(
        label=_("Why rejected"), choices=[("", "—"), *RejectionReason.choices]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)


class AmendForm(ClinicFlowForm):
    value = forms.CharField(label=_("Corrected value"), max_length=500)
    reason = forms.CharField(label=_("Why amended"), max_length=300)

    def __init__(self, data: Any = None, *, result: Result):
        super().__init__(data, prefix=f"r{result.pk}")
        self.result = result
