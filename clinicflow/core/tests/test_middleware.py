"""Request-wide rules: a NUL in a query parameter is a 400 everywhere."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


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
