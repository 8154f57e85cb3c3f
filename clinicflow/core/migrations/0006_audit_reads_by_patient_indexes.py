"""Reads of one patient's data are found in the trail by index (the portal's "who viewed my
chart"), not by matching the JSON's text.

A read names its patient inside ``changes``: ``patient`` for a row opened, ``patients`` for a
page of rows. A column copied from them would sit outside what the event's MACs vouch for
(``chain.event_content``), so someone able to write the table could hide a read from the
patient's page without breaking the chain. These expression indexes read the hashed JSON
itself; ``core.audit.reads.naming_patient`` is written to match them.

PostgreSQL only (the embedded SQLite demo scans). Built concurrently, so that audited writes
are not held up while a large trail is indexed. Not partial (on views only), although only
views are looked up: the planner keeps statistics of an expression index's values only for
an index over the whole table, and without them it misjudged a patient's few reads as
thousands and walked the whole trail by time for a page of twenty. Events without the key
add little (a null in the btree, nothing in the GIN index)."""

from django.db import migrations

INDEXES = {
    "audit_read_patient_idx": "ON core_auditevent ((changes ->> 'patient'))",
    "audit_read_patients_idx": (
        "ON core_auditevent USING gin ((changes -> 'patients') jsonb_path_ops)"
    ),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY runs outside a transaction

    dependencies = [("core", "0005_audit_sealed_after_commit")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
