"""A fresh PostgreSQL database and Redis index for each run, migrated and seeded with the demo."""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass
from typing import Any

import psycopg
import redis
from psycopg import sql

from bench.environment import BenchEnvironment, Deadline, log
from bench.scenarios.patient_search import Sample

#: Counted after seeding; printed by ``manage.py shell`` as one JSON line.
_COUNT_DATA = """
import json
from django.contrib.auth import get_user_model
from clinicflow.accounts.models import Membership
from clinicflow.core.models import Clinic
print(json.dumps({
    "clinics": Clinic.objects.count(),
    "users": get_user_model().objects.count(),
    "memberships": Membership.objects.count(),
}))
"""


#: generate_staff's accounts per role (the mixed writers' receptionists, nurses, doctors and
#: pharmacists), and generate_workday's work per kind (more than any run gets through).
STAFF_PER_ROLE = 20
WORKDAY = {
    "bookings": 2000,
    "check-ins": 2000,
    "vitals": 2000,
    "signings": 1000,
    "dispensings": 1500,
}


def generate_staff(bench: BenchEnvironment, deadline: Deadline) -> None:
    log(f"generating the mixed writers' staff in {PATIENT_CLINIC}")
    bench.manage(
        "generate_staff", "--clinic", PATIENT_CLINIC, "--per-role", str(STAFF_PER_ROLE),
        "--force", deadline=deadline, capture=True,
    )  # fmt: skip


def generate_workday(bench: BenchEnvironment, deadline: Deadline, signers: int) -> dict[str, Any]:
    """A fresh day of work for one mixed-writers run (``generate_workday --manifest``): its
    manifest, with the command's seconds."""
    log(f"generating a workday in {PATIENT_CLINIC}")
    manifest = bench.var_dir / "workday.json"
    started = time.monotonic()
    counts = [arg for kind, n in WORKDAY.items() for arg in (f"--{kind}", str(n))]
    output = bench.manage(
        "generate_workday", "--clinic", PATIENT_CLINIC, *counts, "--signers", str(signers),
        "--manifest", str(manifest), "--force", deadline=deadline, capture=True,
    )  # fmt: skip
    log(f"  {output.strip().splitlines()[-1] if output.strip() else ''}")
    work: dict[str, Any] = json.loads(manifest.read_text())
    work["generate_s"] = round(time.monotonic() - started, 1)
    return work


def recreate_database(bench: BenchEnvironment) -> str:
    """Drop and create the bench database; return the server's version."""
    with psycopg.connect(bench.admin_database_url, autocommit=True, connect_timeout=10) as conn:
        name = sql.Identifier(bench.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]).split()[0] if row else "unknown"


def flush_redis(bench: BenchEnvironment) -> str:
    """Empty the bench's Redis index (cache, cached sessions, channel layer); return the
    server's version."""
    client = redis.Redis.from_url(bench.redis_url, socket_timeout=10)
    try:
        client.flushdb()
        info: dict[str, Any] = client.info("server")  # type: ignore[assignment]
        return str(info.get("redis_version", "unknown"))
    finally:
        client.close()


def collectstatic(bench: BenchEnvironment, deadline: Deadline) -> None:
    """Production renders pages through the static files manifest: collect it into the bench's
    var directory."""
    bench.manage("collectstatic", "--no-input", "-v", "0", deadline=deadline)


#: The demo clinic the generated patients belong to, and the seed that makes them.
PATIENT_CLINIC = "KTM"
PATIENT_SEED = 1
#: Rows sampled after generation to make the search scenario's queries from.
PATIENT_SAMPLES = 2000
_RATE = re.compile(r"written in ([\d.]+) s(?:, (?:VACUUM )?ANALYZE ([\d.]+) s)?")


