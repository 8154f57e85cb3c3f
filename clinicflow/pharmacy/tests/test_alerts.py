"""Stock alerts: low stock counts only what may be dispensed, near expiry and expired at their
edges, the alerts page and the dashboard cards, and the daily task's notices — for the
pharmacists and managers of the clinic only, once a day however often it runs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.accounts.models import Membership
from clinicflow.core.roles import Role
from clinicflow.notifications.models import Notice
from clinicflow.pharmacy import alerts, catalogue, stock
from clinicflow.pharmacy.models import Medicine, StockBatch
from clinicflow.pharmacy.tasks import stock_alerts
from clinicflow.pharmacy.tests.conftest import CATALOGUE, HEADER
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def today(clinic):
    return alerts.clinic_today(clinic)


@pytest.fixture
def put(pharmacist, today):
    """Receive one batch: medicine, batch number, expiry in days from the clinic's today,
    quantity."""
    counter = iter(range(1, 10_000))

    def _put(medicine, number, days, quantity, *, actor_user=None):
        stock.receive(
            actor=actor_for(actor_user or pharmacist),
            supplier="MedSupply",
            invoice_number=f"ALERT-{next(counter)}",
            lines=[
                {
                    "medicine": medicine,
                    "batch_number": number,
                    "expiry_date": today + timedelta(days=days),
                    "quantity": str(quantity),
                    "cost_price": "0.50",
                }
            ],
        )
        return StockBatch.objects.get(medicine=medicine, batch_number=number)

    return _put


def expire(batch: StockBatch, on) -> StockBatch:
    """The batch's expiry date moved to ``on`` (receiving refuses an expired batch)."""
    StockBatch.objects.filter(pk=batch.pk).update(expiry_date=on)
    batch.refresh_from_db()
    return batch


@pytest.fixture
def paracetamol(medicines) -> Medicine:
    return medicines[("Paracetamol", "", "500 mg")]


def names(rows) -> list[str]:
    return [f"{m.generic_name} {m.strength}{' ' + m.brand if m.brand else ''}" for m in rows]


# ---------------------------------------------------------------- low stock


def test_low_stock_counts_only_stock_that_may_be_dispensed(amoxicillin, put, today):
    put(amoxicillin, "FRESH", 300, 15)
    soon = put(amoxicillin, "SOON", 10, 100)
    assert amoxicillin not in alerts.low_stock(amoxicillin.clinic, today)
    on_expiry_day = soon.expiry_date
    [low] = [m for m in alerts.low_stock(amoxicillin.clinic, on_expiry_day) if m == amoxicillin]
    assert low.available == Decimal("15") == stock.available(amoxicillin, on_expiry_day)
    assert low.shortfall == Decimal("5")  # reorder level 20


def test_a_medicine_exactly_at_its_reorder_level_is_low_and_one_more_is_not(
    amoxicillin, put, today
):
    put(amoxicillin, "B1", 200, 20)
    assert amoxicillin in alerts.low_stock(amoxicillin.clinic, today)
    put(amoxicillin, "B2", 200, 1)
    assert amoxicillin not in alerts.low_stock(amoxicillin.clinic, today)


def test_which_medicines_count_as_kept(medicines, amoxicillin, paracetamol, put, today, clinic):
    # Reorder level 0 and never stocked: not something the clinic keeps, not low.
    Medicine.objects.filter(pk=paracetamol.pk).update(reorder_level=0)
    assert paracetamol not in alerts.low_stock(clinic, today)
    # Stocked once and run out (expired counts as out): low, even at reorder level 0.
    old = put(paracetamol, "P1", 100, 30)
    expire(old, today)
    [row] = [m for m in alerts.low_stock(clinic, today) if m == paracetamol]
    assert row.available == 0
    # Never stocked but with a reorder level: low (nothing available).
    assert amoxicillin in alerts.low_stock(clinic, today)
    # An inactive medicine is never low.
    Medicine.objects.filter(pk=amoxicillin.pk).update(is_active=False)
    assert amoxicillin not in alerts.low_stock(clinic, today)


def test_emptiest_first_and_another_clinics_stock_does_not_count(
    medicines, amoxicillin, put, today, clinic, other_clinic
):
    other_pharmacist = member(Role.PHARMACIST, other_clinic, username="other_pharmacist")
    content = ("\n".join([HEADER, *CATALOGUE]) + "\n").encode()
    catalogue.import_csv(actor=actor_for(other_pharmacist), content=content)
    theirs = Medicine.objects.get(
        clinic=other_clinic, generic_name="Amoxicillin", brand="", strength="500 mg"
    )
    put(theirs, "THEIRS", 200, 500, actor_user=other_pharmacist)
    put(amoxicillin, "OURS", 200, 5)
    rows = list(alerts.low_stock(clinic, today))
    assert {m.clinic_id for m in rows} == {clinic.pk}
    assert rows[-1] == amoxicillin  # 5 left; the others have none
    assert [m.available for m in rows] == sorted(m.available for m in rows)
    assert theirs not in alerts.low_stock(other_clinic, today)


