"""On PostgreSQL: pg_trgm and GIN trigram indexes for typo-tolerant name search and partial
phone numbers. SQLite searches without them (see selectors)."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX IF NOT EXISTS patient_search_name_trgm
    ON patients_patient USING gin (search_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS patient_phone_trgm
    ON patients_patient USING gin (phone gin_trgm_ops);
"""
DROP = """
DROP INDEX IF EXISTS patient_phone_trgm;
DROP INDEX IF EXISTS patient_search_name_trgm;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