def generate_patients(bench: BenchEnvironment, deadline: Deadline, count: int) -> dict[str, Any]:
    """``manage.py generate_patients`` into the demo clinic, timed (the whole command: start-up,
    COPY, VACUUM ANALYZE); then the table's size and a random sample of its rows."""
    log(f"generating {count} patients in {PATIENT_CLINIC}")
    started = time.monotonic()
    output = bench.manage(
        "generate_patients",
        "--clinic",
        PATIENT_CLINIC,
        "--count",
        str(count),
        "--seed",
        str(PATIENT_SEED),
        "--force",
        deadline=deadline,
        capture=True,
    )
    seconds = time.monotonic() - started
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    log(f"  {summary}")
    rate = _RATE.search(summary)
    with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
        sizes = conn.execute(
            "SELECT count(*), pg_total_relation_size('patients_patient'), "
            "pg_relation_size('patients_patient'), pg_indexes_size('patients_patient') "
            "FROM patients_patient"
        ).fetchone()
        assert sizes is not None
        rows, total, heap, indexes = sizes
        last = conn.execute(
            "SELECT max(p.mrn_seq) FROM patients_patient p JOIN core_clinic c "
            "ON c.id = p.clinic_id WHERE c.code = %s",
            (PATIENT_CLINIC,),
        ).fetchone()
        wanted = random.Random(PATIENT_SEED).sample(
            range(1, int(last[0] if last and last[0] else 0) + 1),
            k=min(PATIENT_SAMPLES, count),
        )
        samples = [
            Sample(*row)
            for row in conn.execute(
                "SELECT p.given_name, p.family_name, p.phone, p.mrn, p.mrn_seq "
                "FROM patients_patient p JOIN core_clinic c ON c.id = p.clinic_id "
                "WHERE c.code = %s AND p.is_active AND p.mrn_seq = ANY(%s) ORDER BY p.mrn_seq",
                (PATIENT_CLINIC, wanted),
            )
        ]
    mb = 1024 * 1024
    return {
        "samples": samples,
        "data": {
            "clinic": PATIENT_CLINIC,
            "generated": count,
            "patients_in_table": rows,
            "generate_s": round(seconds, 1),
            "rows_per_s": round(count / seconds),
            "written_s": float(rate.group(1)) if rate else None,
            "vacuum_analyze_s": float(rate.group(2)) if rate and rate.group(2) else None,
            "table_total_mb": round(total / mb, 1),
            "table_heap_mb": round(heap / mb, 1),
            "table_indexes_mb": round(indexes / mb, 1),
            "samples": len(samples),
        },
    }


#: Patients generated for the scheduling and dispensing scenarios when patient_search does
#: not run.
SCHEDULING_PATIENTS = 100_000
#: The doctor whose next days the booking race competes for, and the race's own patients.
RACE_DOCTOR = "doc002"
RACE_PATIENTS = 400
RACE_WINDOW_DAYS = 30
_APPOINTMENT_RATE = re.compile(r"written in ([\d.]+) s(?:, (?:VACUUM )?ANALYZE ([\d.]+) s)?")