# ---------------------------------------------------------------- expiry


def test_near_expiry_includes_the_last_day_of_the_window_and_not_the_next(
    amoxicillin, put, today, clinic, settings
):
    settings.CLINICFLOW_PHARMACY_NEAR_EXPIRY_DAYS = 30
    put(amoxicillin, "IN", 30, 10)
    put(amoxicillin, "OUT", 31, 10)
    put(amoxicillin, "FIRST", 1, 10)
    assert [b.batch_number for b in alerts.near_expiry(clinic, today)] == ["FIRST", "IN"]
    assert [b.batch_number for b in alerts.near_expiry(clinic, today, days=31)] == [
        "FIRST",
        "IN",
        "OUT",
    ]


def test_the_default_window_is_ninety_days(amoxicillin, put, today, clinic):
    put(amoxicillin, "DAY90", 90, 10)
    put(amoxicillin, "DAY91", 91, 10)
    assert [b.batch_number for b in alerts.near_expiry(clinic, today)] == ["DAY90"]


def test_a_batch_expiring_today_is_expired_not_near_expiry(amoxicillin, put, today, clinic):
    batch = expire(put(amoxicillin, "TODAY", 100, 10), today)
    assert list(alerts.expired(clinic, today)) == [batch]
    assert list(alerts.near_expiry(clinic, today)) == []
    assert stock.available(amoxicillin, today) == 0
    # The day before it expires it was near expiry and usable.
    yesterday = today - timedelta(days=1)
    assert list(alerts.near_expiry(clinic, yesterday)) == [batch]
    assert list(alerts.expired(clinic, yesterday)) == []


def test_a_written_off_batch_is_no_longer_an_alert(pharmacist, amoxicillin, put, today, clinic):
    batch = expire(put(amoxicillin, "OLD", 100, 10), today - timedelta(days=3))
    [row] = alerts.expired(clinic, today)
    assert row.value_at_cost == Decimal("5")  # 10 × 0.50
    stock.write_off(actor=actor_for(pharmacist), batch=batch)
    assert not alerts.expired(clinic, today).exists()


def test_each_selector_is_one_query_whatever_the_stock(
    medicines, amoxicillin, paracetamol, put, today, clinic, django_assert_num_queries
):
    for n in range(6):
        put(amoxicillin, f"A{n}", 10 + n, 1)
        expire(put(paracetamol, f"P{n}", 100, 1), today)
    with django_assert_num_queries(1):
        assert len(list(alerts.low_stock(clinic, today))) == len(medicines)
    with django_assert_num_queries(1):
        assert len([b.medicine.generic_name for b in alerts.near_expiry(clinic, today)]) == 6
    with django_assert_num_queries(1):
        assert len([b.medicine.generic_name for b in alerts.expired(clinic, today)]) == 6
    with django_assert_num_queries(3):
        counts = alerts.counts(clinic, today)
    assert (counts.near_expiry, counts.expired) == (6, 6)


# ---------------------------------------------------------------- page and cards


def test_the_alerts_page_lists_each_kind_with_its_count(
    pharmacist, amoxicillin, paracetamol, put, today, sign_in
):
    put(amoxicillin, "SOON", 20, 5)
    expire(put(paracetamol, "GONE", 100, 40), today - timedelta(days=1))
    page = sign_in(pharmacist).get(reverse("pharmacy:alerts"))
    assert page.status_code == 200
    assert page.context["counts"] == alerts.counts(amoxicillin.clinic, today)
    body = page.content.decode()
    assert "GONE" in body
    assert "SOON" in body
    assert [b.batch_number for b in page.context["expired"]] == ["GONE"]
    assert [b.batch_number for b in page.context["near_expiry"]] == ["SOON"]
    assert amoxicillin in page.context["low_stock"]


@pytest.mark.parametrize("role", [Role.RECEPTIONIST, Role.DOCTOR, Role.NURSE, Role.CASHIER])
def test_the_alerts_page_is_refused_to_other_roles(role, clinic, sign_in):
    client = sign_in(member(role, clinic))
    assert client.get(reverse("pharmacy:alerts")).status_code == 403


def test_the_alerts_page_costs_the_same_queries_with_more_alerts(
    manager, medicines, amoxicillin, paracetamol, put, today, sign_in, django_assert_max_num_queries
):
    client = sign_in(manager)
    put(amoxicillin, "A0", 10, 1)
    client.get(reverse("pharmacy:alerts"))
    with django_assert_max_num_queries(25) as few:
        client.get(reverse("pharmacy:alerts"))
    for n in range(1, 12):
        put(amoxicillin, f"A{n}", 10 + n, 1)
        expire(put(paracetamol, f"P{n}", 100, 1), today)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("pharmacy:alerts"))
    assert page.context["counts"].expired == 11


