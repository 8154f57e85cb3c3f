"""Concurrent writers in one clinic (KTM), each with its own account and its own work
(``generate_staff`` and ``generate_workday``), so that no writer refuses another:

- receptionists book appointments (``POST /api/v1/appointments/``) into their own doctor's
  free slots for their own patients, and others check booked patients in
  (``POST /api/v1/queue/check-in/``, ``confirm``: the appointments are later today);
- nurses record vitals (``POST /api/v1/queue/{id}/vitals/``) of waiting patients;
- doctors sign their open consultations (``POST /api/v1/encounters/{id}/sign/``);
- pharmacists dispense reviewed prescriptions, item by item
  (``POST /api/v1/dispensing/{prescription}/dispense/``; 409 out of stock is a refusal).

A closed loop for a fixed time: every client sends its next write the moment one is answered.
The clients are shared among the kinds in :data:`MIX` (percent of the clients)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from bench.client import BenchClient, RequestFailed, expect_status
from bench.cpu import per_request
from bench.load import describe
from bench.scenarios.base import Context, Scenario
from bench.stats import Recorder

#: Percent of the clients doing each kind of write.
MIX: dict[str, int] = {
    "booking": 30,
    "check_in": 20,
    "vitals": 20,
    "signing": 10,
    "dispensing": 20,
}
#: The role (``generate_staff``'s username word) of each kind's accounts.
ROLE = {
    "booking": "reception",
    "check_in": "reception",
    "vitals": "nurse",
    "signing": "doctor",
    "dispensing": "pharmacist",
}
#: Free slots each booking receptionist gathers before the run (from tomorrow on).
BOOKING_WEEKS = 3
VITALS = {"temperature": "36.9", "pulse": "78", "systolic": "122", "diastolic": "80"}


def share_clients(total: int, mix: dict[str, int] = MIX) -> dict[str, int]:
    """``total`` clients over the kinds in proportion to ``mix`` (largest remainder), each
    kind at least one when there are enough clients."""
    if total < len(mix):
        raise ValueError(f"at least {len(mix)} clients, one per kind")
    weight = sum(mix.values())
    exact = {kind: total * share / weight for kind, share in mix.items()}
    counts = {kind: max(1, int(value)) for kind, value in exact.items()}
    by_remainder = sorted(mix, key=lambda k: exact[k] - int(exact[k]), reverse=True)
    while sum(counts.values()) < total:
        for kind in by_remainder:
            if sum(counts.values()) < total:
                counts[kind] += 1
    while sum(counts.values()) > total:
        largest = max(counts, key=lambda k: counts[k])
        counts[largest] -= 1
    return counts


@dataclass
class Writer:
    """One client: its kind, its account and its own list of work."""

    kind: str
    username: str
    work: list[Any]
    doctor: int = 0  # a booking receptionist's doctor
    slots: list[str] = field(default_factory=list)


def plan_writers(manifest: dict[str, Any], counts: dict[str, int]) -> list[Writer]:
    """Each kind's accounts and its share of the manifest's work (client k of n takes every
    n-th item from the k-th), so that no two clients ever touch the same row."""
    staff = manifest["staff"]
    doctors = list(manifest["doctors"].values())
    receptionists = staff["reception"]
    writers: list[Writer] = []
    for kind, n in counts.items():
        if kind == "booking":
            accounts, work = receptionists[:n], manifest["bookings"]["patients"]
        elif kind == "check_in":
            # Other receptionists than the booking ones (every kind has its own accounts).
            accounts, work = receptionists[counts["booking"] :][:n], manifest["check_ins"]
        elif kind == "vitals":
            accounts, work = staff["nurse"][:n], manifest["vitals"]
        elif kind == "signing":
            signers = list(manifest["signings"])[:n]
            accounts, work = signers, []
        else:
            accounts, work = staff["pharmacist"][:n], manifest["dispensings"]
        if len(accounts) < n:
            raise RequestFailed(
                f"{n} {kind} clients but {len(accounts)} {ROLE[kind]} accounts "
                "(generate_staff --per-role)"
            )
        for k, username in enumerate(accounts):
            if kind == "signing":
                own = list(manifest["signings"][username])
            elif kind == "dispensing":
                own = [(p, item) for p, items in work[k::n] for item in items]
            else:
                own = list(work[k::n])
            writer = Writer(kind, username, own)
            if kind == "booking":
                writer.doctor = doctors[k % len(doctors)]
            writers.append(writer)
    return writers


class MixedWriters(Scenario):
    name = "mixed_writers"
    description = (
        "concurrent writers in KTM, each kind with its own accounts and work: receptionists "
        "booking (POST /api/v1/appointments/) and checking in (POST /api/v1/queue/check-in/), "
        "nurses recording vitals (POST /api/v1/queue/{id}/vitals/), doctors signing "
        "(POST /api/v1/encounters/{id}/sign/), pharmacists dispensing (POST "
        "/api/v1/dispensing/{prescription}/dispense/); closed loop for a fixed time; 201/200 "
        "is a write, 409 a refusal, anything else an error"
    )
    #: No paced phase: it uses up its work, and asks how the writes scale with processes.
    paced = False

    def __init__(self) -> None:
        self.manifest: dict[str, Any] = {}
        self.duration_s = 60.0

    def use(self, manifest: dict[str, Any], duration_s: float) -> None:
        """The day's work (``generate_workday --manifest``) and how long to write."""
        self.manifest = manifest
        self.duration_s = duration_s

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("mixed_writers runs its own loop")

    async def _free_slots(self, client: BenchClient, doctor: int) -> list[str]:
        first = date.today() + timedelta(days=1)
        found: list[str] = []
        for week in range(BOOKING_WEEKS):
            start = first + timedelta(weeks=week)
            timed = await client.get(
                f"/api/v1/practitioners/{doctor}/slots/"
                f"?from={start:%Y-%m-%d}&to={start + timedelta(days=6):%Y-%m-%d}"
            )
            expect_status(timed.response, 200)
            found += [slot["starts_at"] for slot in timed.response.json()]
        return found

    def _request(self, writer: Writer, turn: int) -> tuple[str, dict[str, Any]] | None:
        """The next write of this client (path, JSON), or None when its work is done."""
        kind = writer.kind
        if kind == "booking":
            if turn >= min(len(writer.work), len(writer.slots)):
                return None
            return "/api/v1/appointments/", {
                "patient": writer.work[turn],
                "practitioner": writer.doctor,
                "starts_at": writer.slots[turn],
            }
        if turn >= len(writer.work):
            return None
        item = writer.work[turn]
        if kind == "check_in":
            return "/api/v1/queue/check-in/", {"appointment": item, "confirm": True}
        if kind == "vitals":
            return f"/api/v1/queue/{item}/vitals/", VITALS
        if kind == "signing":
            return f"/api/v1/encounters/{item}/sign/", {"acknowledge_allergies": True}
        prescription, line = item
        return f"/api/v1/dispensing/{prescription}/dispense/", {"item": line}

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.manifest:
            raise RequestFailed("no workday to do (see bench/database.py: generate_workday)")
        counts = share_clients(ctx.concurrency)
        writers = plan_writers(self.manifest, counts)
        clients = [BenchClient(ctx.base_url) for _ in writers]
        setup_rec, overall = Recorder(), Recorder()
        per_kind = {kind: Recorder() for kind in MIX}
        refusals = dict.fromkeys(MIX, 0)
        refusal_samples: list[str] = []
        out_of_work = dict.fromkeys(MIX, 0)
        try:

            async def prepare(writer: Writer, client: BenchClient) -> None:
                try:
                    await client.sign_in(writer.username, ctx.password)
                    if writer.kind == "booking":
                        writer.slots = await self._free_slots(client, writer.doctor)
                except (RequestFailed, httpx.HTTPError, ValueError, KeyError) as exc:
                    setup_rec.error(f"{writer.username}: {describe(exc)}")

            await asyncio.gather(*(prepare(w, c) for w, c in zip(writers, clients, strict=True)))
            stop_at = time.perf_counter() + self.duration_s

            async def write(writer: Writer, client: BenchClient) -> None:
                turn = 0
                while time.perf_counter() < stop_at:
                    request = self._request(writer, turn)
                    if request is None:
                        out_of_work[writer.kind] += 1
                        return
                    turn += 1
                    path, payload = request
                    started = time.perf_counter()
                    try:
                        response = await client.post_json(path, payload)
                        seconds = time.perf_counter() - started
                        if response.status_code == 409:
                            refusals[writer.kind] += 1
                            detail = f"{writer.kind}: {response.text[:160]}"
                            if len(refusal_samples) < 5 and detail not in refusal_samples:
                                refusal_samples.append(detail)
                        elif response.status_code not in (200, 201):
                            raise RequestFailed(
                                f"POST {path}: HTTP {response.status_code} {response.text[:200]}"
                            )
                    except (RequestFailed, httpx.HTTPError) as exc:
                        per_kind[writer.kind].error(describe(exc))
                        overall.error(describe(exc))
                    else:
                        if response.status_code != 409:
                            per_kind[writer.kind].ok(seconds)
                        overall.ok(seconds)

            started = time.perf_counter()
            cpu_before = ctx.cpu() if ctx.cpu else 0.0
            async with asyncio.timeout(max(ctx.deadline.remaining(), 1)):
                await asyncio.gather(*(write(w, c) for w, c in zip(writers, clients, strict=True)))
            wall = time.perf_counter() - started
            cpu_ms = ctx.cpu() - cpu_before if ctx.cpu else None
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        return self._report(
            overall, per_kind, counts, writers, wall, cpu_ms, refusals, refusal_samples,
            out_of_work, setup_rec,
        )  # fmt: skip

    def _report(
        self,
        overall: Recorder,
        per_kind: dict[str, Recorder],
        counts: dict[str, int],
        writers: list[Writer],
        wall: float,
        cpu_ms: float | None,
        refusals: dict[str, int],
        refusal_samples: list[str],
        out_of_work: dict[str, int],
        setup_rec: Recorder,
    ) -> dict[str, Any]:
        result = overall.summary(wall)
        writes = sum(len(rec.latencies_s) for rec in per_kind.values())
        by_kind: dict[str, Any] = {}
        for kind, rec in per_kind.items():
            summary = rec.summary(wall)
            by_kind[kind] = {
                "clients": counts[kind],
                "users": [w.username for w in writers if w.kind == kind],
                "writes": len(rec.latencies_s),
                "writes_per_s": summary["rps"],
                "refusals_409": refusals[kind],
                "errors": rec.errors,
                "p50_ms": summary.get("p50_ms"),
                "p95_ms": summary.get("p95_ms"),
                "clients_out_of_work": out_of_work[kind],
            }
            if rec.error_samples:
                by_kind[kind]["error_samples"] = rec.error_samples
        if cpu_ms is not None:
            result["server_cpu_ms"] = round(cpu_ms, 1)
            result["cpu_ms_per_request"] = per_request(cpu_ms, result["requests"])
        result.update(
            {
                "description": self.description,
                "paced": None,
                "duration_limit_s": self.duration_s,
                "writes": writes,
                "writes_per_s": round(writes / wall, 1) if wall else None,
                "refusals_409": sum(refusals.values()),
                "refusal_samples": refusal_samples,
                "mix_percent_of_clients": MIX,
                "by_kind": by_kind,
                "notes": (
                    "requests/rps/p50-p99 cover every write answered 2xx or 409; writes and "
                    "writes_per_s count the 2xx alone; by_kind.writes_per_s is each kind's"
                ),
            }
        )
        if setup_rec.errors:
            result["setup_errors"] = setup_rec.errors
            result["setup_error_samples"] = setup_rec.error_samples
        return result