def generate_appointments(
    bench: BenchEnvironment, deadline: Deadline, count: int
) -> dict[str, Any]:
    """``manage.py generate_appointments`` into the demo clinic, timed; then the table's size,
    the clinic's doctors and patients free over the race's window (for ``booking_race``)."""
    log(f"generating {count} appointments in {PATIENT_CLINIC}")
    started = time.monotonic()
    output = bench.manage(
        "generate_appointments",
        "--clinic",
        PATIENT_CLINIC,
        "--count",
        str(count),
        "--seed",
        str(PATIENT_SEED),
        "--keep-free",
        RACE_DOCTOR,
        "--force",
        deadline=deadline,
        capture=True,
    )
    seconds = time.monotonic() - started
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    log(f"  {summary}")
    rate = _APPOINTMENT_RATE.search(summary)
    active = "('requested', 'booked', 'checked_in', 'in_consultation')"
    with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
        sizes = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE status IN " + active + "), "
            "min(starts_at), max(starts_at), pg_total_relation_size('scheduling_appointment'), "
            "pg_relation_size('scheduling_appointment'), "
            "pg_indexes_size('scheduling_appointment') FROM scheduling_appointment"
        ).fetchone()
        assert sizes is not None
        rows, active_rows, first, last, total, heap, indexes = sizes
        by_status: dict[str, int] = dict(
            conn.execute(
                "SELECT status, count(*) FROM scheduling_appointment GROUP BY status ORDER BY 1"
            ).fetchall()
        )
        doctors: dict[str, int] = dict(
            conn.execute(
                "SELECT u.username, p.id FROM scheduling_practitioner p "
                "JOIN accounts_user u ON u.id = p.user_id JOIN core_clinic c "
                "ON c.id = p.clinic_id WHERE c.code = %s AND p.is_active ORDER BY u.username",
                (PATIENT_CLINIC,),
            ).fetchall()
        )
        # Patients with no active appointment in the race's window: the race's bookings are
        # then refused only because the slot is taken, never for the patient's own clash.
        race_patients = [
            str(row[0])
            for row in conn.execute(
                "SELECT p.id FROM patients_patient p JOIN core_clinic c ON c.id = p.clinic_id "
                "WHERE c.code = %s AND p.is_active AND NOT EXISTS (SELECT 1 FROM "
                "scheduling_appointment a WHERE a.patient_id = p.id AND a.status IN "
                + active
                + " AND a.ends_at > now() AND a.starts_at < now() + make_interval(days => %s)) "
                "ORDER BY p.mrn_seq DESC LIMIT %s",
                (PATIENT_CLINIC, RACE_WINDOW_DAYS, RACE_PATIENTS),
            )
        ]
    mb = 1024 * 1024
    return {
        "doctors": doctors,
        "race_doctor": RACE_DOCTOR,
        "race_patients": race_patients,
        "data": {
            "clinic": PATIENT_CLINIC,
            "generated": count,
            "appointments_in_table": rows,
            "active_appointments": active_rows,
            "by_status": by_status,
            "first_starts_at": first.isoformat() if first else None,
            "last_starts_at": last.isoformat() if last else None,
            "doctors": len(doctors),
            "generate_s": round(seconds, 1),
            "rows_per_s": round(count / seconds),
            "written_s": float(rate.group(1)) if rate else None,
            "vacuum_analyze_s": float(rate.group(2)) if rate and rate.group(2) else None,
            "table_total_mb": round(total / mb, 1),
            "table_heap_mb": round(heap / mb, 1),
            "table_indexes_mb": round(indexes / mb, 1),
        },
    }


@dataclass(frozen=True)
class StockSizes:
    """What ``generate_stock`` makes for the dispensing scenario."""

    medicines: int
    batches: int
    prescriptions: int
    pharmacists: int = 20
    hot: int = 50


_STOCK_COUNTS = """
SELECT
    (SELECT count(*) FROM pharmacy_medicine WHERE clinic_id = c.id),
    (SELECT count(*) FROM pharmacy_stockbatch WHERE clinic_id = c.id),
    (SELECT count(*) FROM pharmacy_stockbatch WHERE clinic_id = c.id
        AND expiry_date <= (now() AT TIME ZONE c.timezone)::date),
    (SELECT coalesce(sum(on_hand), 0) FROM pharmacy_stockbatch WHERE clinic_id = c.id
        AND expiry_date > (now() AT TIME ZONE c.timezone)::date),
    (SELECT count(*) FROM pharmacy_stockmovement WHERE clinic_id = c.id),
    (SELECT count(*) FROM pharmacy_goodsreceipt WHERE clinic_id = c.id),
    (SELECT count(*) FROM clinical_prescriptionitem WHERE clinic_id = c.id),
    pg_total_relation_size('pharmacy_stockbatch') + pg_total_relation_size('pharmacy_stockmovement')
FROM core_clinic c WHERE c.code = %s
"""
#: The reviewed prescriptions waiting, oldest first, with their items: what the pharmacists do.
_WORK = """
SELECT p.id::text, array_agg(i.id ORDER BY i.id)
FROM clinical_prescription p
JOIN core_clinic c ON c.id = p.clinic_id
JOIN clinical_prescriptionitem i ON i.prescription_id = p.id AND i.status = 'active'
WHERE c.code = %s AND p.status = 'issued'
    AND EXISTS (SELECT 1 FROM pharmacy_review r WHERE r.prescription_id = p.id)
GROUP BY p.id, p.issued_at
ORDER BY p.issued_at, p.id
"""


