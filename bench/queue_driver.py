"""The front desk at full speed, for the ``queue_fanout`` scenario: real service calls against the
bench database, each its own transaction, each announced to the live screens once it commits
(``clinicflow.frontdesk.live`` through the Redis channel layer), exactly as the pages' own calls
are. Run with the bench's environment (``BenchEnvironment.variables()``)::

    python -m bench.queue_driver board            # prints {"board": <secret of KTM's board link>}
    python -m bench.queue_driver changes 10000    # prints {"seqs": [...], "seconds": ...}

A visit makes five changes, by the people who make them at a desk: the receptionist adds an
anonymous walk-in for one of the clinic's doctors (in turn) and sends them to vitals, then to
"ready"; the doctor calls the next patient in and finishes the visit. The run stops after
exactly ``count`` changes and prints the sequence numbers (``QueueChange`` keys) it made.
"""

from __future__ import annotations

import json
import sys
import time
from functools import partial
from typing import Any


def _setup() -> None:
    import django

    django.setup()


def board_secret(clinic_code: str) -> str:
    from clinicflow.frontdesk.models import BoardLink

    link = (
        BoardLink.objects.all_clinics()
        .filter(clinic__code=clinic_code, revoked_at__isnull=True)
        .order_by("created_at")
        .first()
    )
    if link is None:
        raise SystemExit(f"no board link in {clinic_code}: seed_demo makes one")
    return link.token


def _call_next(*, entry: Any, actor: Any, practitioner: Any) -> Any:
    """The doctor calls the next patient: the visit just made ready (their only one waiting)."""
    from clinicflow.frontdesk import services

    called = services.call_next(actor=actor, practitioner=practitioner)
    assert called is not None
    assert called.pk == entry.pk
    return called


def make_changes(clinic_code: str, count: int) -> dict[str, Any]:
    from clinicflow.accounts.actors import actor_for
    from clinicflow.accounts.models import User
    from clinicflow.frontdesk import services
    from clinicflow.frontdesk.models import QueueChange, QueueStatus
    from clinicflow.scheduling.models import Practitioner

    reception = actor_for(User.objects.get(username="reception"))
    clinic = reception.clinic
    assert clinic is not None
    assert clinic.code == clinic_code
    doctors = [
        (actor_for(p.user), p)
        for p in Practitioner.objects.for_clinic(clinic)
        .filter(is_active=True)
        .select_related("user", "clinic")
        .order_by("pk")
    ]
    if not doctors:
        raise SystemExit(f"no doctors in {clinic_code}: seed_demo makes them")
    before = QueueChange.objects.for_clinic(clinic).order_by("-pk").values_list("pk", flat=True)
    baseline = before.first() or 0
    made = 0
    visit = 0
    started = time.perf_counter()
    while made < count:
        doctor_actor, doctor = doctors[visit % len(doctors)]
        entry = services.add_walk_in(
            actor=reception, name=f"Bench Visitor {visit}", practitioner=doctor
        )
        steps = [
            partial(services.move, actor=reception, to_status=QueueStatus.VITALS),
            partial(services.move, actor=reception, to_status=QueueStatus.READY),
            partial(_call_next, actor=doctor_actor, practitioner=doctor),
            partial(services.move, actor=doctor_actor, to_status=QueueStatus.DONE),
        ]
        made += 1
        for step in steps:
            if made >= count:
                break
            entry = step(entry=entry)
            made += 1
        visit += 1
    seconds = time.perf_counter() - started
    seqs = list(
        QueueChange.objects.for_clinic(clinic)
        .filter(pk__gt=baseline)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {"seqs": seqs, "visits": visit, "seconds": round(seconds, 3)}


def main(argv: list[str]) -> int:
    _setup()
    clinic = "KTM"
    if argv[:1] == ["board"]:
        print(json.dumps({"board": board_secret(clinic)}))
        return 0
    if len(argv) == 2 and argv[0] == "changes":
        from clinicflow.core.audit.context import audit_context

        with audit_context(source="bench:queue_driver"):
            made = make_changes(clinic, int(argv[1]))
        print(json.dumps(made))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
