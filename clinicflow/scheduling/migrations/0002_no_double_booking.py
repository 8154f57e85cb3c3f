"""No double booking, held by PostgreSQL itself: two active appointments of one doctor, or of
one patient, can never overlap in time (btree_gist exclusion constraints). SQLite relies on the
booking service, whose transactions there are serialised (BEGIN IMMEDIATE)."""

from django.db import migrations

ACTIVE = "('requested', 'booked', 'checked_in', 'in_consultation')"
CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_doctor_overlap
    EXCLUDE USING gist (practitioner_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN {ACTIVE});
ALTER TABLE scheduling_appointment ADD CONSTRAINT appointment_no_patient_overlap
    EXCLUDE USING gist (patient_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)
    WHERE (status IN {ACTIVE});
"""
DROP = """
ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_patient_overlap;
ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_no_doctor_overlap;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
