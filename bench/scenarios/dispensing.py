"""Twenty pharmacists dispensing at once over a large stock: each signed in as its own
generated pharmacist (``benchpharm01``…), each working through its own share of the issued,
reviewed prescriptions (client k takes every 20th, oldest first), item after item, with
``POST /api/v1/dispensing/{prescription}/dispense/`` (``{"item": id}``: the whole remaining
quantity, first expiring batches first). Most items name one of a few dozen hot medicines with
little stock, so pharmacists wait for each other's batch locks and some medicines run out: a
409 is the service's refusal (out of stock), counted apart from errors. Afterwards SQL checks
the stock: every batch's quantity equals the sum of its ledger, none is below zero, nothing was
dispensed from a batch that had expired, no item was given more than prescribed."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import psycopg

from bench.client import BenchClient, RequestFailed
from bench.cpu import per_request
from bench.load import describe
from bench.scenarios.base import Context, Scenario
from bench.stats import Recorder

PHARMACISTS = 20
DURATION_S = 60.0
#: The generated pharmacists (``generate_stock --pharmacists``), client k signs in as k + 1.
USERNAME = "benchpharm{:02d}"
DISPENSE_PATH = "/api/v1/dispensing/{prescription}/dispense/"

#: (name, SQL counting what must be 0 after the run)
CHECKS = (
    (
        "ledger_mismatches",
        "SELECT count(*) FROM pharmacy_stockbatch b LEFT JOIN (SELECT batch_id, "
        "sum(quantity) AS total FROM pharmacy_stockmovement GROUP BY batch_id) m "
        "ON m.batch_id = b.id WHERE b.on_hand <> coalesce(m.total, 0)",
    ),
    ("negative_batches", "SELECT count(*) FROM pharmacy_stockbatch WHERE on_hand < 0"),
    (
        # Expired from its expiry date on, in the clinic's own calendar (stock.is_expired).
        "dispensed_from_expired",
        "SELECT count(*) FROM pharmacy_dispense d JOIN pharmacy_stockbatch b "
        "ON b.id = d.batch_id JOIN core_clinic c ON c.id = d.clinic_id "
        "WHERE b.expiry_date <= (d.dispensed_at AT TIME ZONE c.timezone)::date",
    ),
    (
        "dispensed_from_other_medicine",
        "SELECT count(*) FROM pharmacy_dispense d JOIN pharmacy_stockbatch b "
        "ON b.id = d.batch_id WHERE b.medicine_id <> d.medicine_id",
    ),
    (
        "items_over_dispensed",
        "SELECT count(*) FROM (SELECT 1 FROM pharmacy_dispense d JOIN "
        "clinical_prescriptionitem i ON i.id = d.item_id GROUP BY i.id, i.quantity "
        "HAVING sum(d.quantity) > i.quantity) AS over",
    ),
    (
        "dispenses_without_ledger_row",
        "SELECT count(*) FROM pharmacy_dispense d WHERE NOT EXISTS (SELECT 1 FROM "
        "pharmacy_stockmovement m WHERE m.dispense_id = d.id AND m.kind = 'dispense' "
        "AND m.quantity = -d.quantity)",
    ),
)
TOTALS_SQL = """
SELECT
    (SELECT count(*) FROM pharmacy_dispense),
    (SELECT coalesce(sum(quantity), 0) FROM pharmacy_dispense),
    (SELECT count(*) FROM pharmacy_stockmovement WHERE kind = 'dispense'),
    (SELECT count(DISTINCT medicine_id) FROM pharmacy_dispense),
    (SELECT count(*) FROM pharmacy_medicine m WHERE EXISTS (SELECT 1 FROM pharmacy_dispense d
        WHERE d.medicine_id = m.id) AND NOT EXISTS (SELECT 1 FROM pharmacy_stockbatch b
        JOIN core_clinic c ON c.id = b.clinic_id WHERE b.medicine_id = m.id AND b.on_hand > 0
        AND b.expiry_date > (now() AT TIME ZONE c.timezone)::date))
"""

#: A prescription's id and its items' ids, as the bench dispenses them.
Work = tuple[str, list[int]]


def refusal_reason(detail: str) -> str:
    """The service's refusals, by their message (``pharmacy/dispensing.py``, ``stock.py``)."""
    if "in stock" in detail or "left in batch" in detail:
        return "out_of_stock"
    if "already dispensed" in detail or "nothing more can be dispensed" in detail:
        return "already_dispensed"
    return "other"


def stock_checks(cursor: Any) -> dict[str, int]:
    """What each check counts (all must be 0), through any DB-API cursor on the database."""
    found = {}
    for name, sql in CHECKS:
        cursor.execute(sql)
        row = cursor.fetchone()
        found[name] = int(row[0]) if row else -1
    return found


def latency(recorder: Recorder, prefix: str) -> dict[str, Any]:
    """The p50/p95/p99 of one kind of answer, named with ``prefix``."""
    summary = recorder.summary(1.0)
    return {f"{prefix}_{k}": summary[k] for k in ("p50_ms", "p95_ms", "p99_ms") if k in summary}


