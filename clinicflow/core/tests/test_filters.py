"""A filter naming a record by id chooses among the caller's clinic's records only."""

from __future__ import annotations

import django_filters
import pytest
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIRequestFactory

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import Membership
from clinicflow.core.filters import ClinicFilterBackend, ClinicFilterSet
from clinicflow.core.scoping import scope_guard

pytestmark = pytest.mark.django_db


class MembershipFilter(ClinicFilterSet):
    class Meta:
        model = Membership
        fields = ["clinic"]


def _request(user):
    request = APIRequestFactory().get("/")
    request.actor = actor_for(user)
    return request


def test_an_id_filter_chooses_in_the_callers_clinic_only(manager, clinic, other_clinic):
    request = _request(manager)
    with scope_guard():
        mine = MembershipFilter({"clinic": clinic.pk}, request=request)
        assert list(mine.qs.values_list("clinic", flat=True)) == [clinic.pk]
        theirs = MembershipFilter({"clinic": other_clinic.pk}, request=request)
        assert not theirs.is_valid()
        assert list(theirs.errors) == ["clinic"]


def test_without_a_clinic_no_id_is_a_choice(clinic):
    request = APIRequestFactory().get("/")  # no actor: the schema generator, say
    with scope_guard():
        assert not MembershipFilter({"clinic": clinic.pk}, request=request).is_valid()


def test_the_api_refuses_a_filterset_that_skips_the_base():
    class Bare(django_filters.FilterSet):
        class Meta:
            model = Membership
            fields = ["clinic"]

    class View:
        filterset_class = Bare

    with pytest.raises(ImproperlyConfigured, match="ClinicFilterSet"):
        ClinicFilterBackend().get_filterset_class(View(), Membership.objects.none())


def test_the_apis_own_filtersets_from_field_lists_stand_on_the_base():
    class View:
        filterset_fields = ["clinic"]

    built = ClinicFilterBackend().get_filterset_class(View(), Membership.objects.none())
    assert issubclass(built, ClinicFilterSet)


def test_a_text_filter_refuses_a_control_character(manager):
    class ByRole(ClinicFilterSet):
        role = django_filters.CharFilter()

        class Meta:
            model = Membership
            fields: list[str] = []

    request = _request(manager)
    with scope_guard():
        assert ByRole({"role": "manager"}, request=request).is_valid()
        assert list(ByRole({"role": "man\x01ager"}, request=request).errors) == ["role"]