def test_pharmacist_and_manager_dashboards_show_the_stock_alert_figures(
    pharmacist, manager, amoxicillin, paracetamol, put, today, sign_in
):
    put(amoxicillin, "SOON", 20, 500)
    expire(put(paracetamol, "GONE", 100, 40), today)
    expected = {
        "Low stock": 3,  # paracetamol (expired) and the two other amoxicillins, never stocked
        "Expiring soon": 1,
        "Expired to write off": 1,
    }
    for person in (pharmacist, manager):
        cards = sign_in(person).get(reverse("core:dashboard")).context["dashboard"].cards
        figures = {str(c.title): c.value for c in cards if str(c.title) in expected}
        assert figures == expected, person
        assert all(c.url == reverse("pharmacy:alerts") for c in cards if str(c.title) in expected)


# ---------------------------------------------------------------- the daily task


@pytest.fixture
def alerting(amoxicillin, paracetamol, put, today):
    """One medicine low (the other amoxicillins too: never stocked, reorder level 20), one
    batch near expiry, one expired."""
    put(amoxicillin, "SOON", 20, 5)
    put(paracetamol, "GOOD", 400, 500)
    expire(put(paracetamol, "GONE", 100, 40), today)
    return today


def test_the_task_tells_the_pharmacists_and_managers_and_nobody_else(
    alerting, clinic, pharmacist, manager, receptionist, doctor, other_clinic_manager
):
    second = member(Role.PHARMACIST, clinic, username="pharmacist2")
    stock_alerts.delay()
    low = list(alerts.low_stock(clinic, alerting))
    expected_keys = {
        *(f"pharmacy.low_stock:{m.pk}:{alerting.isoformat()}" for m in low),
        f"pharmacy.near_expiry:{StockBatch.objects.get(batch_number='SOON').pk}:{alerting}",
        f"pharmacy.expired:{StockBatch.objects.get(batch_number='GONE').pk}:{alerting}",
    }
    assert len(low) == 3
    for person in (pharmacist, second, manager):
        notices = Notice.objects.filter(recipient=person)
        assert {n.key for n in notices} == expected_keys, person
        assert {n.clinic_id for n in notices} == {clinic.pk}
        assert all(n.url == reverse("pharmacy:alerts") and n.read_at is None for n in notices)
    for person in (receptionist, doctor, other_clinic_manager):
        assert not Notice.objects.filter(recipient=person).exists(), person
    expired_notice = Notice.objects.get(recipient=pharmacist, kind="pharmacy.expired")
    assert "Paracetamol" in expired_notice.title
    assert "GONE" in expired_notice.title


def test_running_the_task_twice_the_same_day_raises_nothing_new(alerting, pharmacist, manager):
    first = stock_alerts.delay().get()
    assert first == 2 * 5  # five notices each
    assert stock_alerts.delay().get() == 0
    assert Notice.objects.count() == first


def test_the_next_days_run_reminds_again(alerting, clinic, pharmacist, monkeypatch):
    stock_alerts.delay()
    tomorrow = alerting + timedelta(days=1)
    monkeypatch.setattr(alerts, "clinic_today", lambda clinic: tomorrow)
    assert stock_alerts.delay().get() == 5
    assert Notice.objects.filter(key__endswith=tomorrow.isoformat()).count() == 5


def test_an_inactive_pharmacist_hears_nothing(alerting, clinic, pharmacist, manager):
    Membership.objects.filter(user=pharmacist).update(is_active=False)
    stock_alerts.delay()
    assert not Notice.objects.filter(recipient=pharmacist).exists()
    assert Notice.objects.filter(recipient=manager).count() == 5


def test_many_alerts_of_a_kind_become_one_summary(alerting, pharmacist, monkeypatch):
    monkeypatch.setattr(alerts, "SUMMARY_ABOVE", 2)
    stock_alerts.delay()
    notices = {n.kind: n for n in Notice.objects.filter(recipient=pharmacist)}
    assert len(Notice.objects.filter(recipient=pharmacist)) == 3  # one per kind
    assert notices["pharmacy.low_stock"].title == "Low stock: 3 medicines"
    assert notices["pharmacy.low_stock"].key == f"pharmacy.low_stock:all:{alerting}"
    assert notices["pharmacy.near_expiry"].key.startswith("pharmacy.near_expiry:")
    assert "batch SOON" in notices["pharmacy.near_expiry"].title


def test_a_clinic_without_alerts_raises_nothing(clinic, pharmacist, medicines):
    Medicine.objects.filter(clinic=clinic).update(reorder_level=0)
    assert stock_alerts.delay().get() == 0
    assert not Notice.objects.exists()


def test_the_task_is_on_beats_daily_schedule():
    from config.celery import app

    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "pharmacy.stock_alerts")
    assert entry["schedule"].hour == {0}
    assert entry["schedule"].minute == {15}
