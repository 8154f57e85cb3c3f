"""On PostgreSQL: indexes that keep patients in name (code-point order) and MRN order, alone
and within each family name, so that a search for a common given name or family name lists a
page of its thousands by reading that page's rows of an index, not by sorting them all."""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS patient_name_in_order
    ON patients_patient (clinic_id, (search_name COLLATE "C"), mrn_seq);
CREATE INDEX IF NOT EXISTS patient_family_in_order
    ON patients_patient (clinic_id, upper(family_name), (search_name COLLATE "C"), mrn_seq);
DROP INDEX IF EXISTS patient_family_upper;
"""
DROP = """
CREATE INDEX IF NOT EXISTS patient_family_upper ON patients_patient (clinic_id, upper(family_name));
DROP INDEX IF EXISTS patient_family_in_order;
DROP INDEX IF EXISTS patient_name_in_order;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_patient_created_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
