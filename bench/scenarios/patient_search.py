"""The patient search type-ahead over a large clinic: ``GET /patients/?q=...`` as HTMX sends it
(``HX-Request: true``, answered with the results fragment), with queries made from real rows of
the generated patients (``bench/database.py`` generates and samples them)."""

from __future__ import annotations

import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from bench.client import BenchClient, RequestFailed, expect_status
from bench.load import LoadPlan, describe, run_load
from bench.scenarios.base import Context, Scenario
from bench.stats import Recorder, paced_summary

SEARCH_PATH = "/patients/"
#: Queries of the paced phase (at least; people and their pause come from the context).
PACED_REQUESTS = 600
#: Staff of the demo clinic KTM who search patients at the front desk and in the clinic.
SEARCH_USERS = ("reception", "doc001", "doc002", "doc003", "doc004", "nurse", "manager")
#: The kinds of query and how often each is typed (percent): names most, then phone numbers
#: read out by the patient, then MRNs from a card or a label.
KINDS: dict[str, int] = {
    "name_full": 20,  # "Sita Shrestha"
    "name_typo": 12,  # one letter wrong, missing, doubled or swapped
    "name_reversed": 6,  # "Shrestha Sita"
    "name_given_only": 10,  # "Sita"
    "phone_e164": 6,  # "+9779841234567"
    "phone_local": 14,  # "9841234567"
    "phone_formatted": 8,  # "984-1234567", "984 123 4567", "+977 984-1234567"
    "mrn_full": 12,  # "KTM-000123"
    "mrn_bare": 12,  # "123" or "000123"
}
RESULTS_MARKER = b'id="results"'
_MATCHES = re.compile(rb"(\d+) match")


@dataclass(frozen=True)
class Sample:
    """A real patient row to build queries from."""

    given_name: str
    family_name: str
    phone: str
    mrn: str
    mrn_seq: int


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    mrn: str  # the patient the query was made from


def _typo(word: str, rng: random.Random) -> str:
    """One slip of the finger: a letter replaced, dropped, doubled, or two swapped."""
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)  # keep the first letter, as people usually do
    how = rng.choice(("replace", "drop", "double", "swap"))
    if how == "replace":
        letter = rng.choice([c for c in "aeioustnrhkml" if c != word[i].lower()])
        return word[:i] + letter + word[i + 1 :]
    if how == "drop":
        return word[:i] + word[i + 1 :]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    if word[i] == word[i + 1]:
        return word[:i] + word[i + 1 :]  # swapping two equal letters changes nothing: drop one
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _as_typed(text: str, rng: random.Random) -> str:
    return text.lower() if rng.random() < 0.4 else text


def make_query(kind: str, row: Sample, rng: random.Random) -> Query:
    local = row.phone.removeprefix("+977")  # "98XXXXXXXX"
    if kind == "name_full":
        text = _as_typed(f"{row.given_name} {row.family_name}", rng)
    elif kind == "name_typo":
        if rng.random() < 0.6:
            text = f"{row.given_name} {_typo(row.family_name, rng)}"
        else:
            text = f"{_typo(row.given_name, rng)} {row.family_name}"
        text = _as_typed(text, rng)
    elif kind == "name_reversed":
        text = _as_typed(f"{row.family_name} {row.given_name}", rng)
    elif kind == "name_given_only":
        text = _as_typed(row.given_name, rng)
    elif kind == "phone_e164":
        text = row.phone
    elif kind == "phone_local":
        text = local
    elif kind == "phone_formatted":
        text = rng.choice(
            (
                f"{local[:3]}-{local[3:]}",
                f"{local[:3]} {local[3:6]} {local[6:]}",
                f"+977 {local[:3]}-{local[3:]}",
                f"{local[:3]}-{local[3:6]}-{local[6:]}",
            )
        )
    elif kind == "mrn_full":
        text = row.mrn
    elif kind == "mrn_bare":
        text = str(row.mrn_seq) if rng.random() < 0.5 else f"{row.mrn_seq:06d}"
    else:
        raise ValueError(kind)
    return Query(kind, text, row.mrn)


