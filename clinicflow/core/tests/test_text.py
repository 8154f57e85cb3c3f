"""Text input refuses control characters in every form and serializer (the core bases add the
one validator to every text field); tabs and line breaks of notes stay allowed."""

from __future__ import annotations

import pytest
from django import forms
from rest_framework import serializers

from clinicflow.core.forms import ClinicFlowForm
from clinicflow.core.models import Clinic
from clinicflow.core.serializers import ClinicFlowModelSerializer, ClinicFlowSerializer
from clinicflow.core.text import without_control_characters

# In the middle of the text: trailing ones that Python counts as white space (\x1c-\x1f,
# \x85) are stripped by the fields anyway.
PASTED = ["Anal\x01gesic", "bell\x07", "n\x00ul", "escape\x1b[0m", "del\x7fete", "c\x851", "a\x1fb"]
NOTES = "Line one\r\n\tindented line two\nline three"


class NoteForm(ClinicFlowForm):
    note = forms.CharField(widget=forms.Textarea)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["added_later"] = forms.CharField(required=False)


@pytest.mark.parametrize("text", PASTED)
def test_a_form_refuses_a_control_character_with_one_clear_message(text):
    form = NoteForm({"note": text})
    assert not form.is_valid()
    assert form.errors["note"] == [
        "This text holds an invisible control character (often pasted in from another "
        "program): retype it or remove the pasted part."
    ]


def test_a_form_keeps_tabs_and_line_breaks_and_guards_fields_added_later():
    assert NoteForm({"note": NOTES}).is_valid()
    later = NoteForm({"note": "fine", "added_later": "x\x02"})
    assert list(later.errors) == ["added_later"]


class ClinicSerializer(ClinicFlowModelSerializer[Clinic]):
    class Meta:
        model = Clinic
        fields = ["name"]


class VisitSerializer(ClinicFlowSerializer):
    reason = serializers.CharField()
    words = serializers.ListField(child=serializers.CharField(), required=False)
    clinic = ClinicSerializer(required=False)

    def get_fields(self) -> dict:
        return {**super().get_fields(), "own": serializers.CharField(required=False)}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "a\x01"}, "reason"),  # declared
        ({"reason": "ok", "words": ["fine", "b\x1fc"]}, "words"),  # a list's texts
        ({"reason": "ok", "clinic": {"name": "c\x0bd"}}, "clinic"),  # made from a model field
        ({"reason": "ok", "own": "d\x08"}, "own"),  # from a get_fields of its own
    ],
)
def test_a_serializer_refuses_a_control_character_in_every_kind_of_text_field(data, field):
    serializer = VisitSerializer(data=data)
    assert not serializer.is_valid()
    assert list(serializer.errors) == [field]


def test_a_serializer_keeps_tabs_and_line_breaks():
    serializer = VisitSerializer(data={"reason": NOTES, "words": [NOTES]})
    assert serializer.is_valid(), serializer.errors


def test_what_was_stored_before_the_rule_is_exported_without_its_control_characters():
    assert without_control_characters("Anal\x01gesic\x7f\n\tnext") == "Analgesic\n\tnext"
