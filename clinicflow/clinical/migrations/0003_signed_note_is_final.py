"""A signed note is final, held by the database (a trigger on PostgreSQL and SQLite): its text,
its signature and its status never change again, whatever path writes. Corrections are
amendments, appended. On PostgreSQL no encounter is ever deleted either (test databases are
emptied with TRUNCATE, which the trigger leaves alone); SQLite, whose test flush deletes rows,
keeps only the update rule."""

from django.db import migrations

TABLE = "clinical_encounter"
FINAL = ("subjective", "objective", "assessment", "plan", "quick_note", "status", "signed_at",
         "signed_by_id", "patient_id", "practitioner_id")  # fmt: skip
MESSAGE = "encounter_signed_is_final: a signed note is corrected by an amendment"
CHANGED_PG = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FINAL)
CHANGED_SQLITE = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FINAL)

POSTGRES = f"""
CREATE FUNCTION encounter_signed_is_final() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status = 'signed' AND ({CHANGED_PG}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER encounter_signed_is_final BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION encounter_signed_is_final();
"""
POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS encounter_signed_is_final ON {TABLE};
DROP FUNCTION IF EXISTS encounter_signed_is_final();
"""
SQLITE = [
    f"""CREATE TRIGGER encounter_signed_is_final BEFORE UPDATE ON {TABLE}
    WHEN OLD.status = 'signed' AND ({CHANGED_SQLITE})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS encounter_signed_is_final"]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": [POSTGRES], "sqlite": SQLITE}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": [POSTGRES_DROP], "sqlite": SQLITE_DROP}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0002_icd10_codes")]
    operations = [migrations.RunPython(create, drop)]