class Dispensing(Scenario):
    name = "dispensing"
    description = (
        f"{PHARMACISTS} clients, each signed in as its own KTM pharmacist, for {DURATION_S:.0f} s "
        "POST /api/v1/dispensing/{prescription}/dispense/ {item} for each item of their own "
        f"issued, reviewed prescriptions (client k takes every {PHARMACISTS}th, oldest first), "
        "over the generated stock (most items name a few hot, short-stocked medicines); 201 is "
        "a dispense, 409 a refusal (out of stock), anything else an error; afterwards SQL "
        "checks every batch against its ledger, negative stock, dispenses from expired batches "
        "and over-dispensed items (each must be 0; any other count is an error)"
    )

    #: No paced phase: it uses up its data (slots, stock) and asks how the writes contend.
    paced = False

    def __init__(self) -> None:
        self.work: list[Work] = []
        self.database_url = ""

    def use(self, work: list[Work], database_url: str) -> None:
        """The prescriptions to dispense (oldest first) and where to check the stock after."""
        self.work = work
        self.database_url = database_url

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("dispensing runs its own loop")

    def _checks(self) -> tuple[dict[str, int], dict[str, Any]]:
        with psycopg.connect(self.database_url, connect_timeout=10) as conn:
            checks = stock_checks(conn.cursor())
            totals = conn.execute(TOTALS_SQL).fetchone()
        assert totals is not None
        rows, units, movements, medicines, ran_out = totals
        return checks, {
            "dispense_rows_in_db": rows,
            "units_dispensed_in_db": float(units),
            "dispense_movements_in_db": movements,
            "medicines_dispensed": medicines,
            "medicines_run_out": ran_out,
        }

    async def run(self, ctx: Context) -> dict[str, Any]:
        if len(self.work) < PHARMACISTS:
            raise RequestFailed("too few prescriptions to dispense (see bench/database.py)")
        clients = [BenchClient(ctx.base_url) for _ in range(PHARMACISTS)]
        setup_rec, answered, dispensed, refused = Recorder(), Recorder(), Recorder(), Recorder()
        reasons: Counter[str] = Counter()
        refusal_samples: list[str] = []
        tally = {"attempts": 0, "rows": 0, "out_of_work": 0}
        units = Decimal(0)
        try:

            async def sign_in(index: int, client: BenchClient) -> None:
                try:
                    await client.sign_in(USERNAME.format(index + 1), ctx.password)
                except (RequestFailed, httpx.HTTPError) as exc:
                    setup_rec.error(describe(exc))

            await asyncio.gather(*(sign_in(i, c) for i, c in enumerate(clients)))
            stop_at = time.perf_counter() + DURATION_S

            async def attempt(client: BenchClient, prescription: str, item: int) -> None:
                nonlocal units
                tally["attempts"] += 1
                path = DISPENSE_PATH.format(prescription=prescription)
                started = time.perf_counter()
                try:
                    response = await client.post_json(path, {"item": item})
                    seconds = time.perf_counter() - started
                    if response.status_code == 201:
                        given = response.json()
                        if not isinstance(given, list) or not given:
                            raise RequestFailed(f"201 without dispenses: {response.text[:200]}")
                        tally["rows"] += len(given)
                        units += sum(Decimal(str(row["quantity"])) for row in given)
                        dispensed.ok(seconds)
                    elif response.status_code == 409:
                        detail = str(response.json().get("detail", ""))
                        reasons[refusal_reason(detail)] += 1
                        if detail not in refusal_samples and len(refusal_samples) < 5:
                            refusal_samples.append(detail)
                        refused.ok(seconds)
                    else:
                        raise RequestFailed(
                            f"POST {path}: HTTP {response.status_code} {response.text[:200]}"
                        )
                except (RequestFailed, httpx.HTTPError, ValueError, KeyError) as exc:
                    answered.error(describe(exc))
                else:
                    answered.ok(seconds)

            async def pharmacist(index: int, client: BenchClient) -> None:
                for prescription, items in self.work[index::PHARMACISTS]:
                    for item in items:
                        if time.perf_counter() >= stop_at:
                            return
                        await attempt(client, prescription, item)
                tally["out_of_work"] += 1

            started = time.perf_counter()
            cpu_before = ctx.cpu() if ctx.cpu else 0.0
            async with asyncio.timeout(max(ctx.deadline.remaining(), 1)):
                await asyncio.gather(*(pharmacist(i, c) for i, c in enumerate(clients)))
            wall = time.perf_counter() - started
            cpu_ms = ctx.cpu() - cpu_before if ctx.cpu else None
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        checks, totals = self._checks()
        for name, count in checks.items():
            if count:
                answered.error(f"stock check {name}: {count} (must be 0)")
        result = answered.summary(wall)
        successes = len(dispensed.latencies_s)
        if cpu_ms is not None:
            result["server_cpu_ms"] = round(cpu_ms, 1)
            result["cpu_ms_per_request"] = per_request(cpu_ms, result["requests"])
        result["paced"] = None
        result.update(
            {
                "description": self.description,
                "pharmacists": PHARMACISTS,
                "duration_limit_s": DURATION_S,
                "prescriptions_available": len(self.work),
                "attempts": tally["attempts"],
                "attempts_per_s": round(tally["attempts"] / wall, 1) if wall else None,
                "dispensed": successes,
                "dispenses_per_s": round(successes / wall, 1) if wall else None,
                **latency(dispensed, "dispense"),
                "dispense_rows": tally["rows"],
                "units_dispensed": float(units),
                "refusals_409": len(refused.latencies_s),
                "refusals_by_reason": dict(reasons),
                "refusal_samples": refusal_samples,
                **latency(refused, "refusal"),
                "clients_out_of_work": tally["out_of_work"],
                "checks": checks,
                "checks_passed": not any(checks.values()),
                **totals,
                "notes": (
                    "requests/rps/p50-p99 cover every attempt answered 201 or 409 (errors: "
                    "anything else, and any stock check above 0); dispense_* and refusal_* "
                    "split them"
                ),
            }
        )
        if setup_rec.errors:
            result["setup_errors"] = setup_rec.errors
            result["setup_error_samples"] = setup_rec.error_samples
        return result
