"""``otp_burst``: a burst of requests for one-time codes, the portal's sign-in by code
(``POST /portal/sign-in/``) and registration (``POST /portal/register/``), from many visitors
at once, each from an address of its own.

The server sees each visitor's IP as its ``REMOTE_ADDR``: every visitor's connection comes from
its own loopback address (127.10.x.y; all of 127.0.0.0/8 is the machine's own), so the
per-IP limit applies as it would to people on the internet, with no proxy header trusted.

The visitors, in seeded proportions (``plan``), each asking through one page:

- **people** asking for a code for their own number (sign-in) or registering with their own
  number or e-mail, once to three times (one in ten five times: an impatient tapper);
- **shared IPs** (a hospital's Wi-Fi, a carrier's NAT): many people, each a number of their
  own, behind one address;
- **number sprayers**: one IP asking codes for many different numbers (SMS pumping);
- **number bombers**: one number asked for from many IPs, each once.

The code limits (``portal/codes.py`` ``check_send_limits``): at most 3 codes an address per 15
minutes and 10 an IP per hour, counting every request that reaches them. A request is let
through when both of its counts are within their limits. The plan never lets one request
count towards two over-asked keys (an address and an IP both asked beyond their limit), so
however the requests interleave, exactly ``allowance(plan)`` are let through: each over-asked
key lets its limit through, and every request touching none goes through. The entry counts
the answers by status (302: a code issued; 429: refused by a limit; anything else, and any
5xx, is an error), then the codes the database holds (``portal_onetimecode``: must equal the
allowance; a registration's code, and a sign-in code for a number an account proved, is sent
through the outbox: ``notifications_message``)."""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg

from bench.client import BenchClient, RequestFailed
from bench.cpu import per_request
from bench.scenarios.base import Context, Scenario
from bench.stats import Recorder

SIGN_IN_PATH = "/portal/sign-in/"
REGISTER_PATH = "/portal/register/"
#: The limits of ``clinicflow/portal/codes.py`` (per address, per IP).
PER_ADDRESS = 3
PER_IP = 10
REQUESTS = 1000
#: Visitors asking at the same moment.
IN_FLIGHT = 100
SEED = 20
_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
#: A registration's password: long, uncommon, not only digits, like nobody's name.
PASSWORD = "Rhododendron-Trail-4821"
GIVEN = ("Aarati", "Bikash", "Chandra", "Dipa", "Gita", "Hari", "Kamala", "Manoj", "Nisha")
FAMILY = ("Adhikari", "Bhandari", "Gurung", "Karki", "Limbu", "Shrestha", "Tamang", "Thapa")


@dataclass(frozen=True)
class Ask:
    """One request for a code: through which page, for which address (as typed), and the
    address's canonical form (what the limit counts)."""

    page: str  # "sign_in" or "register"
    typed: str
    key: str


@dataclass
class Visitor:
    kind: str
    ip: str
    asks: list[Ask] = field(default_factory=list)


def _ip(n: int) -> str:
    """The n-th visitor address: 127.10.0.1, 127.10.0.2, … (never the server's 127.0.0.1)."""
    return f"127.10.{n // 250}.{n % 250 + 1}"


def _phone(n: int) -> str:
    return f"+977980{n:07d}"


def _typed(phone: str, rng: random.Random) -> str:
    """As people type it: the international form, or the local one (the page adds +977)."""
    return phone if rng.random() < 0.7 else phone.removeprefix("+977")


def plan(requests: int = REQUESTS, seed: int = SEED) -> list[Visitor]:
    """The burst's visitors and their requests, ``requests`` in all, in a seeded order."""
    rng = random.Random(seed)
    numbers = iter(rng.sample(range(1, 10_000_000), requests * 2))
    ips = iter(range(requests * 2))
    visitors: list[Visitor] = []
    for _ in range(2):  # number sprayers: 60 numbers each, one IP
        visitor = Visitor("sprayer", _ip(next(ips)))
        visitor.asks = [Ask("sign_in", p, p) for p in (_phone(next(numbers)) for _ in range(60))]
        visitors.append(visitor)
    for _ in range(2):  # number bombers: one number, 50 IPs, once each
        target = _phone(next(numbers))
        visitors += [
            Visitor("bomber", _ip(next(ips)), [Ask("sign_in", target, target)]) for _ in range(50)
        ]
    for _ in range(4):  # shared IPs: 20 people, one or two requests each
        ip = _ip(next(ips))
        for _ in range(20):
            phone = _phone(next(numbers))
            asks = [Ask("sign_in", _typed(phone, rng), phone) for _ in range(rng.randint(1, 2))]
            visitors.append(Visitor("shared_ip", ip, asks))
    total = sum(len(v.asks) for v in visitors)
    while total < requests:  # people, each from an IP of their own, until the count is met
        phone = _phone(next(numbers))
        times = 5 if rng.random() < 0.1 else rng.randint(1, 3)
        if rng.random() < 0.25:
            email = rng.random() < 0.4
            address = f"otp{phone[-7:]}@example.org" if email else phone
            ask = Ask("register", address if email else _typed(phone, rng), address)
        else:
            ask = Ask("sign_in", _typed(phone, rng), phone)
        times = min(times, requests - total)
        visitors.append(Visitor("person", _ip(next(ips)), [ask] * times))
        total += times
    rng.shuffle(visitors)
    return visitors