def make_queries(samples: list[Sample], count: int, seed: int) -> list[Query]:
    """``count`` queries in the proportions of :data:`KINDS`, each from a sampled row (phone
    queries from rows that have a phone)."""
    rng = random.Random(seed)
    with_phone = [s for s in samples if s.phone]
    kinds = rng.choices(list(KINDS), weights=list(KINDS.values()), k=count)
    return [
        make_query(kind, rng.choice(with_phone if kind.startswith("phone") else samples), rng)
        for kind in kinds
    ]


class PatientSearch(Scenario):
    name = "patient_search"
    description = (
        "GET /patients/?q=... with HX-Request: true (the search type-ahead, results fragment) "
        "by signed-in KTM staff over the generated patients; queries from real rows: full "
        "names, one typo, reversed word order, given name only, phone numbers as E.164 / local "
        "/ formatted, MRNs in full and bare; any answer but 200 with the fragment is an error"
    )
    #: Its own paced phase (below): the generic one would count its queries in ``by_kind``.
    paced = False
    #: Measured requests: more than a page scenario's, so that every kind has a p95.
    requests = 1200
    #: Queries of each kind sent one at a time afterwards (``by_kind.<kind>.alone``).
    alone_per_kind = 15
    seed = 20_261_123

    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.data: dict[str, Any] = {}
        self._reset(0)

    def use(self, samples: list[Sample], data: dict[str, Any]) -> None:
        """The sampled rows and the figures of the generated data (from ``bench/database.py``)."""
        self.samples = samples
        self.data = data

    def _reset(self, warmup: int) -> None:
        self._warmup = warmup
        self._started = 0
        self._queries: list[Query] = []
        self._kinds: dict[str, Recorder] = {kind: Recorder() for kind in KINDS}
        self._found: Counter[str] = Counter()
        self._empty: Counter[str] = Counter()

    def plan(self, ctx: Context) -> LoadPlan:
        return LoadPlan(
            concurrency=ctx.concurrency,
            requests=max(ctx.requests, self.requests),
            warmup=ctx.warmup,
        )

    def user_for(self, client: int) -> str:
        return SEARCH_USERS[client % len(SEARCH_USERS)]

    async def setup(self, ctx: Context, client: BenchClient, index: int) -> None:
        await client.sign_in(self.user_for(index), ctx.password)
        # Every later request of this client is the type-ahead's (BenchClient has no
        # per-request headers; its own cookie handling stays in use).
        client._http.headers["HX-Request"] = "true"

    async def step(self, ctx: Context, client: BenchClient, index: int, iteration: int) -> float:
        # The warm-up phase ends before the measured one starts, so the first ``warmup``
        # steps are the warm-up's and are left out of the figures per kind.
        number = self._started
        self._started += 1
        query = self._queries[number % len(self._queries)]
        measured = number >= self._warmup
        try:
            timed = await client.get(f"{SEARCH_PATH}?{urlencode({'q': query.text})}")
            expect_status(timed.response, 200)
            body = timed.response.content
            if RESULTS_MARKER not in body or b"<html" in body:
                raise RequestFailed("search answered without the HTMX results fragment")
        except Exception as exc:
            if measured:
                self._kinds[query.kind].error(describe(exc))
            raise
        if measured:
            self._kinds[query.kind].ok(timed.seconds)
            if query.mrn.encode() in body:
                self._found[query.kind] += 1
            matches = _MATCHES.search(body)
            if matches is not None and matches.group(1) == b"0":
                self._empty[query.kind] += 1
        return timed.seconds

    async def run(self, ctx: Context) -> dict[str, Any]:
        if not self.samples:
            raise RequestFailed("no generated patients to search (see bench/database.py)")
        plan = self.plan(ctx)
        self._reset(plan.warmup)
        self._queries = make_queries(self.samples, plan.warmup + plan.requests, self.seed)
        result = await super().run(ctx)
        wall = result.get("wall_s") or 0
        by_kind: dict[str, Any] = {}
        for kind, rec in self._kinds.items():
            summary = rec.summary(wall)  # rps: this kind's share of the measured throughput
            ok = len(rec.latencies_s)
            summary.pop("wall_s", None)
            if ok:
                summary["found_rate"] = round(self._found[kind] / ok, 3)
                summary["no_results"] = self._empty[kind]
            by_kind[kind] = summary
        result["paced"] = await self._paced(ctx)
        alone = await self._alone(ctx)
        for kind, summary in by_kind.items():
            summary["alone"] = alone.get(kind)
        result["by_kind"] = by_kind
        return result

    async def _paced(self, ctx: Context) -> dict[str, Any]:
        """The same queries as people type them: ``ctx.people`` people each wait
        ``ctx.think_s`` between queries (a pause between keystrokes), so the server sees a
        steady, realistic load instead of every client firing again the instant it is
        answered."""
        total = max(PACED_REQUESTS, ctx.paced_requests)
        queries = make_queries(self.samples, total, self.seed + 2)

        async def setup(client: BenchClient, index: int) -> None:
            await self.setup(ctx, client, index)

        async def step(client: BenchClient, index: int, iteration: int) -> float:
            query = queries[(index + iteration * ctx.people) % len(queries)]
            timed = await client.get(f"{SEARCH_PATH}?{urlencode({'q': query.text})}")
            expect_status(timed.response, 200)
            return timed.seconds

        plan = LoadPlan(ctx.people, total, warmup=0, think_s=ctx.think_s)
        result = await run_load(ctx.base_url, plan, step, ctx.deadline, setup=setup, cpu=ctx.cpu)
        return paced_summary(result, people=ctx.people, think_ms=round(ctx.think_s * 1000))

    async def _alone(self, ctx: Context) -> dict[str, Any]:
        """The same kinds of query from one client, one at a time, after the concurrent phase:
        what a query costs when nothing queues in front of it."""
        queries = make_queries(self.samples, 4000, self.seed + 1)
        client = BenchClient(ctx.base_url)
        figures: dict[str, Any] = {}
        try:
            await client.sign_in(SEARCH_USERS[0], ctx.password)
            client._http.headers["HX-Request"] = "true"
            for kind in KINDS:
                rec = Recorder()
                for query in [q for q in queries if q.kind == kind][: self.alone_per_kind]:
                    try:
                        timed = await client.get(f"{SEARCH_PATH}?{urlencode({'q': query.text})}")
                        expect_status(timed.response, 200)
                    except Exception as exc:
                        rec.error(describe(exc))
                    else:
                        rec.ok(timed.seconds)
                summary = rec.summary(0)
                figures[kind] = {
                    key: summary[key]
                    for key in ("requests", "errors", "p50_ms", "p95_ms", "max_ms")
                    if key in summary
                }
        finally:
            await client.aclose()
        return figures

    def details(self, ctx: Context) -> dict[str, Any]:
        return {
            "users": sorted({self.user_for(i) for i in range(ctx.concurrency)}),
            "data": self.data,
            "query_mix_percent": KINDS,
            "examples": {kind: self._example(kind) for kind in KINDS},
            "notes": (
                "by_kind.rps is the kind's share of the measured throughput; by_kind.alone: the "
                "same kind from one client, one query at a time, after the concurrent phase "
                "(no queueing); found_rate: "
                "answers listing the patient the query was made from (names are shared by many "
                "patients, so a name query may rightly list others first); no_results: "
                "answers with 0 matches"
            ),
        }

    def _example(self, kind: str) -> str:
        return next((q.text for q in self._queries if q.kind == kind), "")
