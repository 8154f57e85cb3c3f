"""Audit events are sealed after commit instead of chained under a lock.

Writers insert an event with its content's own HMAC (``mac``); a sealer gives it its place in
the chain (``seq``, ``prev_hash``, ``hash``, ``sealed_at``) right after commit. Events already
chained are sealed as of when they happened. On PostgreSQL the append-only trigger now lets
exactly one update through: the seal of a pending event, changing nothing else."""

from django.conf import settings
from django.db import migrations, models

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION clinicflow_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND OLD.seq IS NULL AND OLD.sealed_at IS NULL
        AND NEW.seq IS NOT NULL AND NEW.sealed_at IS NOT NULL
        AND (NEW.id, NEW.chain_id, NEW.occurred_at, NEW.clinic_id, NEW.actor_id,
             NEW.actor_label, NEW.action, NEW.object_type, NEW.object_id, NEW.object_repr,
             NEW.changes, NEW.ip, NEW.user_agent, NEW.request_id, NEW.mac)
            IS NOT DISTINCT FROM
            (OLD.id, OLD.chain_id, OLD.occurred_at, OLD.clinic_id, OLD.actor_id,
             OLD.actor_label, OLD.action, OLD.object_type, OLD.object_id, OLD.object_repr,
             OLD.changes, OLD.ip, OLD.user_agent, OLD.request_id, OLD.mac)
    THEN
        RETURN NEW;  -- the seal
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

ONLY_REFUSE = """
CREATE OR REPLACE FUNCTION clinicflow_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def seal_existing(apps, schema_editor):
    """Events chained before this migration were sealed when written."""
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("ALTER TABLE core_auditevent DISABLE TRIGGER USER", params=None)
    schema_editor.execute(
        "UPDATE core_auditevent SET sealed_at = occurred_at WHERE seq IS NOT NULL", params=None
    )
    if postgres:
        schema_editor.execute("ALTER TABLE core_auditevent ENABLE TRIGGER USER", params=None)
        schema_editor.execute(APPEND_ONLY, params=None)


def unseal(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ONLY_REFUSE, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_audit_chain_head_only_grows"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="sealed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(seal_existing, unseal),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)),
                fields=["chain", "id"],
                name="audit_pending_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("hash__isnull", True),
                        ("prev_hash__isnull", True),
                        ("sealed_at__isnull", True),
                        ("seq__isnull", True),
                    ),
                    models.Q(
                        ("hash__isnull", False),
                        ("prev_hash__isnull", False),
                        ("sealed_at__isnull", False),
                        ("seq__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="audit_event_sealed_whole_or_pending",
            ),
        ),
    ]
