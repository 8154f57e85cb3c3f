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


def statements(final: tuple[str, ...]) -> dict[str, tuple[list[str], list[str]]]:
    """Per database: the statements creating the trigger over ``final`` columns, and dropping
    it (a later migration re-creates it over other columns)."""
    changed_pg = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in final)
    changed_sqlite = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in final)
    postgres = f"""
CREATE FUNCTION encounter_signed_is_final() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status = 'signed' AND ({changed_pg}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER encounter_signed_is_final BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION encounter_signed_is_final();
"""
    postgres_drop = f"""
DROP TRIGGER IF EXISTS encounter_signed_is_final ON {TABLE};
DROP FUNCTION IF EXISTS encounter_signed_is_final();
"""
    sqlite = f"""CREATE TRIGGER encounter_signed_is_final BEFORE UPDATE ON {TABLE}
    WHEN OLD.status = 'signed' AND ({changed_sqlite})
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"""
    sqlite_drop = "DROP TRIGGER IF EXISTS encounter_signed_is_final"
    return {"postgresql": ([postgres], [postgres_drop]), "sqlite": ([sqlite], [sqlite_drop])}


def run(schema_editor, final: tuple[str, ...], *, create: bool) -> None:
    create_sql, drop_sql = statements(final).get(schema_editor.connection.vendor, ([], []))
    for statement in create_sql if create else drop_sql:
        schema_editor.execute(statement, params=None)


def create(apps, schema_editor):
    run(schema_editor, FINAL, create=True)


def drop(apps, schema_editor):
    run(schema_editor, FINAL, create=False)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0002_icd10_codes")]
    operations = [migrations.RunPython(create, drop)]
