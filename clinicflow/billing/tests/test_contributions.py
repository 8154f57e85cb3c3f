"""What billing adds to others' pages: dashboard cards, the chart's panel and timeline, the
sidebar, and the desk's live socket."""

from __future__ import annotations

from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.urls import reverse

from clinicflow.accounts.actors import actor_for
from clinicflow.billing import charges, contributions, invoices, payments
from clinicflow.billing.consumers import BillingDeskConsumer
from clinicflow.core import navigation
from clinicflow.patients.timeline import timeline_for
from config.routing import websocket_urlpatterns
from tests.sockets import connect, cookie_header

pytestmark = pytest.mark.django_db


def _card(page, key):
    return next(card for card in page.context["dashboard"].cards if card.key == key)


def test_the_cashiers_dashboard_counts_patients_waiting_to_pay(cashier, sign_in, charged):
    page = sign_in(cashier).get(reverse("core:dashboard"))
    assert _card(page, "billing.waiting_to_pay").value == 1


def test_the_managers_revenue_today_is_the_days_takings(cashier, manager, sign_in, charged, shift):
    actor = actor_for(cashier)
    made = invoices.invoice_now(actor=actor, patient=charged[0].patient)
    payments.pay(
        actor=actor,
        invoice=made,
        tenders=[payments.TenderIn("cash", "500"), payments.TenderIn("card", "100", "SLIP-1")],
    )
    card = _card(sign_in(manager).get(reverse("core:dashboard")), "billing.revenue_today")
    assert card.value == f"600.00 {made.clinic.currency}"
    assert "Cash 500.00" in str(card.note)


def test_revenue_today_is_zero_before_any_payment(manager, sign_in):
    card = _card(sign_in(manager).get(reverse("core:dashboard")), "billing.revenue_today")
    assert card.value.startswith("0.00") or card.value.startswith("0 ")


def test_the_chart_shows_the_balance_and_invoices_on_its_timeline(cashier, manager, charged):
    patient = charged[0].patient
    made = invoices.invoice_now(actor=actor_for(cashier), patient=patient)
    panel = contributions.balance_panel(patient, actor_for(manager))
    assert panel is not None
    assert panel.context["balance"].owed == Decimal("926.00")
    entries = [e for e in timeline_for(patient) if e.kind == "invoice"]
    assert [e.url for e in entries] == [reverse("billing:invoice", args=[made.pk])]


def test_a_doctor_sees_no_bill_on_the_chart(doctor, cashier, charged):
    invoices.invoice_now(actor=actor_for(cashier), patient=charged[0].patient)
    assert contributions.balance_panel(charged[0].patient, actor_for(doctor)) is None


def test_the_billing_area_holds_the_desk_and_shifts():
    names = {e.url_name for e in navigation._ENTRIES.values() if e.area == "billing"}
    assert {"billing:desk", "billing:shift", "billing:review"} <= names


def test_the_desk_socket_is_routed_and_asks_the_policy():
    routes = {r.name: r.callback.consumer_class for r in websocket_urlpatterns}
    assert routes["ws_billing"] is BillingDeskConsumer
    assert BillingDeskConsumer.policy_action == "billing.desk"


# ---------------------------------------------------------------- the desk's socket


@pytest.mark.django_db(transaction=True)
def test_the_desk_hears_a_charge_and_reloads(cashier, sign_in, billing_patient, services):
    headers = cookie_header(sign_in(cashier))
    actor = actor_for(cashier)

    async def scenario() -> dict:
        socket, ok = await connect(headers, "/ws/billing/")
        assert ok
        assert (await socket.receive_json_from())["type"] == "hello"
        await sync_to_async(charges.add_manual)(
            actor=actor, patient=billing_patient, item=services["REG"]
        )
        heard = await socket.receive_json_from()
        await socket.disconnect()
        return heard

    heard = async_to_sync(scenario)()
    assert heard["type"] == "queue"
    assert heard["patient"] == str(billing_patient.pk)
    assert "name" not in heard


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", ["receptionist", "doctor", None])
def test_the_desk_socket_refuses_other_roles_and_strangers(who, request, sign_in):
    headers = (
        cookie_header(sign_in(request.getfixturevalue(who)))
        if who
        else [(b"origin", b"http://127.0.0.1")]
    )

    async def scenario() -> bool:
        _socket, ok = await connect(headers, "/ws/billing/")
        return ok

    assert async_to_sync(scenario)() is False


def test_the_chart_page_shows_the_bill_panel_and_timeline(receptionist, cashier, sign_in, charged):
    patient = charged[0].patient
    invoices.invoice_now(actor=actor_for(cashier), patient=patient)
    html = sign_in(receptionist).get(reverse("patients:chart", args=[patient.pk])).content.decode()
    assert 'data-testid="billing-balance"' in html
    assert reverse("billing:patient", args=[patient.pk]) in html


def test_reception_is_told_of_a_balance_owed_when_the_patient_arrives(
    receptionist, nurse, cashier, sign_in, billing_patient, charged
):
    invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)
    walk_in = {"mrn": billing_patient.mrn, "priority": 4, "name": "", "phone": ""}
    page = sign_in(receptionist).post("/frontdesk/walk-in/", walk_in, follow=True)
    assert "still owes 926.00 NPR" in page.content.decode()


def test_no_balance_is_told_where_nothing_is_owed_or_to_whom_may_not_see_it(
    receptionist, nurse, cashier, sign_in, billing_patient, charged, register
):
    invoices.invoice_now(actor=actor_for(cashier), patient=billing_patient)
    walk_in = {"mrn": billing_patient.mrn, "priority": 4, "name": "", "phone": ""}
    page = sign_in(nurse).post("/frontdesk/walk-in/", walk_in, follow=True)
    assert page.status_code == 200
    assert "still owes" not in page.content.decode()
    settled = register(given_name="Hari", family_name="Thapa", phone="9841000077")
    walk_in["mrn"] = settled.mrn
    page = sign_in(receptionist).post("/frontdesk/walk-in/", walk_in, follow=True)
    assert "still owes" not in page.content.decode()
