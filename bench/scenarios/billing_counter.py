"""Ten cashiers at the counter over a large billing history (``generate_billing``): each
signed in as its own generated cashier (``benchcashier01``…``10``) with its shift open, over
and over: charge a service from the price list by hand (``POST /api/v1/charges/``), invoice
and issue it (``POST /api/v1/invoices/`` with ``issue: true``), take the payment (``POST
/api/v1/invoices/{id}/pay/``: every other one split cash + QR). Paced first (each cashier
pausing the think time between requests: what a cashier feels), then as a closed loop (how
many the machine serves), each with the server's CPU per request and the latency of each kind
of request."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from bench.client import BenchClient, RequestFailed
from bench.load import LoadPlan, run_load
from bench.scenarios.base import Context, Scenario
from bench.stats import Recorder

CASHIERS = 10
#: The generated cashiers (``generate_billing --cashiers``): the counter's are 01…10.
USERNAME = "benchcashier{:02d}"
CHARGES_PATH = "/api/v1/charges/"
INVOICES_PATH = "/api/v1/invoices/"
PAY_PATH = "/api/v1/invoices/{invoice}/pay/"
OPEN_SHIFT_PATH = "/api/v1/shifts/open/"
#: One sale: the requests of one patient at the counter, in order.
SALE = ("charge", "invoice", "pay")


@dataclass(frozen=True)
class CounterData:
    """What the generator made that the counter uses: patients and the services to charge."""

    patients: list[str]
    items: list[int]


@dataclass
class Sale:
    patient: str = ""
    charge: int = 0
    invoice: int = 0
    due: Decimal = Decimal(0)
    sales: int = 0


@dataclass
class Kinds:
    """Latency of each kind of request of one phase."""

    by_kind: dict[str, Recorder] = field(default_factory=dict)

    def ok(self, kind: str, seconds: float) -> None:
        self.by_kind.setdefault(kind, Recorder()).ok(seconds)

    def summary(self) -> dict[str, Any]:
        return {
            kind: {
                k: v for k, v in rec.summary(1.0).items() if k.endswith("_ms") or k == "requests"
            }
            for kind, rec in sorted(self.by_kind.items())
        }


async def timed_post(
    client: BenchClient, path: str, payload: dict[str, Any], status: int = 201
) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.post_json(path, payload)
    seconds = time.perf_counter() - started
    if response.status_code != status:
        raise RequestFailed(f"POST {path}: HTTP {response.status_code} {response.text[:200]}")
    return response, seconds


async def open_shift(client: BenchClient) -> None:
    """The cashier's shift, open (a 409: it is open already, from an earlier phase)."""
    response = await client.post_json(OPEN_SHIFT_PATH, {"opening_float": "1000"})
    if response.status_code not in (201, 409):
        raise RequestFailed(f"open shift: HTTP {response.status_code} {response.text[:200]}")


