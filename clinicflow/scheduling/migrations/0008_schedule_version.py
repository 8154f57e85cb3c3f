"""A stamp per doctor that the database renews on every insert, update or delete of their
availability rules or time off (a clinic-wide holiday renews every doctor of the clinic), on
PostgreSQL and SQLite alike. The cached slot grid is keyed by it, so no path that writes those
tables (a bulk ``update()``, ``bulk_create``, raw SQL, the admin) can leave a stale grid in the
cache. A stamp is never reused, even after a rollback: PostgreSQL draws it from a sequence,
SQLite takes a random 64-bit number."""

import django.db.models.deletion
from django.db import migrations, models

VERSIONS = "scheduling_scheduleversion"
WATCHED = ("scheduling_availabilityrule", "scheduling_timeoff")


def _renew(row: str, stamp: str) -> str:
    """Renew the stamp of the doctor of ``row`` (NEW or OLD), or of every doctor of its
    clinic when the row names none (a clinic-wide holiday). Built from this module's constants
    only, never from input."""
    return f"""
        INSERT INTO {VERSIONS} (practitioner_id, version)
        SELECT p.id, {stamp} FROM scheduling_practitioner p
        WHERE p.id = {row}.practitioner_id
           OR ({row}.practitioner_id IS NULL AND p.clinic_id = {row}.clinic_id)
        ON CONFLICT (practitioner_id) DO UPDATE SET version = excluded.version;"""  # noqa: S608


PG_STAMP = "nextval('scheduling_schedule_stamp')"
POSTGRES = f"""
CREATE SEQUENCE scheduling_schedule_stamp;
CREATE FUNCTION scheduling_schedule_changed() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE {VERSIONS} SET version = {PG_STAMP};
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN {_renew("OLD", PG_STAMP)}
    END IF;
    IF TG_OP <> 'DELETE' THEN {_renew("NEW", PG_STAMP)}
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
""" + "".join(  # noqa: S608 - this module's constants only
    f"""
CREATE TRIGGER {table}_schedule AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION scheduling_schedule_changed();
CREATE TRIGGER {table}_schedule_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION scheduling_schedule_changed();
"""
    for table in WATCHED
)
POSTGRES_DROP = (
    "".join(
        f"DROP TRIGGER IF EXISTS {table}_schedule ON {table};"
        f"DROP TRIGGER IF EXISTS {table}_schedule_truncate ON {table};"
        for table in WATCHED
    )
    + "DROP FUNCTION IF EXISTS scheduling_schedule_changed();"
    + "DROP SEQUENCE IF EXISTS scheduling_schedule_stamp;"
)

SQLITE_STAMP = "random()"
SQLITE_ROWS = {"insert": ("NEW",), "update": ("OLD", "NEW"), "delete": ("OLD",)}
SQLITE = [
    f"""CREATE TRIGGER {table}_schedule_{event} AFTER {event.upper()} ON {table}
    BEGIN {"".join(_renew(row, SQLITE_STAMP) for row in rows)}
    END;"""
    for table in WATCHED
    for event, rows in SQLITE_ROWS.items()
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS {table}_schedule_{event}" for table in WATCHED for event in SQLITE_ROWS
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0007_history_status_labels")]

    operations = [
        migrations.CreateModel(
            name="ScheduleVersion",
            fields=[
                (
                    "practitioner",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="schedule_version",
                        serialize=False,
                        to="scheduling.practitioner",
                    ),
                ),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create, drop),
    ]