def allowance(visitors: list[Visitor]) -> dict[str, int]:
    """How many requests the limits let through, by page, whatever order they arrive in;
    raises ``ValueError`` when a request counts towards two over-asked keys (then the number
    would depend on the order)."""
    by_address: Counter[str] = Counter()
    by_ip: Counter[str] = Counter()
    for visitor in visitors:
        for ask in visitor.asks:
            by_address[ask.key] += 1
            by_ip[visitor.ip] += 1
    over_address = {k for k, n in by_address.items() if n > PER_ADDRESS}
    over_ip = {k for k, n in by_ip.items() if n > PER_IP}
    pages: dict[str, set[str]] = {}
    allowed: Counter[str] = Counter()
    for visitor in visitors:
        for ask in visitor.asks:
            if ask.key in over_address and visitor.ip in over_ip:
                raise ValueError(f"{ask.key} from {visitor.ip}: both keys over their limits")
            key = ask.key if ask.key in over_address else ""
            key = key or (visitor.ip if visitor.ip in over_ip else "")
            if key:
                pages.setdefault(key, set()).add(ask.page)
            else:
                allowed[ask.page] += 1
    for key, seen in pages.items():
        if len(seen) != 1:
            raise ValueError(f"{key}: asked through two pages (the split would depend on order)")
        allowed[seen.pop()] += PER_ADDRESS if key in over_address else PER_IP
    return {"sign_in": allowed["sign_in"], "register": allowed["register"]}


_COUNTS = """
SELECT
    (SELECT count(*) FROM portal_onetimecode WHERE purpose = 'sign_in'),
    (SELECT count(*) FROM portal_onetimecode WHERE purpose = 'register'),
    (SELECT count(*) FROM portal_onetimecode WHERE address <> ''),
    (SELECT count(*) FROM notifications_message WHERE event = 'portal.code')
"""


def _counts(database_url: str) -> tuple[int, int, int, int]:
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        row = conn.execute(_COUNTS).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2]), int(row[3])


