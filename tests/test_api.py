"""The REST API: one policy, one error shape, the schema served locally."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIRequestFactory

from clinicflow.core.errors import Conflict
from clinicflow.core.rest import exception_handler

pytestmark = pytest.mark.django_db


def test_me_names_the_person_their_clinic_and_roles(doctor, clinic, sign_in):
    data = sign_in(doctor).get(reverse("api:me")).json()
    assert data["username"] == "doctor"
    assert data["clinic"]["code"] == clinic.code
    assert data["roles"] == ["doctor"]


def test_the_api_refuses_anonymous_callers(client):
    assert client.get(reverse("api:me")).status_code == 403


def test_the_openapi_schema_is_served_to_staff_and_not_to_patients(doctor, patient, sign_in):
    schema = sign_in(doctor).get(reverse("api:schema"), {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/me/" in schema.json()["paths"]
    assert sign_in(patient).get(reverse("api:schema")).status_code == 403


def test_a_domain_refusal_becomes_a_409_with_its_message():
    request = APIRequestFactory().get("/")
    response = exception_handler(
        Conflict("That time was just taken.", field="start"), {"request": request}
    )
    assert response.status_code == 409
    assert response.data == {
        "detail": "That time was just taken.",
        "code": "conflict",
        "field": "start",
    }


def _forged(position: str) -> str:
    from base64 import b64encode
    from urllib.parse import urlencode

    return b64encode(urlencode({"o": 0, "p": position}).encode()).decode()


def _paged_lists():
    """Every API list route that pages by key, with its model and ordering key."""
    from clinicflow.core.api_urls import router
    from clinicflow.core.rest import DefaultPagination

    for prefix, viewset, _basename in router.registry:
        paging = getattr(viewset, "pagination_class", None)
        if hasattr(viewset, "list") and paging and issubclass(paging, DefaultPagination):
            ordering = paging.ordering
            key = (ordering if isinstance(ordering, str) else ordering[0]).lstrip("-")
            rows = viewset.queryset
            if rows is None:  # built per request; the schema generator's way gets its model
                rows = viewset(swagger_fake_view=True).get_queryset()
            yield f"/api/v1/{prefix}/", rows.model, key


def test_a_forged_page_cursor_is_a_400_on_every_paged_list(
    manager, doctor, nurse, pharmacist, sign_in
):
    from django.db import models

    clients = [sign_in(person) for person in (manager, doctor, nurse, pharmacist)]
    lists = list(_paged_lists())
    assert len(lists) >= 10
    for url, model, key in lists:
        api = next(c for c in clients if c.get(url).status_code == 200)
        field = model._meta.pk if key == "pk" else model._meta.get_field(key)
        text_key = isinstance(field, models.CharField | models.TextField)
        answer = api.get(url, {"cursor": _forged("not-a-position")})
        assert answer.status_code == (200 if text_key else 400), (url, answer.content)
        if not text_key:
            assert answer.json() == {
                "cursor": ["This page link is not valid: start again from the first page."]
            }
        assert api.get(url, {"cursor": "%%%not base64"}).status_code == 400, url
        assert api.get(url, {"cursor": _forged("a\x00b")}).status_code == 400, url


def test_a_nul_in_any_query_parameter_is_a_400_with_a_clear_message(manager, sign_in):
    api = sign_in(manager)
    answer = api.get("/api/v1/patients/", {"q": "ab\x00cd"})
    assert answer.status_code == 400
    assert "NUL character" in answer.json()["detail"]
    assert api.get("/api/v1/queue/", {"status\x00": "waiting"}).status_code == 400
    page = api.get(reverse("patients:search"), {"q": "ab\x00cd"})
    assert page.status_code == 400
    assert "NUL character" in page.content.decode()


def test_the_schema_pages_only_the_lists_that_page(doctor, sign_in):
    """A paginated answer in the schema is a collection's list (``GET /api/v1/<things>/``,
    or in the portal a family member's ``GET /api/v1/portal/members/{member}/<things>/``);
    an action that answers a plain list (free slots, vitals just recorded) says so."""
    schema = sign_in(doctor).get(reverse("api:schema"), {"format": "json"}).json()
    paged = [
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        for answer in operation.get("responses", {}).values()
        if "Paginated" in str(answer.get("content", {}))
    ]
    assert paged
    member_list = re.compile(r"/api/v1/portal/members/\{member\}/[a-z-]+/")
    assert [
        (m, p)
        for m, p in paged
        if m != "get" or (p.count("/") != 4 and not member_list.fullmatch(p))
    ] == []


def _serializers(base: type) -> list[type]:
    found = []
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(_serializers(sub))
    return found


def test_every_time_the_api_writes_carries_its_utc_offset():
    """Model datetime fields become ``OffsetDateTimeField`` through the model serializers'
    base; a declared datetime field of any of our serializers must be one too (DRF's own
    writes "Z")."""
    from django.db import models
    from rest_framework import serializers

    import clinicflow.core.api_urls  # noqa: F401 - every app's serializers, imported
    from clinicflow.core.api_fields import OffsetDateTimeField
    from clinicflow.core.serializers import ClinicFlowModelSerializer

    mapped = ClinicFlowModelSerializer.serializer_field_mapping[models.DateTimeField]
    assert mapped is OffsetDateTimeField
    plain = [
        f"{serializer.__module__}.{serializer.__name__}.{name}"
        for serializer in _serializers(serializers.BaseSerializer)
        if serializer.__module__.startswith("clinicflow.")
        for name, field in getattr(serializer, "_declared_fields", {}).items()
        if isinstance(field, serializers.DateTimeField)
        and not isinstance(field, OffsetDateTimeField)
    ]
    assert plain == []
