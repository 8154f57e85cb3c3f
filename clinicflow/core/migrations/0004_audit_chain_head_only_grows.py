"""On PostgreSQL, the head of an audit chain may only move forward and is never deleted: cutting
events off the end of a chain would need the head set back, which the database refuses."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION clinicflow_audit_head_forward() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_seq < OLD.last_seq THEN
        RAISE EXCEPTION 'an audit chain head only moves forward (% refused)', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditchain_forward
    BEFORE UPDATE OR DELETE ON core_auditchain
    FOR EACH ROW EXECUTE FUNCTION clinicflow_audit_head_forward();
"""
DROP = """
DROP TRIGGER IF EXISTS core_auditchain_forward ON core_auditchain;
DROP FUNCTION IF EXISTS clinicflow_audit_head_forward();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0003_clinic_country_alter_auditevent_action_and_more")]
    operations = [migrations.RunPython(create, drop)]
