"""Many receptionists racing for the same free slots: ``POST /api/v1/appointments/`` for one
doctor's next free slots, each client for its own patients, for a fixed time (and at most a
fixed number of attempts). Every slot must be won once at most, every other attempt refused
with 409 ``slot_taken``; afterwards SQL checks that no two active appointments overlap."""

from __future__ import annotations

import asyncio
import random
import time
from datetime import date, timedelta
from typing import Any

import httpx
import psycopg

from bench.client import BenchClient, RequestFailed, expect_status
from bench.cpu import per_request
from bench.load import describe
from bench.scenarios.base import Context, Scenario
from bench.stats import Recorder

RECEPTIONIST = "reception"
CLIENTS = 50
DURATION_S = 60.0
MAX_ATTEMPTS = 20_000
SLOTS = 200
#: Slots from tomorrow on (a slot starting in a moment would turn "past" during the race).
LOOKAHEAD_DAYS = 28
ACTIVE = "('requested', 'booked', 'checked_in', 'in_consultation')"
OVERLAPS_SQL = f"""
WITH active AS (
    SELECT id, practitioner_id, patient_id, tstzrange(starts_at, ends_at, '[)') AS span
    FROM scheduling_appointment WHERE status IN {ACTIVE}
)
SELECT
    (SELECT count(*) FROM active a JOIN active b ON a.id < b.id
        AND a.practitioner_id = b.practitioner_id AND a.span && b.span),
    (SELECT count(*) FROM active a JOIN active b ON a.id < b.id
        AND a.patient_id = b.patient_id AND a.span && b.span),
    (SELECT count(*) FROM active)
"""


class BookingRace(Scenario):
    name = "booking_race"
    description = (
        f"{CLIENTS} signed-in KTM receptionist clients for {DURATION_S:.0f} s (at most "
        f"{MAX_ATTEMPTS} attempts) POST /api/v1/appointments/ for a random one of doctor "
        f"doc002's next {SLOTS} free slots (counted before the race), each client for its own "
        "patients (free then); 201 wins the slot, 409 slot_taken is a refusal, anything else "
        "an error; afterwards SQL counts overlapping active appointments per doctor and patient"
    )

    #: No paced phase: it uses up its data (slots, stock) and asks how the writes contend.
    paced = False

    def __init__(self) -> None:
        self.doctor_id = 0
        self.patients: list[str] = []
        self.database_url = ""
        self.seed = 20_261_125

    def use(self, doctor_id: int, patients: list[str], database_url: str) -> None:
        self.doctor_id = doctor_id
        self.patients = patients
        self.database_url = database_url

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("booking_race runs its own loop")

    async def _free_slots(self, client: BenchClient) -> list[str]:
        first = date.today() + timedelta(days=1)
        found: list[str] = []
        for offset in range(0, LOOKAHEAD_DAYS, 7):
            start = first + timedelta(days=offset)
            timed = await client.get(
                f"/api/v1/practitioners/{self.doctor_id}/slots/"
                f"?from={start:%Y-%m-%d}&to={start + timedelta(days=6):%Y-%m-%d}"
            )
            expect_status(timed.response, 200)
            found += [slot["starts_at"] for slot in timed.response.json()]
            if len(found) >= SLOTS:
                break
        return found[:SLOTS]

    def _overlaps(self) -> dict[str, int]:
        with psycopg.connect(self.database_url, connect_timeout=10) as conn:
            row = conn.execute(OVERLAPS_SQL).fetchone()
        assert row is not None
        return {"doctor_overlaps": row[0], "patient_overlaps": row[1], "active_after": row[2]}

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.doctor_id or len(self.patients) < CLIENTS:
            raise RequestFailed("no doctor or too few free patients (see bench/database.py)")
        rng = random.Random(self.seed)
        clients = [BenchClient(ctx.base_url) for _ in range(CLIENTS)]
        setup_rec, rec = Recorder(), Recorder()
        refusals = 0
        won: dict[str, int] = {}  # slot → wins (must be 1 each)
        wins = 0
        attempts = 0
        per_client = len(self.patients) // CLIENTS
        try:

            async def sign_in(client: BenchClient) -> None:
                try:
                    await client.sign_in(RECEPTIONIST, ctx.password)
                except (RequestFailed, httpx.HTTPError) as exc:
                    setup_rec.error(describe(exc))

            await asyncio.gather(*(sign_in(c) for c in clients))
            slots = await self._free_slots(clients[0])
            if not slots:
                raise RequestFailed("doc002 has no free slots in the next weeks")
            stop_at = time.perf_counter() + DURATION_S

            async def racer(index: int, client: BenchClient) -> None:
                nonlocal refusals, wins, attempts
                own = self.patients[index * per_client : (index + 1) * per_client]
                turn = 0
                while time.perf_counter() < stop_at and attempts < MAX_ATTEMPTS:
                    attempts += 1
                    slot = rng.choice(slots)
                    payload = {
                        "patient": own[turn % len(own)],
                        "practitioner": self.doctor_id,
                        "starts_at": slot,
                    }
                    turn += 1
                    started = time.perf_counter()
                    try:
                        response = await client.post_json("/api/v1/appointments/", payload)
                        seconds = time.perf_counter() - started
                        if response.status_code == 201:
                            wins += 1
                            won[slot] = won.get(slot, 0) + 1
                        elif response.status_code == 409:
                            if response.json().get("code") != "slot_taken":
                                raise RequestFailed(
                                    f"409 without slot_taken: {response.text[:200]}"
                                )
                            refusals += 1
                        else:
                            raise RequestFailed(
                                f"POST /api/v1/appointments/: HTTP {response.status_code} "
                                f"{response.text[:200]}"
                            )
                    except (RequestFailed, httpx.HTTPError, ValueError) as exc:
                        rec.error(describe(exc))
                    else:
                        rec.ok(seconds)

            started = time.perf_counter()
            cpu_before = ctx.cpu() if ctx.cpu else 0.0
            async with asyncio.timeout(max(ctx.deadline.remaining(), 1)):
                await asyncio.gather(*(racer(i, c) for i, c in enumerate(clients)))
            wall = time.perf_counter() - started
            cpu_ms = ctx.cpu() - cpu_before if ctx.cpu else None
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        overlaps = self._overlaps()
        result = rec.summary(wall)
        if cpu_ms is not None:
            result["server_cpu_ms"] = round(cpu_ms, 1)
            result["cpu_ms_per_request"] = per_request(cpu_ms, result["requests"])
        result["paced"] = None
        result.update(
            {
                "description": self.description,
                "clients": CLIENTS,
                "duration_limit_s": DURATION_S,
                "attempt_cap": MAX_ATTEMPTS,
                "slots_contested": len(slots),
                "first_slot": slots[0],
                "last_slot": slots[-1],
                "attempts": attempts,
                "attempts_per_s": round(attempts / wall, 1) if wall else None,
                "successes": wins,
                "distinct_slots_won": len(won),
                "slots_won_twice": sum(1 for n in won.values() if n > 1),
                "refusals_409": refusals,
                **overlaps,
                "successes_equal_slots_won": wins == len(won) and wins <= len(slots),
                "notes": (
                    "requests/rps/latency cover every attempt answered 201 or 409; errors are "
                    "anything else"
                ),
            }
        )
        if setup_rec.errors:
            result["setup_errors"] = setup_rec.errors
            result["setup_error_samples"] = setup_rec.error_samples
        return result