class OtpBurst(Scenario):
    name = "otp_burst"
    description = (
        f"{REQUESTS} requests for one-time codes at once (POST /portal/sign-in/ and POST "
        "/portal/register/), at most "
        f"{IN_FLIGHT} visitors in flight, each from a loopback address of its own (the "
        "server's REMOTE_ADDR): people asking once to five times, shared IPs, number sprayers "
        "and bombers; answers by status, codes issued against the limits' allowance"
    )
    paced = False

    def __init__(self) -> None:
        self.database_url = ""
        self.clinic = ""

    def use(self, database_url: str, clinic: str) -> None:
        """Where to count the codes, and the clinic (id) registrations choose."""
        self.database_url = database_url
        self.clinic = clinic

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        raise NotImplementedError("otp_burst runs its own burst")

    def _form(self, ask: Ask, token: str, n: int) -> dict[str, str]:
        if ask.page == "sign_in":
            return {"phone": ask.typed, "csrfmiddlewaretoken": token}
        return {
            "address": ask.typed,
            "given_name": GIVEN[n % len(GIVEN)],
            "family_name": FAMILY[n // len(GIVEN) % len(FAMILY)],
            "birth_date": "1990-04-1" + str(n % 10),
            "sex": "female" if n % 2 else "male",
            "clinic": self.clinic,
            "password": PASSWORD,
            "password_again": PASSWORD,
            "csrfmiddlewaretoken": token,
        }

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.database_url or not self.clinic:
            raise RequestFailed("otp_burst has no database to count codes in (see bench/run.py)")
        visitors = plan()
        expected = allowance(visitors)
        before = await asyncio.to_thread(_counts, self.database_url)
        clients = [BenchClient(ctx.base_url, local_address=v.ip) for v in visitors]
        tokens: list[str] = [""] * len(visitors)
        setup = Recorder()
        statuses: Counter[int] = Counter()
        by_kind: dict[str, Counter[str]] = {}
        rec = Recorder()

        async def open_form(i: int, gate: asyncio.Semaphore) -> None:
            page = REGISTER_PATH if visitors[i].asks[0].page == "register" else SIGN_IN_PATH
            async with gate:
                try:
                    timed = await clients[i].get(page)
                    found = _CSRF_FIELD.search(timed.response.content)
                    if timed.response.status_code != 200 or found is None:
                        raise RequestFailed(f"GET {page}: HTTP {timed.response.status_code}")
                    tokens[i] = found.group(1).decode()
                except (RequestFailed, httpx.HTTPError) as exc:
                    setup.error(str(exc) or type(exc).__name__)

        async def ask_all(i: int, gate: asyncio.Semaphore) -> None:
            visitor = visitors[i]
            counted = by_kind.setdefault(visitor.kind, Counter())
            async with gate:
                for n, ask in enumerate(visitor.asks):
                    path = REGISTER_PATH if ask.page == "register" else SIGN_IN_PATH
                    try:
                        timed = await clients[i].request(
                            "POST", path, data=self._form(ask, tokens[i], i * 10 + n)
                        )
                    except httpx.HTTPError as exc:
                        statuses[0] += 1
                        rec.error(f"{type(exc).__name__}: {exc}")
                        continue
                    status = timed.response.status_code
                    statuses[status] += 1
                    counted[str(status)] += 1
                    if status in (302, 429):
                        rec.ok(timed.seconds)
                    else:
                        rec.error(f"POST {path}: HTTP {status} {timed.response.text[:120]!r}")

        try:
            gate = asyncio.Semaphore(ctx.concurrency)
            await asyncio.gather(*(open_form(i, gate) for i in range(len(visitors))))
            gate = asyncio.Semaphore(IN_FLIGHT)
            cpu_before = ctx.cpu() if ctx.cpu else 0.0
            started = time.perf_counter()
            async with asyncio.timeout(ctx.deadline.remaining()):
                await asyncio.gather(*(ask_all(i, gate) for i in range(len(visitors))))
            wall = time.perf_counter() - started
            cpu_ms = ctx.cpu() - cpu_before if ctx.cpu else None
        finally:
            await asyncio.gather(*(c.aclose() for c in clients))
        after = await asyncio.to_thread(_counts, self.database_url)
        sign_in, register, addressed, messages = (a - b for a, b in zip(after, before, strict=True))
        result = rec.summary(wall)
        result["rps"] = round(rec.requests / wall, 1) if wall > 0 else None
        if cpu_ms is not None:
            result["server_cpu_ms"] = round(cpu_ms, 1)
            result["cpu_ms_per_request"] = per_request(cpu_ms, rec.requests)
        server_errors = sum(n for status, n in statuses.items() if status >= 500)
        codes = {
            "sign_in": sign_in,
            "register": register,
            "total": sign_in + register,
            "with_address": addressed,
        }
        allowed = expected["sign_in"] + expected["register"]
        checks = {
            "codes_equal_allowance": codes["total"] == allowed,
            "codes_by_page_equal_allowance": (sign_in, register)
            == (expected["sign_in"], expected["register"]),
            "issued_answers_equal_allowance": statuses[302] == allowed,
            "no_5xx": server_errors == 0,
        }
        failed = [name for name, ok in checks.items() if not ok]
        result["errors"] += len(failed)
        if failed:
            result.setdefault("error_samples", []).append(f"checks failed: {', '.join(failed)}")
        return {
            "description": self.description,
            **result,
            "paced": None,
            "status_counts": {str(k): v for k, v in sorted(statuses.items())},
            "server_errors_5xx": server_errors,
            "allowance": {**expected, "total": allowed},
            "codes_created": codes,
            "messages_queued": messages,
            "checks": checks,
            "visitors": len(visitors),
            "distinct_ips": len({v.ip for v in visitors}),
            "distinct_addresses": len({a.key for v in visitors for a in v.asks}),
            "by_visitor_kind": {
                kind: {
                    "visitors": sum(1 for v in visitors if v.kind == kind),
                    "requests": sum(len(v.asks) for v in visitors if v.kind == kind),
                    "answers": dict(sorted(counted.items())),
                }
                for kind, counted in sorted(by_kind.items())
            },
            "in_flight": IN_FLIGHT,
            "limits": {"per_address_15_min": PER_ADDRESS, "per_ip_hour": PER_IP},
            "form_gets": len(visitors),
            **(
                {"setup_errors": setup.errors, "setup_error_samples": setup.error_samples}
                if setup.errors
                else {}
            ),
        }