def tenders(due: Decimal, split: bool, reference: str) -> list[dict[str, str]]:
    """All that is due: in cash, or half cash (whole rupees) and the rest by QR."""
    if split and due >= 2:
        cash = Decimal(int(due // 2))
        return [
            {"method": "cash", "amount": str(cash), "reference": ""},
            {"method": "qr", "amount": str(due - cash), "reference": reference},
        ]
    return [{"method": "cash", "amount": str(due), "reference": ""}]


async def sale_step(
    client: BenchClient, sale: Sale, kind: str, data: CounterData, rng: random.Random, kinds: Kinds
) -> float:
    """One request of a sale: charge, invoice or pay; returns its seconds."""
    if kind == "charge":
        sale.patient = rng.choice(data.patients)
        payload = {"patient": sale.patient, "item": rng.choice(data.items), "quantity": "1"}
        response, seconds = await timed_post(client, CHARGES_PATH, payload)
        sale.charge = int(response.json()["id"])
    elif kind == "invoice":
        payload = {"patient": sale.patient, "charges": [sale.charge], "issue": True}
        response, seconds = await timed_post(client, INVOICES_PATH, payload)
        body = response.json()
        if body.get("status") != "issued":
            raise RequestFailed(f"invoice not issued: {str(body)[:200]}")
        sale.invoice, sale.due = int(body["id"]), Decimal(str(body["patient_due"]))
    else:
        split = sale.sales % 2 == 1
        path = PAY_PATH.format(invoice=sale.invoice)
        reference = f"BENCH-{sale.invoice}"
        _response, seconds = await timed_post(
            client, path, {"tenders": tenders(sale.due, split, reference)}
        )
        sale.sales += 1
        kind = "pay_split" if split else "pay_cash"
    kinds.ok(kind, seconds)
    return seconds


class BillingCounter(Scenario):
    name = "billing_counter"
    description = (
        f"{CASHIERS} cashiers (benchcashier01…{CASHIERS:02d}, each with its shift open) selling "
        "over and over: POST /api/v1/charges/ (a service from the price list, by hand), POST "
        "/api/v1/invoices/ {charges, issue: true}, POST /api/v1/invoices/{id}/pay/ (every other "
        "split cash + QR); paced (think time between requests) then closed loop; latency per "
        "kind of request"
    )
    paced = False  # its own paced phase, with the counter's clients

    def __init__(self) -> None:
        self.data = CounterData([], [])

    def use(self, data: CounterData) -> None:
        self.data = data

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("billing_counter runs its own phases")

    async def _phase(
        self, ctx: Context, requests: int, warmup: int, think_s: float
    ) -> dict[str, Any]:
        sales = [Sale() for _ in range(CASHIERS)]
        kinds = Kinds()
        warming = Kinds()
        rng = random.Random(1)
        counting = {"measured": False}

        async def setup(client: BenchClient, index: int) -> None:
            await client.sign_in(USERNAME.format(index + 1), ctx.password)
            await open_shift(client)

        async def step(client: BenchClient, index: int, iteration: int) -> float:
            kind = SALE[iteration % len(SALE)]
            return await sale_step(
                client,
                sales[index],
                kind,
                self.data,
                rng,
                kinds if counting["measured"] else warming,
            )

        # Whole sales per cashier: a phase never stops between an invoice and its payment.
        per_sale = CASHIERS * len(SALE)
        plan = LoadPlan(
            CASHIERS, max(per_sale, requests // per_sale * per_sale), warmup=0, think_s=think_s
        )
        if warmup:
            # The warm-up: one sale per cashier, not counted.
            await run_load(
                ctx.base_url, LoadPlan(CASHIERS, per_sale, 0), step, ctx.deadline, setup=setup
            )
        counting["measured"] = True
        result = await run_load(ctx.base_url, plan, step, ctx.deadline, setup=setup, cpu=ctx.cpu)
        result["by_kind"] = kinds.summary()
        result["sales"] = sum(s.sales for s in sales)
        return result

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.data.patients or not self.data.items:
            raise RequestFailed("no generated billing data (see bench/database.py)")
        paced = await self._phase(ctx, ctx.paced_requests, warmup=1, think_s=ctx.think_s)
        closed = await self._phase(ctx, ctx.requests, warmup=0, think_s=0.0)
        return summarise(self.description, closed, paced, ctx)


def summarise(
    description: str, closed: dict[str, Any], paced: dict[str, Any], ctx: Context
) -> dict[str, Any]:
    """A scenario's entry: the closed loop's figures on top, the paced phase under ``paced``."""
    paced_entry = {
        key: paced.get(key)
        for key in (
            "p50_ms",
            "p95_ms",
            "p99_ms",
            "requests",
            "errors",
            "rps",
            "cpu_ms_per_request",
            "by_kind",
            "sales",
        )
    }
    paced_entry.update(people=CASHIERS, think_ms=round(ctx.think_s * 1000))
    if paced.get("error_samples"):
        paced_entry["error_samples"] = paced["error_samples"]
    result = {"description": description, **closed, "paced": paced_entry}
    result["errors"] = closed["errors"] + paced.get("errors", 0)
    result["setup_errors"] = closed.get("setup_errors", 0) + paced.get("setup_errors", 0)
    if not result["setup_errors"]:
        result.pop("setup_errors")
    return result