def generate_stock(
    bench: BenchEnvironment, deadline: Deadline, sizes: StockSizes
) -> dict[str, Any]:
    """``manage.py generate_stock`` into the demo clinic, timed; then what it made, counted,
    and the prescriptions to dispense (for ``dispensing``)."""
    log(
        f"generating {sizes.medicines} medicines, {sizes.batches} batches and "
        f"{sizes.prescriptions} prescriptions in {PATIENT_CLINIC}"
    )
    started = time.monotonic()
    output = bench.manage(
        "generate_stock", "--clinic", PATIENT_CLINIC, "--medicines", str(sizes.medicines),
        "--batches", str(sizes.batches), "--prescriptions", str(sizes.prescriptions),
        "--pharmacists", str(sizes.pharmacists), "--hot", str(sizes.hot),
        "--seed", str(PATIENT_SEED), "--force",
        deadline=deadline, capture=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    log(f"  {summary}")
    rate = _RATE.search(summary)
    with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
        counts = conn.execute(_STOCK_COUNTS, (PATIENT_CLINIC,)).fetchone()
        work = [(pid, list(items)) for pid, items in conn.execute(_WORK, (PATIENT_CLINIC,))]
    assert counts is not None
    medicines, batches, expired, usable, movements, receipts, items, size = counts
    return {
        "work": work,
        "data": {
            "clinic": PATIENT_CLINIC,
            "medicines": medicines,
            "hot_medicines": sizes.hot,
            "batches": batches,
            "expired_batches": expired,
            "usable_units": float(usable),
            "ledger_rows": movements,
            "goods_receipts": receipts,
            "prescriptions_to_dispense": len(work),
            "prescription_items": items,
            "pharmacists": sizes.pharmacists,
            "generate_s": round(seconds, 1),
            "written_s": float(rate.group(1)) if rate else None,
            "vacuum_analyze_s": float(rate.group(2)) if rate and rate.group(2) else None,
            "stock_tables_mb": round(size / (1024 * 1024), 1),
        },
    }


#: What ``generate_billing`` makes besides the invoices: days of history and cashiers (the
#: counter's benchcashier01…10 and the shift closers' 11…20).
BILLING_DAYS = 365
BILLING_CASHIERS = 20
#: A million invoices take about ten minutes on a busy 2-core machine (other commands: 180 s).
BILLING_LIMIT_S = 1800.0
_BILLING_COUNTS = """
SELECT
    (SELECT count(*) FROM billing_invoice WHERE clinic_id = c.id),
    (SELECT count(*) FROM billing_invoiceline WHERE clinic_id = c.id),
    (SELECT count(*) FROM billing_charge WHERE clinic_id = c.id),
    (SELECT count(*) FROM billing_payment WHERE clinic_id = c.id),
    (SELECT count(*) FROM billing_tender WHERE clinic_id = c.id),
    (SELECT count(*) FROM billing_ledgerentry WHERE clinic_id = c.id),
    (SELECT count(*) FROM billing_shift WHERE clinic_id = c.id),
    (SELECT count(*) FROM billing_invoice WHERE clinic_id = c.id AND paid = 0),
    (SELECT count(*) FROM billing_invoice WHERE clinic_id = c.id AND paid > 0 AND paid < total),
    (SELECT count(*) FROM billing_payment p WHERE clinic_id = c.id
        AND (SELECT count(*) FROM billing_tender t WHERE t.payment_id = p.id) > 1),
    (SELECT count(*) FROM billing_ledgerentry WHERE clinic_id = c.id AND cash <> 0
        AND at >= (date_trunc('day', now() AT TIME ZONE c.timezone) AT TIME ZONE c.timezone)),
    (SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest(ARRAY['billing_invoice',
        'billing_invoiceline', 'billing_charge', 'billing_payment', 'billing_tender',
        'billing_ledgerentry', 'billing_shift']) AS t)
FROM core_clinic c WHERE c.code = %s
"""
_BILLING_SAMPLE = """
SELECT p.id::text FROM patients_patient p JOIN core_clinic c ON c.id = p.clinic_id
WHERE c.code = %s AND p.is_active ORDER BY p.mrn_seq LIMIT 5000
"""
_BILLING_ITEMS = """
SELECT i.id FROM billing_priceitem i JOIN core_clinic c ON c.id = i.clinic_id
WHERE c.code = %s AND i.code LIKE 'GEN-%%' AND i.is_manual AND i.is_active ORDER BY i.id
"""


def billing_data(bench: BenchEnvironment) -> dict[str, Any]:
    """What the billing tables hold, and the patients and services the counter uses."""
    with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
        counts = conn.execute(_BILLING_COUNTS, (PATIENT_CLINIC,)).fetchone()
        patients = [row[0] for row in conn.execute(_BILLING_SAMPLE, (PATIENT_CLINIC,))]
        items = [row[0] for row in conn.execute(_BILLING_ITEMS, (PATIENT_CLINIC,))]
    assert counts is not None
    names = (
        "invoices", "invoice_lines", "charges", "payments", "tenders", "ledger_rows", "shifts",
        "invoices_unpaid", "invoices_part_paid", "payments_split", "cash_ledger_rows_today",
    )  # fmt: skip
    data: dict[str, Any] = dict(zip(names, counts[:-1], strict=True))
    data["billing_tables_mb"] = round(float(counts[-1] or 0) / (1024 * 1024), 1)
    return {"patients": patients, "items": items, "data": data}


def generate_billing(bench: BenchEnvironment, deadline: Deadline, invoices: int) -> dict[str, Any]:
    """``manage.py generate_billing`` into the demo clinic, timed; then what it made, counted,
    with the patients and services the billing scenarios use."""
    log(f"generating {invoices} invoices in {PATIENT_CLINIC}")
    started = time.monotonic()
    output = bench.manage(
        "generate_billing", "--clinic", PATIENT_CLINIC, "--invoices", str(invoices),
        "--days", str(BILLING_DAYS), "--cashiers", str(BILLING_CASHIERS),
        "--seed", str(PATIENT_SEED), "--force", deadline=deadline, capture=True,
        limit_s=BILLING_LIMIT_S,
    )  # fmt: skip
    seconds = time.monotonic() - started
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    log(f"  {summary}")
    rate = _RATE.search(summary)
    found = billing_data(bench)
    found["data"].update(
        generate_s=round(seconds, 1),
        written_s=float(rate.group(1)) if rate else None,
        vacuum_analyze_s=float(rate.group(2)) if rate and rate.group(2) else None,
        days=BILLING_DAYS,
        cashiers=BILLING_CASHIERS,
    )
    return found


def reuse(
    bench: BenchEnvironment,
    deadline: Deadline,
    billing: bool = True,
    lab: bool = False,
    portal: bool = False,
) -> dict[str, Any]:
    """The bench database as an earlier run left it (``--reuse-database``: the billing
    scenarios, or ``lab_results`` or ``portal``, which only read): migrated, static files
    collected again, Redis flushed, nothing generated; what the asked-for scenarios use is read
    back."""
    log(f"reusing database {bench.database}")
    with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    redis_version = flush_redis(bench)
    bench.manage("migrate", "--no-input", "-v", "0", deadline=deadline)
    collectstatic(bench, deadline)
    output = bench.manage("shell", "-c", _COUNT_DATA, deadline=deadline, capture=True)
    data = json.loads(output.strip().splitlines()[-1])
    found = billing_data(bench) if billing else None
    if found:
        data["billing_generation"] = {**found["data"], "reused": True}
    history = lab_data(bench) if lab else None
    if history:
        data["lab_generation"] = {**history["data"], "reused": True}
    histories = portal_data(bench) if portal else None
    if histories:
        data["portal_generation"] = {**histories["data"], "reused": True}
    return {
        "postgres": str(row[0]).split()[0] if row else "unknown",
        "redis": redis_version,
        "data": data,
        "patients": None,
        "scheduling": None,
        "pharmacy": None,
        "billing": found,
        "lab": history,
        "portal": histories,
    }


def prepare(
    bench: BenchEnvironment,
    deadline: Deadline,
    patients: int = 0,
    appointments: int = 0,
    stock: StockSizes | None = None,
    staff: bool = False,
    invoices: int = 0,
    lab_results: int = 0,
    portal: bool = False,
) -> dict[str, Any]:
    """Everything the server needs before it starts; returns versions and data counts (and,
    with ``patients``, generates that many patients and samples them; with ``appointments``,
    that many appointments; with ``stock``, a pharmacy's stock and prescriptions; the last two
    over :data:`SCHEDULING_PATIENTS` patients when no ``patients``; with ``invoices``, a
    billing history of that many invoices; with ``lab_results``, a lab history of that many
    results over :data:`LAB_PATIENTS` patients; with ``portal``, the portal accounts' long
    histories over :data:`SCHEDULING_PATIENTS` patients)."""
    log(f"recreating database {bench.database}")
    postgres = recreate_database(bench)
    redis_version = flush_redis(bench)
    log("migrating")
    bench.manage("migrate", "--no-input", "-v", "0", deadline=deadline)
    # Production serves static files through a manifest; pages cannot render without it.
    log("collecting static files")
    collectstatic(bench, deadline)
    log("seeding the demo")
    bench.manage("seed_demo", "--force", "--quiet-logins", deadline=deadline)
    output = bench.manage("shell", "-c", _COUNT_DATA, deadline=deadline, capture=True)
    data = json.loads(output.strip().splitlines()[-1])
    generated = generate_patients(bench, deadline, patients) if patients else None
    if generated:
        data["patients"] = generated["data"]["patients_in_table"]
        data["patient_generation"] = generated["data"]
    scheduling = None
    if lab_results and not generated:
        generated = generate_patients(bench, deadline, LAB_PATIENTS)
        data["patients"] = generated["data"]["patients_in_table"]
        data["patient_generation"] = generated["data"]
    if (appointments or stock or invoices or portal) and not generated:
        log(f"generating {SCHEDULING_PATIENTS} patients in {PATIENT_CLINIC}")
        bench.manage(
            "generate_patients", "--clinic", PATIENT_CLINIC, "--count",
            str(SCHEDULING_PATIENTS), "--seed", str(PATIENT_SEED), "--force",
            deadline=deadline, capture=True,
        )  # fmt: skip
        data["patients"] = SCHEDULING_PATIENTS
    if appointments:
        scheduling = generate_appointments(bench, deadline, appointments)
        data["appointments"] = scheduling["data"]["appointments_in_table"]
        data["appointment_generation"] = scheduling["data"]
    pharmacy = generate_stock(bench, deadline, stock) if stock else None
    if pharmacy:
        data["stock_generation"] = pharmacy["data"]
    if staff:
        generate_staff(bench, deadline)
        data["mixed_writers_staff_per_role"] = STAFF_PER_ROLE
    billing = generate_billing(bench, deadline, invoices) if invoices else None
    if billing:
        data["billing_generation"] = billing["data"]
    lab = generate_lab(bench, deadline, lab_results) if lab_results else None
    if lab:
        data["lab_generation"] = lab["data"]
    histories = generate_portal(bench, deadline) if portal else None
    if histories:
        data["portal_generation"] = histories["data"]
    return {
        "billing": billing,
        "lab": lab,
        "portal": histories,
        "postgres": postgres,
        "redis": redis_version,
        "data": data,
        "patients": generated,
        "scheduling": scheduling,
        "pharmacy": pharmacy,
    }


#: What ``generate_lab`` makes: stored results (over 200,000 patients), patients with ten
#: years of monthly results, and received tests for lab_entry (more than a run enters).
LAB_PATIENTS = 200_000
LAB_HISTORY_PATIENTS = 50
LAB_WORKLIST = 8000
#: Five million results take about three minutes to write on a busy 2-core machine.
LAB_LIMIT_S = 1800.0
_LAB_COUNTS = """
SELECT
    (SELECT count(*) FROM lab_result r JOIN core_clinic c ON c.id = r.clinic_id WHERE c.code = %s),
    (SELECT count(*) FROM lab_laborder o JOIN core_clinic c ON c.id = o.clinic_id
        WHERE c.code = %s),
    (SELECT count(*) FROM patients_patient p JOIN core_clinic c ON c.id = p.clinic_id
        WHERE c.code = %s),
    (SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest(ARRAY['lab_result',
        'lab_laborder', 'lab_orderedtest', 'lab_sample']) AS t)
"""
_LAB_WORKLIST = """
SELECT t.id FROM lab_orderedtest t JOIN lab_labtest l ON l.id = t.test_id
WHERE l.code = 'GEN-P20' AND t.status = 'received' ORDER BY t.id
"""
_LAB_PARAMETERS = """
SELECT p.id, p.code, r.low, r.high FROM lab_parameter p JOIN lab_labtest l ON l.id = p.test_id
JOIN lab_referencerange r ON r.parameter_id = p.id WHERE l.code = 'GEN-P20' ORDER BY p.order
"""
_LAB_HISTORY = """
SELECT o.patient_id::text FROM lab_laborder o JOIN lab_orderedtest t ON t.order_id = o.id
WHERE t.status = 'verified' GROUP BY o.patient_id ORDER BY count(*) DESC LIMIT %s
"""


def generate_lab(bench: BenchEnvironment, deadline: Deadline, results: int) -> dict[str, Any]:
    """``manage.py generate_lab`` into the demo clinic, timed; then what the lab scenarios use:
    the worklist, the generated parameters with a normal value each, the long-history
    patients and the sizes."""
    log(f"generating {results} lab results in {PATIENT_CLINIC}")
    started = time.monotonic()
    output = bench.manage(
        "generate_lab", "--clinic", PATIENT_CLINIC, "--results", str(results),
        "--history-patients", str(LAB_HISTORY_PATIENTS), "--worklist", str(LAB_WORKLIST),
        "--seed", str(PATIENT_SEED), "--force", deadline=deadline, capture=True,
        limit_s=LAB_LIMIT_S,
    )  # fmt: skip
    seconds = time.monotonic() - started
    log(f"  {output.strip().splitlines()[-1] if output.strip() else ''}")
    found = lab_data(bench)
    found["data"]["generate_s"] = round(seconds, 1)
    return found


def lab_data(bench: BenchEnvironment) -> dict[str, Any]:
    """What the lab scenarios use of a generated history: the worklist, the generated
    parameters with a normal value each, the long-history patients and the sizes."""
    with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
        counts = conn.execute(_LAB_COUNTS, (PATIENT_CLINIC,) * 3).fetchone()
        worklist = [row[0] for row in conn.execute(_LAB_WORKLIST)]
        parameters = list(conn.execute(_LAB_PARAMETERS))
        history = [row[0] for row in conn.execute(_LAB_HISTORY, (LAB_HISTORY_PATIENTS,))]
    assert counts is not None
    return {
        "worklist": worklist,
        "parameters": [(pk, str((low + high) / 2)) for pk, _code, low, high in parameters],
        "codes": [code for _pk, code, _low, _high in parameters],
        "history_patients": history,
        "data": {
            "results": counts[0],
            "orders": counts[1],
            "patients": counts[2],
            "history_patients": len(history),
            "history_years": 10,
            "worklist": len(worklist),
            "lab_tables_mb": round(float(counts[3] or 0) / (1024 * 1024), 1),
        },
    }


#: What ``generate_portal_history`` makes for the portal scenario: accounts (each its own
#: record's), and each record's years, visits, released lab results and invoices.
PORTAL_ACCOUNTS = 50
PORTAL_YEARS = 10
PORTAL_VISITS = 200
PORTAL_RESULTS = 1000
PORTAL_INVOICES = 20
_PORTAL_COUNTS = """
WITH mine AS (
    SELECT l.patient_id FROM portal_patientlink l JOIN accounts_user u ON u.id = l.user_id
    WHERE u.username LIKE 'benchportal%%' AND l.removed_at IS NULL
)
SELECT
    (SELECT count(*) FROM mine),
    (SELECT count(*) FROM clinical_encounter WHERE patient_id IN (SELECT patient_id FROM mine)),
    (SELECT count(*) FROM clinical_diagnosis d JOIN clinical_encounter e ON e.id = d.encounter_id
        WHERE e.patient_id IN (SELECT patient_id FROM mine)),
    (SELECT count(*) FROM frontdesk_observation
        WHERE patient_id IN (SELECT patient_id FROM mine)),
    (SELECT count(*) FROM clinical_prescription
        WHERE patient_id IN (SELECT patient_id FROM mine)),
    (SELECT count(*) FROM lab_result WHERE patient_id IN (SELECT patient_id FROM mine)
        AND status = 'verified'),
    (SELECT count(*) FROM lab_laborder WHERE patient_id IN (SELECT patient_id FROM mine)),
    (SELECT count(*) FROM billing_invoice WHERE patient_id IN (SELECT patient_id FROM mine)),
    (SELECT count(*) FROM billing_payment WHERE patient_id IN (SELECT patient_id FROM mine)),
    (SELECT count(*) FROM scheduling_appointment
        WHERE patient_id IN (SELECT patient_id FROM mine) AND starts_at < now()),
    (SELECT count(*) FROM scheduling_appointment
        WHERE patient_id IN (SELECT patient_id FROM mine) AND starts_at >= now()),
    (SELECT count(*) FROM patients_patient)
"""


def generate_portal(bench: BenchEnvironment, deadline: Deadline) -> dict[str, Any]:
    """``manage.py generate_portal_history`` into the demo clinic, timed; then what it made,
    counted (the portal scenario's data size)."""
    log(f"generating {PORTAL_ACCOUNTS} portal accounts' history in {PATIENT_CLINIC}")
    started = time.monotonic()
    output = bench.manage(
        "generate_portal_history", "--clinic", PATIENT_CLINIC,
        "--patients", str(PORTAL_ACCOUNTS), "--years", str(PORTAL_YEARS),
        "--visits", str(PORTAL_VISITS), "--results", str(PORTAL_RESULTS),
        "--invoices", str(PORTAL_INVOICES), "--seed", str(PATIENT_SEED), "--force",
        deadline=deadline, capture=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    log(f"  {summary}")
    rate = _RATE.search(summary)
    found = portal_data(bench)
    found["data"].update(
        generate_s=round(seconds, 1),
        written_s=float(rate.group(1)) if rate else None,
        vacuum_analyze_s=float(rate.group(2)) if rate and rate.group(2) else None,
    )
    return found


def portal_data(bench: BenchEnvironment) -> dict[str, Any]:
    """What the generated portal accounts' records hold (the portal scenario's data size)."""
    with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
        counts = conn.execute(_PORTAL_COUNTS).fetchone()
    assert counts is not None
    names = (
        "accounts", "visits", "diagnoses", "vital_signs", "prescriptions",
        "lab_results_released", "lab_orders", "invoices", "payments",
        "appointments_past", "appointments_coming", "patients_in_clinic_tables",
    )  # fmt: skip
    data: dict[str, Any] = dict(zip(names, counts, strict=True))
    accounts = max(int(data["accounts"]), 1)
    data.update(
        per_account={
            key: round(int(data[key]) / accounts, 1)
            for key in ("visits", "lab_results_released", "invoices", "appointments_coming")
        },
        years=PORTAL_YEARS,
    )
    return {"accounts": int(data["accounts"]), "data": data}


def clinic_id(bench: BenchEnvironment, code: str = PATIENT_CLINIC) -> str:
    """The demo clinic's id (what the registration form's clinic field takes)."""
    with psycopg.connect(bench.database_url, connect_timeout=10) as conn:
        row = conn.execute("SELECT id::text FROM core_clinic WHERE code = %s", (code,)).fetchone()
    if row is None:
        raise RuntimeError(f"no clinic {code}")
    return str(row[0])
