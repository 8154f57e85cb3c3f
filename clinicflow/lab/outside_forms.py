"""The outside report's form on the order page: the file, what the report says of itself and
which of the order's waiting tests it covers. It checks only the shape of what was sent; the
rules are ``lab.outside``'s."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clinicflow.core.forms import ClinicFlowForm
from clinicflow.lab.models import LabOrder, OrderedTest
from clinicflow.lab.samples import TO_COLLECT


class OutsideReportForm(ClinicFlowForm):
    """The report's file and what it says of itself; which of the order's waiting tests it
    covers (all, unless unticked)."""

    file = forms.FileField(label=_("Report (PDF, PNG or JPEG)"))
    lab_name = forms.CharField(label=_("Outside lab"), max_length=120)
    reported_on = forms.DateField(
        label=_("Report date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sampled_on = forms.DateField(
        label=_("Sample date (if not the report's)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    tests = forms.MultipleChoiceField(
        label=_("Tests it reports"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, waiting: list[OrderedTest], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"tests": [str(t.pk) for t in waiting]})
        super().__init__(*args, **kwargs)
        self.waiting = {str(t.pk): t for t in waiting}
        tests = self.fields["tests"]
        assert isinstance(tests, forms.MultipleChoiceField)
        tests.choices = [(str(t.pk), t.test.name) for t in waiting]
        tests.error_messages["required"] = _("Tick the tests the report gives.")

    def chosen(self) -> list[OrderedTest]:
        return [self.waiting[pk] for pk in self.cleaned_data["tests"]]


def waiting_tests(order: LabOrder) -> list[OrderedTest]:
    """The order's tests an outside report may cover (from the order's prefetched tests)."""
    return [t for t in order.tests.all() if t.status in TO_COLLECT]
