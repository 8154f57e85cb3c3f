"""Request-wide rules: a NUL in a query parameter is a 400 everywhere; what may carry patient
data is never kept in a browser's or proxy's cache."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.core.middleware import PrivateResponsesMiddleware

pytestmark = pytest.mark.django_db

NO_STORE = "private, no-store"


@pytest.mark.parametrize(
    "url",
    ["/pharmacy/history/", "/pharmacy/history/export.csv", "/api/v1/dispenses/", "/patients/"],
)
def test_a_nul_in_any_parameter_of_an_audited_list_is_a_400_and_nothing_is_recorded(
    pharmacist, manager, sign_in, url
):
    from clinicflow.core.models import AuditEvent

    client = sign_in(manager if url == "/patients/" else pharmacist)
    before = AuditEvent.objects.all_clinics().count()
    response = client.get(url, {"patient": "ab\x00cd"})
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
    assert AuditEvent.objects.all_clinics().count() == before


def test_answers_to_signed_in_people_are_not_kept(doctor, manager, register, sign_in):
    priya = register()
    doctors = sign_in(doctor)
    for client, url in [
        (doctors, reverse("patients:chart", args=[priya.pk])),
        (doctors, f"/api/v1/patients/{priya.pk}/"),
        (doctors, reverse("core:dashboard")),
        (sign_in(manager), "/patients/export.csv"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == NO_STORE, url


def test_public_pages_keep_their_own_caching_and_private_ones_are_not_kept(client):
    assert not client.get(reverse("core:home")).has_header("Cache-Control")
    assert "max-age=0" in client.get(reverse("accounts:login"))["Cache-Control"]  # Django's own
    to_sign_in = client.get(reverse("core:dashboard"))
    assert to_sign_in.status_code == 302
    assert to_sign_in["Cache-Control"] == NO_STORE
    assert client.get("/api/v1/patients/")["Cache-Control"] == NO_STORE


def test_a_view_that_sets_its_own_cache_control_keeps_it(doctor):
    request = RequestFactory().get("/")
    request.actor = actor_for(doctor)

    def thumbnail(request):
        response = HttpResponse(b"")
        response["Cache-Control"] = "private, max-age=300"
        return response

    assert PrivateResponsesMiddleware(thumbnail)(request)["Cache-Control"] == (
        "private, max-age=300"
    )
    assert PrivateResponsesMiddleware(lambda r: HttpResponse())(request)["Cache-Control"] == (
        NO_STORE
    )
