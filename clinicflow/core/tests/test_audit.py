"""The audit trail: every write recorded by one mechanism, append-only, tamper-evident."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from clinicflow.accounts.models import Membership, User
from clinicflow.core.audit.chain import atomic_audited, seal_all, verify_chains
from clinicflow.core.audit.context import audit_context
from clinicflow.core.audit.recorder import SECRET_MARK, record
from clinicflow.core.models import AuditAction, AuditChain, AuditEvent, Clinic
from clinicflow.core.roles import Role
from tests.concurrency import at_once
from tests.factories import ClinicFactory, member

pytestmark = pytest.mark.django_db


def pending_seal_of(event_id: int) -> str:
    return (
        "UPDATE core_auditevent SET seq = 99, prev_hash = 'x', hash = 'y', sealed_at = now(), "
        f"object_repr = 'rewritten' WHERE id = {int(event_id)}"
    )


def events(**filters):
    return AuditEvent.objects.all_clinics().filter(**filters).order_by("id")


def test_creating_and_editing_a_clinic_records_each_changed_field():
    clinic = ClinicFactory(code="BRT", name="Bharatpur Clinic")
    created = events(object_id=str(clinic.pk), action=AuditAction.CREATE).get()
    assert created.changes["name"] == [None, "Bharatpur Clinic"]
    assert created.clinic_id == clinic.pk

    clinic.phone = "+977 56-123456"
    clinic.save()
    updated = events(object_id=str(clinic.pk), action=AuditAction.UPDATE).get()
    assert updated.changes == {"phone": ["", "+977 56-123456"]}


def test_a_save_that_changes_nothing_writes_no_event(clinic):
    before = events().count()
    clinic.save()
    assert events().count() == before


def test_a_password_change_is_recorded_without_the_hash(clinic):
    user = member(Role.NURSE, clinic)
    user = User.objects.get(pk=user.pk)
    user.set_password("Another-secret-77")
    user.save()
    event = events(object_id=str(user.pk), action=AuditAction.UPDATE).last()
    assert event.changes["password"] == [SECRET_MARK, SECRET_MARK]
    assert "Another-secret-77" not in str(event.changes)
    assert user.password not in str(event.changes)


def test_a_bulk_update_is_audited_row_by_row(clinic):
    nurses = [member(Role.NURSE, clinic) for _ in range(3)]
    Membership.objects.filter(user__in=nurses).update(status_reason="rota change")
    recorded = events(object_type="accounts.membership", action=AuditAction.UPDATE)
    assert recorded.count() == 3
    assert all(e.changes["status_reason"] == ["", "rota change"] for e in recorded)


def test_events_name_who_and_from_where(rf, clinic, nurse):
    request = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="Firefox/130")
    request.user = nurse
    with audit_context(request=request, request_id="req-1"):
        event = record(AuditAction.VIEW, object_type="patients.patient", object_id="42")
    assert (event.actor, event.ip, event.user_agent, event.request_id) == (
        nurse,
        "10.1.2.3",
        "Firefox/130",
        "req-1",
    )


def test_each_clinic_has_its_own_unbroken_chain(clinic, other_clinic):
    for target in (clinic, other_clinic, clinic):
        record(AuditAction.EXPORT, clinic_id=target.pk, object_type="test")
    seal_all()
    reports = {r.chain: r for r in verify_chains()}
    assert reports[f"clinic:{clinic.pk}"].ok
    assert reports[f"clinic:{other_clinic.pk}"].ok
    seqs = list(events(clinic=clinic).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the append-only trigger's back, as a database superuser could."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:  # a superuser's way around triggers
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if postgres:
            cursor.execute("SET session_replication_role = origin")


def test_verify_audit_names_the_first_altered_event(clinic, capsys):
    for n in range(5):
        record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr=f"export {n}")
    seal_all()
    call_command("verify_audit")
    victim = events(clinic=clinic).get(seq=3)
    _tamper("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["nothing", victim.pk])

    with pytest.raises(CommandError, match="audit chains are broken"):
        call_command("verify_audit")
    output = capsys.readouterr().out
    assert f"event id {victim.pk} (seq 3)" in output
    assert "content altered" in output


def test_an_event_altered_while_pending_is_named_before_and_after_it_is_sealed(clinic, capsys):
    for n in range(3):
        record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr=f"export {n}")
    victim = events(clinic=clinic, object_repr="export 1").get()
    assert victim.seq is None  # written, not yet sealed: the tests' transaction never commits
    _tamper("UPDATE core_auditevent SET object_repr = %s WHERE id = %s", ["nothing", victim.pk])

    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert f"event id {victim.pk} (pending): content altered before sealing" in (
        capsys.readouterr().out
    )
    seal_all()  # the sealer cannot tell; the event's own MAC still can
    victim.refresh_from_db()
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert f"event id {victim.pk} (seq {victim.seq}): content altered before sealing" in (
        capsys.readouterr().out
    )


def test_pending_events_are_counted_and_sealed_in_the_order_written(clinic, capsys):
    for n in range(4):
        record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr=f"export {n}")
    report = next(r for r in verify_chains() if r.chain == f"clinic:{clinic.pk}")
    assert (report.ok, report.events, report.pending, report.overdue) == (True, 0, 5, 0)
    assert seal_all() >= 5
    written = list(events(clinic=clinic).values_list("seq", flat=True))
    assert written == [1, 2, 3, 4, 5]
    call_command("verify_audit")
    assert f"ok      clinic:{clinic.pk}: 5 events\n" in capsys.readouterr().out


def test_events_written_before_sealing_existed_still_verify(clinic):
    record(AuditAction.EXPORT, clinic_id=clinic.pk)
    seal_all()
    chain = AuditChain.objects.get(clinic=clinic)
    _tamper("UPDATE core_auditevent SET mac = '' WHERE chain_id = %s", [chain.pk])
    assert all(r.ok for r in verify_chains())


def test_verify_audit_notices_events_removed_from_the_end(clinic, capsys):
    for _ in range(3):
        record(AuditAction.EXPORT, clinic_id=clinic.pk)
    seal_all()
    last = events(clinic=clinic).last()
    _tamper("DELETE FROM core_auditevent WHERE id = %s", [last.pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert "events removed at the end" in capsys.readouterr().out


def test_verify_audit_notices_a_clinic_whose_whole_chain_was_removed(clinic, capsys):
    chain = AuditChain.objects.get(clinic=clinic)
    _tamper("DELETE FROM core_auditevent WHERE chain_id = %s", [chain.pk])
    _tamper("DELETE FROM core_auditchain WHERE id = %s", [chain.pk])
    with pytest.raises(CommandError):
        call_command("verify_audit")
    assert f"clinic:{clinic.pk}: chain head: the chain is missing" in capsys.readouterr().out


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE core_auditevent SET action = 'view'", "append-only"),
        ("DELETE FROM core_auditevent", "append-only"),
        (
            "UPDATE core_auditevent SET seq = NULL, prev_hash = NULL, hash = NULL,"
            " sealed_at = NULL",
            "append-only",
        ),
        ("UPDATE core_auditchain SET last_seq = last_seq - 1", "only moves forward"),
        ("DELETE FROM core_auditchain", "only moves forward"),
    ],
)
def test_postgres_refuses_to_rewrite_the_audit_trail(clinic, sql, message):
    record(AuditAction.EXPORT, clinic_id=clinic.pk)
    seal_all()
    record(AuditAction.EXPORT, clinic_id=clinic.pk)  # and one pending
    with (
        pytest.raises(DatabaseError, match=message),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain_per_clinic():
    clinic = Clinic.objects.create(code="CON", name="Concurrent Clinic")

    def write(n: int) -> None:
        for i in range(10):
            record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr=f"{n}-{i}")

    _results, errors = at_once(write, 4)
    assert not errors
    chain = AuditChain.objects.get(clinic=clinic)
    assert chain.last_seq == events(clinic=clinic).count() == 41  # 40 + the clinic's creation
    assert all(r.ok for r in verify_chains())


@pytest.mark.postgres
def test_postgres_lets_through_only_the_seal_itself(clinic):
    event = record(AuditAction.EXPORT, clinic_id=clinic.pk)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(pending_seal_of(event.pk))  # a seal that also rewrites the content
    assert seal_all() == 2  # the clinic's creation and this event
    assert all(r.ok for r in verify_chains())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_clinics_writers_do_not_wait_for_each_others_transactions():
    """The old chain made every audited write wait for the clinic's open transactions; now a
    second writer commits while the first still holds its transaction open."""
    import threading

    clinic = Clinic.objects.create(code="PAR", name="Parallel Clinic")
    first_wrote, second_done = threading.Event(), threading.Event()

    def first_writer() -> None:
        with transaction.atomic():
            record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="first")
            first_wrote.set()
            assert second_done.wait(10), "the second writer never finished"

    def second_writer() -> None:
        assert first_wrote.wait(10)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '3s'")  # waiting would raise
            record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="second")
        second_done.set()

    _results, errors = at_once(lambda n: (first_writer, second_writer)[n](), 2)
    assert not errors
    seal_all()
    chain = AuditChain.objects.get(clinic=clinic)
    assert chain.last_seq == 3
    # The chain's order is the order of commits: the second writer committed first.
    sealed = events(clinic=clinic).order_by("seq").values_list("object_repr", "seq")
    assert list(sealed)[1:] == [("second", 2), ("first", 3)]
    assert all(r.ok for r in verify_chains())


def test_a_commit_seals_its_events_at_once_where_tasks_run_eagerly(
    settings, django_capture_on_commit_callbacks
):
    from clinicflow.core.audit.chain import _SealChain

    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        clinic = ClinicFactory(code="EAG", name="Eager Clinic")
        record(AuditAction.EXPORT, clinic_id=clinic.pk)
        record(AuditAction.EXPORT, clinic_id=clinic.pk)
    seals = [c for c in callbacks if isinstance(c, _SealChain)]
    assert [c.key for c in seals] == [f"clinic:{clinic.pk}"]  # one per chain and transaction
    assert events(clinic=clinic).count() == 3
    assert not events(clinic=clinic, seq__isnull=True).exists()


def test_busy_writers_queue_one_seal_until_the_worker_takes_it(
    clinic, other_clinic, settings, monkeypatch
):
    from clinicflow.core import tasks

    settings.CELERY_TASK_ALWAYS_EAGER = False
    queued: list[str] = []
    monkeypatch.setattr(
        tasks.seal_audit_chain, "apply_async", lambda args, countdown: queued.extend(args)
    )
    for _ in range(3):
        tasks.request_seal(f"clinic:{clinic.pk}")
    tasks.request_seal(f"clinic:{other_clinic.pk}")
    assert queued == [f"clinic:{clinic.pk}", f"clinic:{other_clinic.pk}"]
    record(AuditAction.EXPORT, clinic_id=clinic.pk)
    assert tasks.seal_audit_chain(f"clinic:{clinic.pk}") == 2  # the worker's turn
    tasks.request_seal(f"clinic:{clinic.pk}")  # an event after the worker read: queued again
    assert queued[2:] == [f"clinic:{clinic.pk}"]


def test_a_batched_service_writes_its_events_in_one_insert(clinic):
    from django.test.utils import CaptureQueriesContext

    @atomic_audited
    def service() -> None:
        record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="one")
        record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="two")
        with transaction.atomic():  # a savepoint's events are written at once
            record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="inner")
        record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="three")

    with CaptureQueriesContext(connection) as queries:
        service()
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "core_auditevent"')]
    assert len(inserts) == 2
    assert list(
        events(clinic=clinic, action=AuditAction.EXPORT).values_list("object_repr", flat=True)
    ) == ["inner", "one", "two", "three"]


def test_a_batched_service_that_fails_leaves_no_events(clinic):
    @atomic_audited
    def service() -> None:
        record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="lost")
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        service()
    assert not events(object_repr="lost").exists()


def test_manager_sees_only_their_clinics_trail(clinic, other_clinic, manager, sign_in):
    record(AuditAction.EXPORT, clinic_id=other_clinic.pk, object_repr="PKR secret export")
    record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="KTM export")
    response = sign_in(manager).get(reverse("core:audit_list"))
    assert b"KTM export" in response.content
    assert b"PKR secret export" not in response.content


def test_audit_filters_and_htmx_fragment(clinic, manager, sign_in):
    record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="needle")
    client = sign_in(manager)
    page = client.get(reverse("core:audit_list"), {"action": "export"})
    assert b"needle" in page.content
    assert b"<html" in page.content
    fragment = client.get(reverse("core:audit_list"), {"action": "login"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in fragment.content
    assert b"needle" not in fragment.content
    assert b'id="results"' in fragment.content


def test_audit_list_costs_the_same_queries_for_few_and_many_rows(
    clinic, manager, sign_in, django_assert_max_num_queries
):
    client = sign_in(manager)
    client.get(reverse("core:audit_list"))  # warm: session touch, chain rows
    for _ in range(3):
        record(AuditAction.EXPORT, clinic_id=clinic.pk)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("core:audit_list"))
    for _ in range(80):
        record(AuditAction.EXPORT, clinic_id=clinic.pk)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("core:audit_list"))
    assert response.context["page"].has_next  # 50 a page: the second page exists


def test_audit_export_streams_csv_and_is_itself_audited(clinic, manager, sign_in):
    record(AuditAction.EXPORT, clinic_id=clinic.pk, object_repr="=HYPERLINK(evil)")
    response = sign_in(manager).get(reverse("core:audit_export"))
    body = b"".join(response.streaming_content).decode()
    assert response["Content-Type"].startswith("text/csv")
    assert body.splitlines()[0].startswith("Time (UTC),Sequence,User")
    assert "'=HYPERLINK(evil)" in body  # neutralised for spreadsheets
    evil = next(line for line in body.splitlines() if "HYPERLINK" in line)
    assert evil.split(",")[1] == "pending"  # the tests' transaction never commits: not sealed
    assert events(clinic=clinic, action=AuditAction.EXPORT, actor=manager).exists()


def test_every_audited_model_audits_its_bulk_updates_too():
    from django.apps import apps

    from clinicflow.core.audit.queryset import AuditedQuerySet
    from clinicflow.core.models import Audited

    audited = [m for m in apps.get_models() if issubclass(m, Audited)]
    assert len(audited) >= 4
    for model in audited:
        assert isinstance(model._default_manager.get_queryset(), AuditedQuerySet), model
