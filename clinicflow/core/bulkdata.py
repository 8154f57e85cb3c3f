"""What the synthetic-data generators (demo and bench installations only) share: the refusal
to run on a real installation, writing rows fast, and tidying a table after a bulk load."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import DatabaseError, connection, transaction
from django.db.models import NOT_PROVIDED, Field, Max, Model


def add_force_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="Run even though DEBUG is off (a throw-away demo or bench installation only).",
    )


def refuse_without_debug(options: dict[str, Any], what: str) -> None:
    """Generated rows bypass the audit trail (one summary event stands for them): never on a
    real installation unless forced."""
    if not settings.DEBUG and not options["force"]:
        raise CommandError(
            f"Refusing to generate synthetic {what} with DEBUG off: they bypass the audit "
            "trail. Use --force only on a throw-away demo or bench installation."
        )


def _filled_by_default(
    model: type[Model], given: set[str]
) -> tuple[list[Field[Any, Any]], list[Any]]:
    """The columns a generator leaves out that need a value all the same (no database default,
    not nullable), with their field's default; fails loudly when a model gained a required
    column nothing fills."""
    fields, values = [], []
    for field in model._meta.concrete_fields:
        if field.attname in given or field.primary_key:
            continue
        if field.db_default is not NOT_PROVIDED or field.null:
            continue  # the database fills it, or it stays NULL
        default = field.get_default()
        if default is None:
            raise CommandError(f"No value for {model.__name__}.{field.name}")
        fields.append(field)
        values.append(default)
    return fields, values


@contextmanager
def _times_as_given(model: type[Model]) -> Iterator[None]:
    """``bulk_create`` stamps every ``auto_now_add`` field with the present moment: a delivery
    of last year would be received today. For the length of a load, the rows' own times win."""
    stamped = [f for f in model._meta.concrete_fields if getattr(f, "auto_now_add", False)]
    for field in stamped:
        field.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for field in stamped:
            field.auto_now_add = True  # type: ignore[attr-defined]


def insert_rows(
    model: type[Model], columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> list[Any]:
    """Write ``rows`` (tuples of values for ``columns``, by attribute name: ``medicine_id``)
    exactly as given, creation times included: ``COPY`` on PostgreSQL, ``bulk_create``
    elsewhere; no ``save()``, no signals, no audit. Other columns take their field's default
    (or the database's, or NULL). Returns the primary keys in the rows' order: those given, or
    fresh ones from the table's sequence."""
    meta = model._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in columns]
    attnames = list(columns)
    pk = meta.pk
    assert pk is not None
    if not rows:
        return []
    if connection.vendor != "postgresql":
        with _times_as_given(model):
            made = model._default_manager.bulk_create(
                [model(**dict(zip(attnames, row, strict=True))) for row in rows], batch_size=2000
            )
        return [obj.pk for obj in made]
    extra, constants = _filled_by_default(model, set(attnames))
    if pk.attname in attnames:
        keys = [row[attnames.index(pk.attname)] for row in rows]
        keyed: Iterator[tuple[Any, ...]] = iter(rows)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, pk.column, len(rows)],
            )
            keys = [key for (key,) in cursor.fetchall()]
        fields = [pk, *fields]
        keyed = ((key, *row) for key, row in zip(keys, rows, strict=True))
    # JSON goes through the field (the driver would send a list as an array).
    prepared = [(i, f) for i, f in enumerate(fields) if f.get_internal_type() == "JSONField"]
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(meta.db_table), ", ".join(quote(str(f.column)) for f in [*fields, *extra])
    )
    tail = tuple(constants)
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in keyed:
            if prepared:
                values = list(row)
                for i, f in prepared:
                    values[i] = f.get_db_prep_save(values[i], connection)
                row = tuple(values)
            copy.write_row((*row, *tail))
    return keys


def tidy_table(model: type[Model]) -> str:
    """Fresh planner statistics after a bulk load on PostgreSQL; outside a transaction VACUUM
    too (visibility map, hint bits, GIN pending lists: work the first queries would otherwise
    do, and autovacuum may be off). Returns a note for the command's summary line."""
    if connection.vendor != "postgresql":
        return ""
    table = connection.ops.quote_name(model._meta.db_table)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute(f"ANALYZE {table}")
            what = "ANALYZE"
        else:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
            what = "VACUUM ANALYZE"
    return f", {what} {time.perf_counter() - started:.1f} s"


def next_key(model: type[Model]) -> int:
    found = model._default_manager.all_clinics().aggregate(m=Max("pk"))["m"]  # type: ignore[attr-defined]
    return int(found or 0) + 1


def advance_sequence(model: type[Model]) -> None:
    """After rows written with their own ids, the table's sequence follows them."""
    if connection.vendor != "postgresql":
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608  (our own table)
            f"(SELECT coalesce(max(id), 1) FROM {connection.ops.quote_name(table)}))",
            [table],
        )


@contextmanager
def bulk_load(models: tuple[type[Model], ...]) -> Iterator[None]:
    """On PostgreSQL: the indexes backing no constraint dropped for the load and built again
    after it (a sort is far faster than a million random inserts), and, for a superuser, the
    triggers skipped (foreign-key checks and the tables' own guards: the generator makes its
    rows consistent by construction). Inside the caller's transaction: a failure rolls all of
    it back."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            pass  # not a superuser: the triggers run (slower, same rows)
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        indexes: list[tuple[str, str]] = []
        for model in models:
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                "FROM pg_index i WHERE i.indrelid = %s::regclass AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
                [model._meta.db_table],
            )
            indexes += cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
