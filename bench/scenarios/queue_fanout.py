"""The live front desk under load: WebSocket clients of both kinds connected (waiting-room
boards through KTM's board link, and signed-in KTM receptionists, nurses and managers on the
staff queue), then a separate process makes sequence-numbered queue changes as fast as it can
through the real services (``bench/queue_driver.py``). Each client logs every ``seq`` it hears
and the delay from ``sent_at`` (the server's clock at send time, after commit; one machine, one
clock) to its receipt; afterwards each client's log is compared with the changes made: lost
(a change it should have heard of and never did) and out of order (a ``seq`` lower than one it
already had). Board clients should hear of every change; so should these staff clients, whose
roles see every visit of the clinic."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets

from bench.client import BenchClient, RequestFailed
from bench.environment import PYTHON, ROOT, BenchEnvironment
from bench.fanout import Heard
from bench.load import describe
from bench.scenarios.base import Context, Scenario
from bench.stats import Recorder

CLIENTS = 50
BOARD_CLIENTS = 20
#: Signed-in staff clients take these KTM accounts in turn (roles that see every visit).
STAFF_USERS = ("reception", "nurse", "manager")
CHANGES = 10_000
#: After the last change, how long a client may stay silent before what it lacks counts lost.
GRACE_S = 10.0
CONNECT_TIMEOUT_S = 15.0
GOAL_P95_MS = 250.0


@dataclass
class Listener:
    kind: str  # "board" or "staff"
    user: str
    heard: Heard = field(default_factory=Heard)
    socket: Any = None
    closed: str = ""


class QueueFanout(Scenario):
    name = "queue_fanout"
    description = (
        f"{CLIENTS} WebSocket clients ({BOARD_CLIENTS} token boards via KTM's board link, "
        f"{CLIENTS - BOARD_CLIENTS} signed-in KTM {'/'.join(STAFF_USERS)} on /ws/queue/) hear "
        "queue changes made by a separate process through the real services (walk-in, to "
        "vitals, ready, call next, done; one transaction each, announced after commit); "
        "latency = receipt - sent_at; lost and out-of-order seq counted per client"
    )

    def __init__(self) -> None:
        self.environment: BenchEnvironment | None = None
        self.changes = CHANGES
        self.last_message = 0.0

    def use(self, environment: BenchEnvironment, changes: int) -> None:
        self.environment = environment
        self.changes = changes

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("queue_fanout runs its own loop")

    async def _driver(self, *args: str) -> dict[str, Any]:
        """Run ``bench.queue_driver`` with the bench's environment; its JSON answer."""
        assert self.environment is not None
        process = await asyncio.create_subprocess_exec(
            PYTHON,
            "-m",
            "bench.queue_driver",
            *args,
            cwd=ROOT,
            env=self.environment.variables(),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await process.communicate()
        if process.returncode != 0:
            raise RequestFailed(
                f"queue driver {' '.join(args)} failed ({process.returncode}): "
                f"{err.decode(errors='replace')[-2000:]}"
            )
        answer: dict[str, Any] = json.loads(out.decode().strip().splitlines()[-1])
        return answer

    async def _connect(self, ctx: Context, listener: Listener, path: str, cookie: str) -> None:
        headers = {"Cookie": cookie} if cookie else {}
        socket = await websockets.connect(
            ctx.base_url.replace("http://", "ws://", 1) + path,
            additional_headers=headers,
            origin=ctx.base_url,  # type: ignore[arg-type]
            open_timeout=CONNECT_TIMEOUT_S,
        )
        hello = json.loads(await asyncio.wait_for(socket.recv(), CONNECT_TIMEOUT_S))
        if hello.get("type") != "hello":
            await socket.close()
            raise RequestFailed(f"{path}: first message {hello!r}, not hello")
        listener.socket = socket

    async def _listen(self, listener: Listener) -> None:
        heard = listener.heard
        try:
            async for raw in listener.socket:
                received_at = time.time()
                data = json.loads(raw)
                if data.get("type") in ("queue", "board"):
                    heard.receive(int(data["seq"]), float(data["sent_at"]), received_at)
                    self.last_message = time.monotonic()
        except websockets.ConnectionClosed as exc:
            listener.closed = f"closed {exc.rcvd.code if exc.rcvd else '?'}"

    async def run(self, ctx: Context) -> dict[str, Any]:
        if self.environment is None:
            raise RequestFailed("queue_fanout needs the bench environment (see bench/run.py)")
        setup = Recorder()
        board_path = f"/ws/board/{(await self._driver('board'))['board']}/"
        listeners = [Listener("board", "") for _ in range(BOARD_CLIENTS)] + [
            Listener("staff", STAFF_USERS[i % len(STAFF_USERS)])
            for i in range(CLIENTS - BOARD_CLIENTS)
        ]
        http = [BenchClient(ctx.base_url) for _ in listeners]
        tasks: list[asyncio.Task[None]] = []
        try:

            async def join(listener: Listener, client: BenchClient) -> None:
                try:
                    if listener.kind == "board":
                        await self._connect(ctx, listener, board_path, "")
                        return
                    await client.sign_in(listener.user, ctx.password)
                    cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
                    await self._connect(ctx, listener, "/ws/queue/", cookie)
                except (RequestFailed, httpx.HTTPError, OSError, TimeoutError) as exc:
                    setup.error(f"{listener.kind}: {describe(exc)}")
                except websockets.WebSocketException as exc:
                    setup.error(f"{listener.kind}: {describe(exc)}")

            async with asyncio.timeout(max(ctx.deadline.remaining(), 1)):
                await asyncio.gather(*(join(x, c) for x, c in zip(listeners, http, strict=True)))
                joined = [x for x in listeners if x.socket is not None]
                tasks = [asyncio.create_task(self._listen(x)) for x in joined]
                started = time.perf_counter()
                made = await self._driver("changes", str(self.changes))
                driven = time.perf_counter() - started
                expected = set(made["seqs"])
                self.last_message = time.monotonic()
                while any(not x.heard.has_all(expected) for x in joined):
                    if time.monotonic() - self.last_message > GRACE_S:
                        break
                    await asyncio.sleep(0.05)
                wall = time.perf_counter() - started
        finally:
            for listener in listeners:
                if listener.socket is not None:
                    await listener.socket.close()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.gather(*(c.aclose() for c in http))
        return self._report(listeners, made, expected, driven, wall, setup)

    def _report(
        self,
        listeners: list[Listener],
        made: dict[str, Any],
        expected: set[int],
        driven: float,
        wall: float,
        setup: Recorder,
    ) -> dict[str, Any]:
        by_kind: dict[str, Any] = {}
        everyone = Recorder()
        problems = 0
        for kind in ("board", "staff"):
            group = [x for x in listeners if x.kind == kind and x.socket is not None]
            rec = Recorder()
            for listener in group:
                rec.latencies_s.extend(listener.heard.latencies_s)
            everyone.latencies_s.extend(rec.latencies_s)
            lost = sum(x.heard.lost(expected) for x in group)
            disorder = sum(x.heard.out_of_order for x in group)
            duplicates = sum(x.heard.duplicates for x in group)
            problems += lost + disorder + duplicates
            figures = rec.summary(wall)
            by_kind[kind] = {
                "clients": len(group),
                "users": sorted({x.user for x in group if x.user}),
                "messages": len(rec.latencies_s),
                "expected_messages": len(group) * len(expected),
                "lost": lost,
                "out_of_order": disorder,
                "duplicates": duplicates,
                "unexpected": sum(x.heard.unexpected(expected) for x in group),
                "clients_complete": sum(1 for x in group if x.heard.has_all(expected)),
                "closed_early": sorted({x.closed for x in group if x.closed}),
                **{k: figures[k] for k in ("p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms")
                   if k in figures},
            }  # fmt: skip
        result = everyone.summary(wall)
        joined = sum(by_kind[k]["clients"] for k in by_kind)
        result.update(
            {
                "description": self.description,
                "requests": joined * len(expected),
                "errors": problems,
                "notes": (
                    "requests = messages expected (changes x connected clients); errors = lost "
                    "+ out of order + duplicates; latency from sent_at (server, after commit) "
                    "to the client's receipt, including the client's own queueing (all 50 "
                    "clients share one asyncio loop); rps = messages received per second from "
                    "the first change to the last receipt"
                ),
                "clients": CLIENTS,
                "clients_connected": joined,
                "changes": len(expected),
                "visits": made.get("visits"),
                "driver_s": made.get("seconds"),
                "changes_per_s": round(len(expected) / made["seconds"], 1)
                if made.get("seconds")
                else None,
                "driver_wall_s": round(driven, 2),
                "first_seq": min(expected) if expected else None,
                "last_seq": max(expected) if expected else None,
                "by_kind": by_kind,
                "goal": {"p95_ms": GOAL_P95_MS, "lost": 0, "out_of_order": 0},
                "goal_met": (
                    problems == 0
                    and joined == CLIENTS
                    and all(by_kind[k].get("p95_ms", float("inf")) <= GOAL_P95_MS for k in by_kind)
                ),
            }
        )
        if setup.errors:
            result["setup_errors"] = setup.errors
            result["setup_error_samples"] = setup.error_samples
        return result
