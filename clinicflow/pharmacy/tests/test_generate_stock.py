"""``generate_stock``: a synthetic pharmacy for demo and bench installations — medicines,
batches (some expired) whose ledger sums to their quantity, reviewed prescriptions the real
dispensing service can dispense, and pharmacist accounts with the demo password."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.demo import DEMO_PASSWORD
from clinicflow.accounts.models import Membership, User
from clinicflow.clinical.models import EncounterStatus, Prescription, PrescriptionStatus
from clinicflow.core.errors import Conflict
from clinicflow.core.models import AuditEvent
from clinicflow.core.roles import Role
from clinicflow.pharmacy import dispensing, stock
from clinicflow.pharmacy.models import (
    Dispense,
    GoodsReceipt,
    Medicine,
    MovementKind,
    Review,
    StockBatch,
    StockMovement,
)
from clinicflow.pharmacy.tests.conftest import on_hand_matches_ledger

pytestmark = pytest.mark.django_db

SIZES = {"medicines": 60, "batches": 400, "prescriptions": 40, "pharmacists": 3, "hot": 5}


def generate(**options: object) -> str:
    out = StringIO()
    arguments = {"clinic": "KTM", "seed": 1, "force": True, **SIZES, **options}
    call_command("generate_stock", stdout=out, **arguments)
    return out.getvalue()


@pytest.fixture
def patients(clinic, practitioner):
    call_command("generate_patients", clinic="KTM", count=50, seed=5, force=True)


def test_catalogue_stock_and_ledger_are_made_as_asked(clinic, patients):
    output = generate()
    assert "Generated 60 medicines (5 hot), 400 batches" in output
    medicines = Medicine.objects.for_clinic(clinic)
    assert medicines.count() == 60
    assert StockBatch.objects.for_clinic(clinic).count() == 400
    assert GoodsReceipt.objects.for_clinic(clinic).count() == 20
    # One receive row per batch, from the batch's own delivery: the ledger is the quantity.
    receives = StockMovement.objects.for_clinic(clinic).select_related("batch", "receipt")
    assert receives.count() == 400
    assert {m.kind for m in receives} == {MovementKind.RECEIVE}
    assert all(m.quantity == m.balance_after == m.batch.on_hand > 0 for m in receives)
    assert all(m.at == m.receipt.received_at == m.batch.created_at for m in receives)
    on_hand_matches_ledger()
    # Deliveries over the last 18 months, not all stamped today.
    oldest = GoodsReceipt.objects.for_clinic(clinic).order_by("received_at").first()
    assert oldest is not None
    assert oldest.received_at < timezone.now() - timedelta(days=500)
    # Some batches have expired and wait on the shelf; every medicine has one that has not.
    today = stock.today()
    batches = StockBatch.objects.for_clinic(clinic)
    assert batches.filter(expiry_date__lte=today, on_hand__gt=0).exists()
    assert all(stock.available(m) > 0 for m in medicines)
    assert not batches.filter(expiry_date__gt=today + timedelta(days=31 * 30)).exists()


def test_prescriptions_are_issued_reviewed_and_mostly_for_a_few_medicines(clinic, patients):
    generate()
    prescriptions = Prescription.objects.for_clinic(clinic).select_related("encounter")
    assert prescriptions.count() == 40
    assert {p.status for p in prescriptions} == {PrescriptionStatus.ISSUED}
    assert all(p.encounter.status == EncounterStatus.SIGNED for p in prescriptions)
    assert all(p.encounter.signed_by_id for p in prescriptions)
    assert Review.objects.for_clinic(clinic).count() == 40
    named: Counter[tuple[str, str, str]] = Counter()
    for prescription in prescriptions:
        items = list(prescription.items.all())
        assert 1 <= len(items) <= 2
        for item in items:
            assert Decimal(5) <= item.quantity <= Decimal(30)
            assert list(dispensing.prescribed(item))  # one generated product, as written
            named[(item.medicine_name, item.strength, item.form)] += 1
    hot_share = sum(n for _name, n in named.most_common(5)) / sum(named.values())
    assert hot_share > 0.5


def test_the_pharmacists_sign_in_with_the_demo_password(clinic, patients, sign_in):
    generate()
    users = User.objects.filter(username__startswith="benchpharm").order_by("username")
    assert [u.username for u in users] == ["benchpharm01", "benchpharm02", "benchpharm03"]
    assert all(u.check_password(DEMO_PASSWORD) for u in users)
    roles = Membership.objects.filter(clinic=clinic, user__in=users, is_active=True)
    assert list(roles.values_list("role", flat=True)) == [Role.PHARMACIST] * 3
    response = sign_in(users[2], password=DEMO_PASSWORD).get("/pharmacy/")
    assert response.status_code == 200


def test_every_prescription_is_dispensable_by_the_real_service_never_from_expired_stock(
    clinic, patients
):
    generate()
    actor = actor_for(User.objects.get(username="benchpharm02"))
    given, refusals = 0, []
    for prescription in Prescription.objects.for_clinic(clinic).order_by("issued_at"):
        for item in prescription.items.all():
            try:
                given += len(dispensing.dispense(actor=actor, item=item))
            except Conflict as refusal:
                refusals.append(refusal.message)
    assert given > len(refusals)
    assert all("in stock" in message for message in refusals)  # hot medicines may run short
    dispenses = Dispense.objects.for_clinic(clinic).select_related("batch")
    assert dispenses.count() == given
    assert all(d.batch.expiry_date > d.dispensed_at.date() for d in dispenses)
    assert not StockBatch.objects.for_clinic(clinic).filter(on_hand__lt=0).exists()
    on_hand_matches_ledger()


def test_a_second_run_adds_other_medicines_and_keeps_the_pharmacists(clinic, patients):
    generate()
    generate(medicines=30, batches=100, prescriptions=5)
    medicines = Medicine.objects.for_clinic(clinic)
    assert medicines.count() == 90
    products = {(m.generic_name, m.strength, m.form) for m in medicines}
    assert len(products) == 90
    assert User.objects.filter(username__startswith="benchpharm").count() == 3
    assert AuditEvent.objects.filter(object_type="pharmacy.stockbatch").count() == 2


def test_refusals_change_nothing(clinic, patients, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("generate_stock", clinic="KTM", medicines=5, batches=5)
    with pytest.raises(CommandError, match="No clinic"):
        generate(clinic="XXX")
    with pytest.raises(CommandError, match="does not stock yet"):
        generate(medicines=100_000)
    with pytest.raises(CommandError, match="need at least"):
        generate(batches=61)
    assert not Medicine.objects.exists()
    assert not StockBatch.objects.exists()
    assert not User.objects.filter(username__startswith="benchpharm").exists()


def test_refused_without_doctors_or_patients(clinic):
    with pytest.raises(CommandError, match="needs active doctors and patients"):
        generate()
    generate(prescriptions=0)  # stock alone needs neither
    assert StockBatch.objects.for_clinic(clinic).count() == 400
