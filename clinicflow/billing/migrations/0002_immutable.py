"""What the database holds for billing, whatever path writes (PostgreSQL and SQLite):

- the money ledger is append-only (a mistake is corrected by another row);
- an issued invoice or credit note never changes but for its running ``paid`` and
  ``credited`` sums, and its lines are never added to, changed or removed.

On PostgreSQL issued invoices and ledger rows are never deleted either (test databases are
emptied with TRUNCATE, which triggers leave alone); SQLite, whose test flush deletes rows,
keeps the update and insert rules."""

from django.db import migrations

LEDGER = "billing_ledgerentry"
INVOICE = "billing_invoice"
LINE = "billing_invoiceline"
LEDGER_MESSAGE = "billing_ledger_append_only: a money movement is corrected by another movement"
INVOICE_MESSAGE = "billing_invoice_issued: an issued invoice is corrected by a credit note"

POSTGRES = f"""
CREATE FUNCTION billing_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{LEDGER_MESSAGE}' USING ERRCODE = 'check_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE OR DELETE ON {LEDGER}
    FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();

CREATE FUNCTION billing_invoice_issued() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'issued' AND (
        TG_OP = 'DELETE'
        OR (to_jsonb(NEW) - 'paid' - 'credited') IS DISTINCT FROM
           (to_jsonb(OLD) - 'paid' - 'credited')
    ) THEN
        RAISE EXCEPTION '{INVOICE_MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_invoice_issued BEFORE UPDATE OR DELETE ON {INVOICE}
    FOR EACH ROW EXECUTE FUNCTION billing_invoice_issued();

CREATE FUNCTION billing_line_issued() RETURNS trigger AS $$
DECLARE
    invoice_ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        invoice_ids := ARRAY[NEW.invoice_id];
    ELSIF TG_OP = 'UPDATE' THEN
        invoice_ids := ARRAY[OLD.invoice_id, NEW.invoice_id];
    ELSE
        invoice_ids := ARRAY[OLD.invoice_id];
    END IF;
    IF EXISTS (SELECT 1 FROM {INVOICE} WHERE id = ANY(invoice_ids) AND status = 'issued') THEN
        RAISE EXCEPTION '{INVOICE_MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER billing_line_issued BEFORE INSERT OR UPDATE OR DELETE ON {LINE}
    FOR EACH ROW EXECUTE FUNCTION billing_line_issued();
"""
POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS billing_line_issued ON {LINE};
DROP FUNCTION IF EXISTS billing_line_issued();
DROP TRIGGER IF EXISTS billing_invoice_issued ON {INVOICE};
DROP FUNCTION IF EXISTS billing_invoice_issued();
DROP TRIGGER IF EXISTS billing_ledger_append_only ON {LEDGER};
DROP FUNCTION IF EXISTS billing_ledger_append_only();
"""

#: The columns of an issued invoice that SQLite keeps as they are (all but paid, credited).
FROZEN = [
    "kind",
    "status",
    "number",
    "fiscal_year",
    "sequence",
    "credit_of_id",
    "reason",
    "price_list_id",
    "payer_id",
    "subtotal",
    "discount_total",
    "discount_reason",
    "discount_approved_by_id",
    "tax_total",
    "total",
    "payer_share",
    "created_by_id",
    "created_at",
    "issued_by_id",
    "issued_at",
    "patient_id",
    "clinic_id",
]
CHANGED = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
SQLITE = [
    f"""CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE ON {LEDGER}
    BEGIN SELECT RAISE(ABORT, '{LEDGER_MESSAGE}'); END;""",
    f"""CREATE TRIGGER billing_invoice_issued BEFORE UPDATE ON {INVOICE}
    WHEN OLD.status = 'issued' AND ({CHANGED})
    BEGIN SELECT RAISE(ABORT, '{INVOICE_MESSAGE}'); END;""",
    f"""CREATE TRIGGER billing_line_issued_insert BEFORE INSERT ON {LINE}
    WHEN (SELECT status FROM {INVOICE} WHERE id = NEW.invoice_id) = 'issued'
    BEGIN SELECT RAISE(ABORT, '{INVOICE_MESSAGE}'); END;""",
    f"""CREATE TRIGGER billing_line_issued_update BEFORE UPDATE ON {LINE}
    WHEN (SELECT status FROM {INVOICE} WHERE id = OLD.invoice_id) = 'issued'
    BEGIN SELECT RAISE(ABORT, '{INVOICE_MESSAGE}'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS billing_line_issued_update",
    "DROP TRIGGER IF EXISTS billing_line_issued_insert",
    "DROP TRIGGER IF EXISTS billing_invoice_issued",
    "DROP TRIGGER IF EXISTS billing_ledger_append_only",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": [POSTGRES], "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": [POSTGRES_DROP], "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
