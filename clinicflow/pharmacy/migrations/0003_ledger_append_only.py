"""The stock ledger is append-only, held by the database (a trigger on PostgreSQL and SQLite):
no movement is ever changed, whatever path writes; a mistake is corrected by another row. On
PostgreSQL no movement is deleted either (test databases are emptied with TRUNCATE, which the
trigger leaves alone); SQLite, whose test flush deletes rows, keeps only the update rule."""

from django.db import migrations

TABLE = "pharmacy_stockmovement"
MESSAGE = "stock_ledger_append_only: a stock movement is corrected by another movement"

POSTGRES = f"""
CREATE FUNCTION stock_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER stock_ledger_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION stock_ledger_append_only();
"""
POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS stock_ledger_append_only ON {TABLE};
DROP FUNCTION IF EXISTS stock_ledger_append_only();
"""
SQLITE = [
    f"""CREATE TRIGGER stock_ledger_append_only BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;""",
]
SQLITE_DROP = ["DROP TRIGGER IF EXISTS stock_ledger_append_only"]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": [POSTGRES], "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": [POSTGRES_DROP], "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("pharmacy", "0002_stock")]
    operations = [migrations.RunPython(create, drop)]
