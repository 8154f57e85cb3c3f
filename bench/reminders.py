"""The reminder sweep and the outbox's delivery at scale, in worker processes: printed as JSON.

    DATABASE_URL=postgres://… DEBUG=0 .venv/bin/python bench/reminders.py \\
        --appointments 100000 --clinics 50 --workers 2

Needs ``seed_demo``. With ``--clinics 1`` the appointments are booked at ``--clinic`` (KTM),
which needs ``generate_patients`` first; with more, bench clinics ``RB01``… are created as
needed and given patients (``generate_patients``). In each clinic, doctors (``rem<run>-NNN``,
72 ten-minute slots each from 08:00 tomorrow) get one appointment per slot for a different
patient with a phone, as if booked three days ago; bench databases only.

Then, as after a downtime, every first reminder of tomorrow is due at once (the worst case:
beat runs every five minutes and meets a few at a time), and ``--workers`` processes sweep the
clinics as Celery's workers take the beat's per-clinic tasks (``scheduling.send_clinic_reminders``):
the wall time for all, and the CPU per reminder in the workers (PostgreSQL's own time is in
the wall time only). Then two sweeps at once, as from two beat instances by mistake, each
clinic's task twice at the same moment: they must add nothing. Then the reminders are undone
and the racing sweep runs from scratch: each reminder once. Last, worker processes deliver
``--deliver`` messages of the outbox each through the Sparrow gateway's loopback stand-in
(``SKIP LOCKED``), first one process then ``--workers`` at once: messages per second per
process, and the check that the gateway got each SMS once.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import multiprocessing
import os
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")

SLOTS_PER_DOCTOR = 72  # 08:00–20:00 every ten minutes
EVENT = "appointment.reminder"


def first_start(clinic: Any) -> datetime:
    """Tomorrow 08:00 at the clinic: the first slot booked."""
    tomorrow = clinic.local_date() + timedelta(days=1)
    return datetime.combine(tomorrow, datetime.min.time(), tzinfo=clinic.zone) + timedelta(hours=8)


def free_patients(clinic: Any) -> Any:
    """The clinic's patients with a phone and no appointment tomorrow yet."""
    from clinicflow.patients.models import Patient
    from clinicflow.scheduling.models import ACTIVE_STATUSES, Appointment

    busy = Appointment.objects.for_clinic(clinic).filter(
        status__in=ACTIVE_STATUSES, starts_at__gte=first_start(clinic) - timedelta(hours=1)
    )
    return (
        Patient.objects.for_clinic(clinic)
        .filter(is_active=True)
        .exclude(phone="")
        .exclude(pk__in=busy.values("patient_id"))
    )


def bench_clinics(count: int, home: str, patients_each: int) -> list[Any]:
    """The clinics to book in: ``home`` alone, or ``RB01``… (created, and given free patients
    with a phone, as needed)."""
    from django.core.management import call_command

    from clinicflow.core.models import Clinic
    from clinicflow.core.services import create_clinic
    from clinicflow.scheduling.models import Appointment, AppointmentStatus

    if count == 1:
        return [Clinic.objects.get(code=home)]
    clinics = []
    for n in range(1, count + 1):
        code = f"RB{n:02d}"
        clinic = Clinic.objects.filter(code=code).first() or create_clinic(
            code=code, name=f"Reminder bench clinic {n}", phone="+9771400000"
        )
        # An earlier run's appointments tomorrow are taken off the day (bench clinics only).
        Appointment.objects.for_clinic(clinic).filter(
            status=AppointmentStatus.BOOKED, starts_at__gte=first_start(clinic)
        ).update(status=AppointmentStatus.CANCELLED, status_reason="Reminder bench: a new run")
        have = free_patients(clinic).count()
        if have < patients_each:  # about one in ten generated patients has no phone
            wanted = math.ceil((patients_each - have) * 1.2) + 20
            call_command(
                "generate_patients", clinic=code, count=wanted, force=True, stdout=io.StringIO()
            )
        clinics.append(clinic)
    return clinics


