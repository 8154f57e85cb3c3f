"""The REST API: one policy, one error shape, the schema served locally."""

from __future__ import annotations

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
