"""``generate_portal_history`` at a tiny size: portal accounts, each its record's own, with
visits, vitals, prescriptions, released lab results, bills and appointments past and coming
that the portal's own pages then show (the bench's ``portal`` scenario reads them at 50
accounts of 10 years). Runs on SQLite and, with DATABASE_URL, on PostgreSQL (through COPY)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.accounts.models import User
from clinicflow.billing.models import Invoice
from clinicflow.clinical.models import Encounter, Prescription
from clinicflow.frontdesk.models import Observation
from clinicflow.lab.models import Result
from clinicflow.portal.models import PatientLink, Relationship
from clinicflow.portal.tests.records_day import practitioner_of
from clinicflow.scheduling.models import Appointment, AppointmentStatus

pytestmark = pytest.mark.django_db

SIZES = {"patients": 2, "years": 2, "visits": 6, "results": 40, "invoices": 3, "upcoming": 2}


def generate(**options: object) -> str:
    out = StringIO()
    arguments = {"clinic": "KTM", "seed": 1, "force": True, **SIZES, **options}
    call_command("generate_portal_history", stdout=out, **arguments)
    return out.getvalue()


@pytest.fixture
def history(clinic, manager, doctor, people):
    practitioner_of(people)
    call_command("generate_patients", clinic="KTM", count=5, seed=5, force=True)
    return generate()


def test_each_account_looks_after_its_own_record_with_its_history(clinic, history):
    assert "Generated 2 portal accounts with 12 visits" in history
    links = PatientLink.objects.for_clinic(clinic).filter(user__username__startswith="benchportal")
    assert links.count() == 2
    assert {link.relationship for link in links} == {Relationship.SELF}
    for link in links:
        patient = link.patient
        assert Encounter.objects.for_clinic(clinic).filter(patient=patient).count() == 6
        assert Observation.objects.for_clinic(clinic).filter(patient=patient).count() == 36
        assert Result.objects.for_clinic(clinic).filter(patient=patient).count() == 40
        rows = Appointment.objects.for_clinic(clinic).filter(patient=patient)
        assert rows.filter(status=AppointmentStatus.COMPLETED).count() == 6
        coming = rows.filter(status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now())
        assert coming.count() == 2
    assert Invoice.objects.for_clinic(clinic).filter(patient__in=[lk.patient for lk in links])
    assert Prescription.objects.for_clinic(clinic).exists()


def test_the_portal_pages_show_the_generated_history(clinic, history):
    client = Client()
    user = User.objects.get(username="benchportal01")
    signed_in = client.post(
        "/accounts/login/", {"username": user.username, "password": DEMO_PASSWORD}
    )
    assert signed_in.status_code == 302
    patient = PatientLink.objects.for_clinic(clinic).get(user=user).patient
    home = client.get("/dashboard/")
    assert patient.full_name in home.content.decode()
    visits = client.get("/portal/records/visits/").content.decode()
    assert visits.count('data-testid="visit"') == 6
    assert 'data-testid="diagnosis"' in visits
    lab = client.get("/portal/records/lab/").content.decode()
    assert lab.count('data-testid="lab-report"') == 2
    assert lab.count('data-testid="latest-result"') == 20
    assert 'data-testid="vital"' in client.get("/portal/records/vitals/").content.decode()
    appointments = client.get("/portal/records/appointments/").content.decode()
    coming = appointments.split('data-testid="past-appointments"')[0]
    assert coming.count('data-testid="appointment"') == 2
    assert appointments.count('data-testid="appointment"') == 8
    assert client.get("/portal/records/prescriptions/").status_code == 200
    invoices = Invoice.objects.for_clinic(clinic).filter(patient=patient).count()
    bills = client.get("/portal/bills/").content.decode()
    assert bills.count('data-testid="invoice"') == invoices


def test_refuses_to_link_the_same_accounts_twice(history):
    with pytest.raises(CommandError, match="already look after"):
        generate()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"results": 30}, "multiple of 20"),
        ({"patients": 6}, "5 active patients without a portal account; 6 are needed"),
        ({"visits": -1}, "cannot be negative"),
        ({"clinic": "NOPE"}, "No clinic"),
    ],
)
def test_bad_sizes_are_refused_and_nothing_is_written(clinic, people, options, message):
    practitioner_of(people)
    call_command("generate_patients", clinic="KTM", count=5, seed=5, force=True)
    with pytest.raises(CommandError, match=message):
        generate(**options)
    assert not PatientLink.objects.all_clinics().exists()
    assert not Encounter.objects.all_clinics().exists()
    assert not User.objects.filter(username__startswith="benchportal").exists()


def test_refuses_on_a_real_installation_without_force(clinic, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        generate(force=False)
