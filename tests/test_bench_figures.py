"""The bench's own arithmetic: server CPU read from /proc stat lines, the paced summary, the
audit trail's pending events, the mixed writers' share of the clients and their work, and
the A/B medians and ratios."""

from __future__ import annotations

import pytest

from bench import ab, audit, cpu
from bench.run import mixed_summary
from bench.scenarios.mixed_writers import plan_writers, share_clients
from bench.stats import Recorder, paced_summary


def stat_line(pid: int, ppid: int, utime: int, stime: int, cutime: int = 0, cstime: int = 0,
              name: str = "python") -> str:  # fmt: skip
    # Fields 3..13 (state … cmajflt), then utime, stime, cutime, cstime, then the rest.
    middle = f"S {ppid} {pid} {pid} 0 -1 4194560 100 0 0 0"
    return f"{pid} ({name}) {middle} {utime} {stime} {cutime} {cstime} 20 0 1 0 100 0 0\n"


def test_stat_line_is_read_past_a_command_name_with_spaces_and_parentheses():
    times = cpu.parse_stat(stat_line(42, 7, 150, 30, 5, 2, name="uvicorn (worker) 2)"))
    assert (times.pid, times.ppid, times.utime, times.stime, times.cutime, times.cstime) == (
        42, 7, 150, 30, 5, 2,
    )  # fmt: skip
    assert times.ticks == 187


def test_tree_counts_the_root_and_every_descendant_and_nothing_else():
    processes = [
        cpu.parse_stat(stat_line(10, 1, 100, 10)),  # the launcher
        cpu.parse_stat(stat_line(11, 10, 1000, 100, cutime=7)),  # a worker (reaped a child)
        cpu.parse_stat(stat_line(12, 10, 2000, 200)),  # another worker
        cpu.parse_stat(stat_line(13, 12, 50, 5)),  # its child
        cpu.parse_stat(stat_line(20, 1, 9999, 999)),  # the bench itself, not the server
    ]
    assert cpu.tree_ticks(10, processes) == 110 + 1107 + 2200 + 55
    assert cpu.tree_ticks(12, processes) == 2255
    assert cpu.tree_ticks(99, processes) == 0