def book_tomorrow(clinic: Any, appointments: int, run: str) -> datetime:
    """Doctors and their full day tomorrow, booked three days ago; the first start."""
    from django.db import connection, transaction

    from clinicflow.accounts.models import User
    from clinicflow.scheduling.models import (
        Appointment,
        AppointmentStatus,
        Practitioner,
        Specialization,
    )

    doctors = math.ceil(appointments / SLOTS_PER_DOCTOR)
    first = first_start(clinic)
    patients = list(
        free_patients(clinic).order_by("mrn_seq").values_list("pk", flat=True)[:appointments]
    )
    if len(patients) < appointments:
        raise SystemExit(f"{clinic.code}: only {len(patients)} free patients with a phone")
    speciality, _new = Specialization.objects.for_clinic(clinic).get_or_create(
        clinic=clinic, name="General Physician"
    )
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(
                username=f"rem{run}-{clinic.code.lower()}-{i:03d}",
                first_name="Reminder",
                last_name=f"Doctor {i}",
            )
            for i in range(doctors)
        )
        practitioners = Practitioner.objects.bulk_create(
            Practitioner(clinic=clinic, user=user, specialization=speciality) for user in users
        )
        rows = [
            Appointment(
                clinic=clinic,
                patient_id=patient,
                practitioner=practitioners[n // SLOTS_PER_DOCTOR],
                starts_at=first + timedelta(minutes=10 * (n % SLOTS_PER_DOCTOR)),
                ends_at=first + timedelta(minutes=10 * (n % SLOTS_PER_DOCTOR) + 10),
                status=AppointmentStatus.BOOKED,
            )
            for n, patient in enumerate(patients)
        ]
        Appointment.objects.bulk_create(rows, batch_size=2000)
        with connection.cursor() as cursor:  # booked three days ago, not by this script
            cursor.execute(
                "UPDATE scheduling_appointment SET created_at = %s WHERE practitioner_id = ANY(%s)",
                [first - timedelta(days=3), [p.pk for p in practitioners]],
            )
    return first


# ---------------------------------------------------------------- in the worker processes


def _sweep_clinic(job: tuple[Any, datetime]) -> tuple[int, float]:
    """One clinic's sweep, as a worker runs its task: reminders sent, CPU seconds."""
    from clinicflow.core.models import Clinic
    from clinicflow.scheduling import tasks

    clinic_id, moment = job
    cpu = time.process_time()
    sent = tasks.sweep_clinic(Clinic.objects.get(pk=clinic_id), now=moment)
    return sent, time.process_time() - cpu


def _deliver(limit: int) -> tuple[dict[str, int], float]:
    from clinicflow.notifications import outbox

    later = datetime.now().astimezone() + timedelta(days=2)  # past any quiet hours
    cpu = time.process_time()
    done = outbox.deliver_due(limit=limit, now=later)
    return dict(done), time.process_time() - cpu


def in_processes(workers: int, fn: Any, jobs: list[Any]) -> tuple[list[Any], float]:
    """``fn`` over ``jobs`` in ``workers`` forked processes (each with its own connection);
    the results and the wall time."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    with context.Pool(workers) as pool:
        results = pool.map(fn, jobs, chunksize=1)
    return results, time.perf_counter() - start


def sweep(workers: int, clinics: list[Any], moment: datetime, twice: bool = False) -> dict:
    jobs = [(c.pk, moment) for c in clinics for _n in range(2 if twice else 1)]
    results, wall = in_processes(workers, _sweep_clinic, jobs)
    sent = sum(n for n, _cpu in results)
    cpu = sum(c for _n, c in results)
    return {
        "sent": sent,
        "wall_s": round(wall, 2),
        "ms_per_reminder": round(1000 * wall / sent, 3) if sent else None,
        "worker_cpu_ms_per_reminder": round(1000 * cpu / sent, 3) if sent else None,
    }


def deliver(workers: int, each: int) -> dict:
    results, wall = in_processes(workers, _deliver, [each] * workers)
    outcomes: dict[str, int] = {}
    for done, _cpu in results:
        for status, n in done.items():
            outcomes[status] = outcomes.get(status, 0) + n
    delivered = sum(outcomes.values())
    return {
        "processes": workers,
        "delivered": delivered,
        "outcomes": outcomes,
        "wall_s": round(wall, 2),
        "per_s": round(delivered / wall, 1),
        "per_s_per_process": round(delivered / wall / workers, 1),
        "worker_cpu_ms_per_message": round(1000 * sum(c for _d, c in results) / delivered, 2)
        if delivered
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clinic", default="KTM", help="with --clinics 1")
    parser.add_argument("--clinics", type=int, default=1)
    parser.add_argument("--appointments", type=int, default=10_000, help="in all clinics")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--deliver", type=int, default=2_000, help="messages each delivering process sends"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from clinicflow.notifications.models import Message
    from clinicflow.notifications.sms.standin import GatewayStandin
    from clinicflow.scheduling.models import AppointmentReminder

    each = math.ceil(args.appointments / args.clinics)
    prepared = time.perf_counter()
    clinics = bench_clinics(args.clinics, args.clinic, each)
    run = uuid.uuid4().hex[:6]
    booked = 0
    for clinic in clinics:
        n = min(each, args.appointments - booked)
        first = book_tomorrow(clinic, n, run)
        booked += n
    prepared = time.perf_counter() - prepared
    # As after a downtime: 20:30 today, every first reminder of tomorrow is due.
    moment = first - timedelta(hours=11, minutes=30)
    ids = [c.pk for c in clinics]
    reminders = Message.objects.all_clinics().filter(clinic_id__in=ids, event=EVENT)
    reminders.delete()
    AppointmentReminder.objects.all_clinics().filter(clinic_id__in=ids).delete()

    first_sweep = sweep(args.workers, clinics, moment)
    queued = reminders.count()
    again = sweep(args.workers, clinics, moment, twice=True)
    queued_after = reminders.count()
    # From scratch again, with every clinic's task taken twice at the same moment.
    reminders.delete()
    AppointmentReminder.objects.all_clinics().filter(clinic_id__in=ids).delete()
    racing = sweep(args.workers, clinics, moment, twice=True)
    queued_racing = reminders.count()
    keys = reminders.values("key").distinct().count()

    with GatewayStandin("sparrow") as gateway:
        settings.SMS_BACKEND = "sparrow"
        settings.SMS_OPTIONS = {
            "token": "bench",
            "sender": "Clinic",
            "url": gateway.url("/v2/sms/"),
        }
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        one = deliver(1, args.deliver)
        several = deliver(args.workers, args.deliver)
        numbers = [r.form["to"] for r in gateway.requests]
        texts = {(r.form["to"], r.form["text"]) for r in gateway.requests}
    print(
        json.dumps(
            {
                "clinics": len(clinics),
                "appointments": booked,
                "prepare_s": round(prepared, 1),
                "workers": args.workers,
                "catch_up_sweep": first_sweep,
                "messages_queued": queued,
                "two_more_sweeps_at_once": again | {"messages_added": queued_after - queued},
                "racing_sweeps_from_scratch": racing
                | {"messages_queued": queued_racing, "distinct_keys": keys},
                "delivery_one_process": one,
                f"delivery_{args.workers}_processes": several,
                "gateway_requests": len(numbers),
                "gateway_duplicates": len(numbers) - len(texts),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
