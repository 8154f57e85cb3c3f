"""Every filter, form and serializer of ClinicFlow stands on the core's base for its kind, so
what the base guarantees (choices in the caller's clinic, text without control characters)
holds for the ones written tomorrow too."""

from __future__ import annotations

import importlib
import pkgutil

import django_filters
import pytest
from django import forms
from rest_framework import serializers

import clinicflow
from clinicflow.core import forms as core_forms
from clinicflow.core import serializers as core_serializers
from clinicflow.core.filters import ClinicFilterSet


def project_classes(root: type) -> list[type]:
    """Every class of ClinicFlow's own modules (tests aside) that derives from ``root``."""
    for module in pkgutil.walk_packages(clinicflow.__path__, "clinicflow."):
        if ".tests" not in module.name and ".migrations" not in module.name:
            importlib.import_module(module.name)
    found, todo = [], [root]
    while todo:
        for cls in todo.pop().__subclasses__():
            todo.append(cls)
            if cls.__module__.startswith("clinicflow.") and ".tests" not in cls.__module__:
                found.append(cls)
    return found


@pytest.mark.parametrize(
    ("root", "base"),
    [
        (django_filters.FilterSet, ClinicFilterSet),
        (forms.BaseForm, core_forms.PlainTextFields),
        (serializers.BaseSerializer, core_serializers.PlainTextFields),
    ],
)
def test_every_class_of_its_kind_derives_from_the_core_base(root, base):
    classes = project_classes(root)
    assert len(classes) > 5  # the walk found the project's own
    assert [c.__qualname__ for c in classes if not issubclass(c, base)] == []