def test_processes_are_read_from_proc_skipping_what_is_not_a_process(tmp_path):
    for pid, ppid, utime in ((10, 1, 300), (11, 10, 200)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(stat_line(pid, ppid, utime, 0))
    (tmp_path / "12").mkdir()  # ended between the listing and the read: no stat
    (tmp_path / "self").mkdir()
    found = cpu.read_processes(tmp_path)
    assert sorted(p.pid for p in found) == [10, 11]
    assert cpu.tree_ticks(10, found) == 500


def test_cpu_per_request_is_none_without_requests():
    assert cpu.per_request(1234.0, 100) == 12.34
    assert cpu.per_request(1234.0, 0) is None


def test_paced_summary_keeps_the_percentiles_and_says_how_it_was_paced():
    rec = Recorder()
    for ms in range(1, 101):  # 1..100 ms
        rec.ok(ms / 1000)
    rec.error("HTTP 500")
    summary = rec.summary(10.0)
    summary["cpu_ms_per_request"] = 9.5
    paced = paced_summary(summary, people=20, think_ms=300)
    assert paced["p50_ms"] == 50.5
    assert paced["p95_ms"] == 95.05
    assert paced["requests"] == 101
    assert paced["errors"] == 1
    assert (paced["people"], paced["think_ms"]) == (20, 300)
    assert paced["cpu_ms_per_request"] == 9.5
    assert paced["error_samples"] == ["HTTP 500"]


@pytest.mark.parametrize(
    ("nullable", "column"),
    [({"sealed_at", "seq", "ip"}, "sealed_at"), ({"seq"}, "seq"), ({"ip", "clinic_id"}, None)],
)
def test_pending_events_are_counted_by_the_nullable_seal_column_when_there_is_one(nullable, column):
    assert audit.pending_column(nullable) == column
    sql = audit.pending_sql(column)
    assert sql is None if column is None else f"WHERE {column} IS NULL" in sql


def test_waiting_for_the_seal_stops_when_nothing_is_pending_or_the_time_is_up():
    now = [0.0]
    readings = iter([(10, 3), (11, 1), (12, 0)])
    events, pending, seconds = audit.wait_until_sealed(
        lambda: next(readings), 30, sleep=lambda s: now.__setitem__(0, now[0] + s),
        clock=lambda: now[0],
    )  # fmt: skip
    assert (events, pending, seconds) == (12, 0, 0.5)
    now[0] = 0.0
    stuck = audit.wait_until_sealed(
        lambda: (5, 2), 1, sleep=lambda s: now.__setitem__(0, now[0] + s), clock=lambda: now[0]
    )
    assert stuck[:2] == (5, 2)
    assert stuck[2] >= 1


@pytest.mark.postgres
@pytest.mark.django_db
def test_pending_count_works_on_the_schema_as_it_is(clinic):
    from django.db import connection

    from clinicflow.core.audit.chain import seal_all
    from clinicflow.core.audit.recorder import record

    record("create", object_type="core.clinic", object_repr="a bench event", clinic_id=clinic.pk)
    with connection.cursor() as cursor:
        events, pending = audit.counts(cursor)
    assert events >= 1
    assert pending == events  # the tests' transaction never commits: nothing sealed yet
    seal_all()
    with connection.cursor() as cursor:
        assert audit.counts(cursor) == (events, 0)


def test_clients_are_shared_over_the_kinds_in_the_mix():
    assert share_clients(20) == {
        "booking": 6, "check_in": 4, "vitals": 4, "signing": 2, "dispensing": 4,
    }  # fmt: skip
    assert share_clients(5) == dict.fromkeys(
        ("booking", "check_in", "vitals", "signing", "dispensing"), 1
    )
    assert sum(share_clients(13).values()) == 13
    with pytest.raises(ValueError, match="one per kind"):
        share_clients(4)


def test_every_writer_has_its_own_account_and_its_own_work():
    manifest = {
        "staff": {
            "reception": [f"r{i}" for i in range(10)],
            "nurse": ["n1", "n2", "n3", "n4"],
            "doctor": ["d1", "d2"],
            "pharmacist": ["p1", "p2", "p3", "p4"],
        },
        "doctors": {"d1": 1, "d2": 2},
        "bookings": {"patients": [f"pat{i}" for i in range(60)]},
        "check_ins": [f"ap{i}" for i in range(40)],
        "vitals": [f"q{i}" for i in range(40)],
        "signings": {"d1": ["e1", "e2"], "d2": ["e3"]},
        "dispensings": [[f"rx{i}", [i * 10, i * 10 + 1]] for i in range(8)],
    }
    writers = plan_writers(manifest, share_clients(20))
    assert len(writers) == 20
    accounts = [w.username for w in writers]
    assert len(set(accounts)) == 20
    for kind in ("booking", "check_in", "vitals", "dispensing"):
        work = [tuple(x) if isinstance(x, list) else x for w in writers if w.kind == kind
                for x in w.work]  # fmt: skip
        assert len(work) == len(set(work)), kind
    assert {w.doctor for w in writers if w.kind == "booking"} == {1, 2}
    assert sorted(x for w in writers if w.kind == "dispensing" for x in w.work)[:2] == [
        ("rx0", 0), ("rx0", 1),
    ]  # fmt: skip


def test_mixed_summary_shows_how_writes_scale_with_processes():
    runs = {
        1: {"requests": 300, "errors": 0, "rps": 10.0, "writes_per_s": 10.0,
            "cpu_ms_per_request": 40.0, "sealer_cpu_ms": 100.0},
        2: {"requests": 500, "errors": 2, "rps": 16.0, "writes_per_s": 15.0,
            "cpu_ms_per_request": 42.0, "sealer_cpu_ms": 120.0},
    }  # fmt: skip
    summary = mixed_summary(runs, default_processes=2)
    assert summary["requests"] == 800
    assert summary["errors"] == 2
    assert summary["rps"] == 16.0
    assert summary["scaling"] == 1.5
    assert summary["writes_per_s_by_processes"] == {"1": 10.0, "2": 15.0}
    assert summary["by_processes"]["1"] is runs[1]


def run_report(**scenarios):
    return {"scenarios": scenarios}


def test_ab_takes_medians_per_side_and_the_ratio_b_over_a():
    a_runs = [
        run_report(free_slots={"rps": 80, "cpu_ms_per_request": 16, "paced": {"p95_ms": 60}}),
        run_report(free_slots={"rps": 90, "cpu_ms_per_request": 14, "paced": {"p95_ms": 40}}),
        run_report(free_slots={"rps": 70, "cpu_ms_per_request": 15, "paced": {"p95_ms": 50}}),
    ]
    b_runs = [
        run_report(
            free_slots={"rps": 160, "cpu_ms_per_request": 7.5, "paced": {"p95_ms": 25}},
            mixed_writers={"writes_per_s": 30, "writes_per_s_by_processes": {"1": 20, "2": 30}},
        ),
    ]
    result = ab.compare(["free_slots", "mixed_writers"], a_runs, b_runs)
    slots = result["free_slots"]
    assert slots["a"] == {"rps": 80.0, "cpu_ms_per_request": 15.0, "paced_p95_ms": 50.0}
    assert slots["b_over_a"] == {"rps": 2.0, "cpu_ms_per_request": 0.5, "paced_p95_ms": 0.5}
    mixed = result["mixed_writers"]
    assert mixed["a"] == "missing"
    assert mixed["b"]["writes_per_s_2_processes"] == 30.0
    assert mixed["b_over_a"] is None


def test_ab_reports_a_scenario_missing_where_its_generator_is(tmp_path):
    commands = tmp_path / "clinicflow" / "patients" / "management" / "commands"
    commands.mkdir(parents=True)
    (commands / "generate_patients.py").write_text("")
    assert ab.available(tmp_path, ["login_page", "patient_search", "mixed_writers"]) == [
        "login_page",
        "patient_search",
    ]


def test_ab_passes_what_follows_the_double_dash_to_every_run():
    args = ab.parse_args(["--a", "x", "--b", "y", "--rounds", "1", "--", "--patients", "100"])
    assert (args.a, args.b, args.rounds) == ("x", "y", 1)
    assert args.run_args == ["--patients", "100"]
