"""The reminder sweep and the outbox's delivery at scale, in-process: printed as JSON.

    DATABASE_URL=postgres://… DEBUG=0 .venv/bin/python bench/reminders.py --appointments 10000

Needs ``seed_demo`` and ``generate_patients --clinic KTM`` (at least as many patients with a
phone as ``--appointments``). Adds doctors to KTM (``rem<run>-NNN``, 72 ten-minute slots each
from 08:00 tomorrow) and books one appointment per slot for a different patient, as if
booked three days ago; bench databases only.

Then, as after a downtime, one sweep finds every first reminder due at once (the worst case:
beat runs every five minutes and meets a few at a time): its wall and CPU time per reminder.
A second sweep at the same moment must send nothing (idempotent). Then ``--workers`` threads
deliver ``--deliver`` messages of the outbox through the Sparrow gateway's loopback stand-in at
the same time (``SKIP LOCKED``): messages per second, and the check that the gateway got each
SMS sent exactly once.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
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


def book_tomorrow(clinic: Any, appointments: int) -> tuple[int, datetime]:
    """Doctors and their full day tomorrow; how many doctors, and the first start."""
    from django.db import connection, transaction

    from clinicflow.accounts.models import User
    from clinicflow.patients.models import Patient
    from clinicflow.scheduling.models import (
        ACTIVE_STATUSES,
        Appointment,
        AppointmentStatus,
        Practitioner,
        Specialization,
    )

    run = uuid.uuid4().hex[:6]
    doctors = math.ceil(appointments / SLOTS_PER_DOCTOR)
    tomorrow = clinic.local_date() + timedelta(days=1)
    first = datetime.combine(tomorrow, datetime.min.time(), tzinfo=clinic.zone) + timedelta(hours=8)
    busy = Appointment.objects.for_clinic(clinic).filter(
        status__in=ACTIVE_STATUSES, starts_at__gte=first - timedelta(hours=1)
    )
    patients = list(
        Patient.objects.for_clinic(clinic)
        .filter(is_active=True)
        .exclude(phone="")
        .exclude(pk__in=busy.values("patient_id"))
        .order_by("mrn_seq")
        .values_list("pk", flat=True)[:appointments]
    )
    if len(patients) < appointments:
        raise SystemExit(f"only {len(patients)} free patients with a phone: generate more")
    speciality = Specialization.objects.first()
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(username=f"rem{run}-{i:03d}", first_name="Reminder", last_name=f"Doctor {i}")
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
    return doctors, first


def timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def deliver(workers: int, limit: int) -> tuple[dict[str, int], float]:
    from django.db import connection

    from clinicflow.notifications import outbox

    later = datetime.now().astimezone() + timedelta(days=2)  # past any quiet hours
    totals: dict[str, int] = {}
    lock = threading.Lock()

    def work() -> None:
        try:
            done = outbox.deliver_due(limit=limit // workers, now=later)
            with lock:
                for status, n in done.items():
                    totals[status] = totals.get(status, 0) + n
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _n in range(workers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return totals, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clinic", default="KTM")
    parser.add_argument("--appointments", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--deliver", type=int, default=10_000, help="messages the workers deliver (the rate)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    from clinicflow.core.models import Clinic
    from clinicflow.notifications.models import Message
    from clinicflow.notifications.sms.standin import GatewayStandin
    from clinicflow.scheduling import reminders

    clinic = Clinic.objects.get(code=args.clinic)
    doctors, first = book_tomorrow(clinic, args.appointments)
    # As after a downtime: 20:30 today, every first reminder of tomorrow is due.
    moment = first - timedelta(hours=11, minutes=30)
    Message.objects.for_clinic(clinic).filter(event="appointment.reminder").delete()
    mine = Message.objects.for_clinic(clinic).filter(event="appointment.reminder")
    sent, sweep_s, sweep_cpu = timed(lambda: reminders.send_reminders(clinic, now=moment))
    again, again_s, _cpu = timed(lambda: reminders.send_reminders(clinic, now=moment))
    queued = mine.filter(status="queued").count()
    with GatewayStandin("sparrow") as gateway:
        settings.SMS_BACKEND = "sparrow"
        settings.SMS_OPTIONS = {
            "token": "bench",
            "sender": "Clinic",
            "url": gateway.url("/v2/sms/"),
        }
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        outcomes, deliver_s = deliver(args.workers, args.deliver)
        numbers = [r.form["to"] for r in gateway.requests]
        texts = {(r.form["to"], r.form["text"]) for r in gateway.requests}
    delivered = sum(outcomes.values())
    sms_sent = mine.filter(channel="sms", status="sent").count()
    print(
        json.dumps(
            {
                "appointments": args.appointments,
                "doctors": doctors,
                "reminders_sent": sent,
                "catch_up_sweep_s": round(sweep_s, 2),
                "sweep_ms_per_reminder": round(1000 * sweep_s / max(sent, 1), 2),
                "sweep_cpu_ms_per_reminder": round(1000 * sweep_cpu / max(sent, 1), 2),
                "second_sweep_sent": again,
                "second_sweep_s": round(again_s, 2),
                "delivery_workers": args.workers,
                "messages_delivered": delivered,
                "outcomes": outcomes,
                "delivery_s": round(deliver_s, 2),
                "delivered_per_s": round(delivered / deliver_s, 1) if deliver_s else None,
                "messages_queued": queued,
                "sms_sent": sms_sent,
                "gateway_requests": len(numbers),
                "gateway_duplicates": len(numbers) - len(texts),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
