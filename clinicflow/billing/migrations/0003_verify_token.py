"""The secret of each invoice's, credit note's and receipt's public verification page.

Rows already there get a token each (a column default would give them all the same one): the
column is added empty, filled row by row, then made unique and required. An issued invoice may
not change on PostgreSQL (``0002_immutable``), so its trigger is switched off while the tokens
are written; on SQLite the token joins the columns its trigger keeps as they are (once
issued, a printed link stays valid)."""

import importlib
import secrets

from django.db import migrations, models

import clinicflow.billing.models

IMMUTABLE = importlib.import_module("clinicflow.billing.migrations.0002_immutable")
INVOICE = IMMUTABLE.INVOICE


def _sqlite_trigger(columns):
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)
    return f"""CREATE TRIGGER billing_invoice_issued BEFORE UPDATE ON {INVOICE}
    WHEN OLD.status = 'issued' AND ({changed})
    BEGIN SELECT RAISE(ABORT, '{IMMUTABLE.INVOICE_MESSAGE}'); END;"""


def fill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {INVOICE} DISABLE TRIGGER billing_invoice_issued")
    for name in ("Invoice", "Payment"):
        model = apps.get_model("billing", name)
        for pk in model.objects.filter(verify_token__isnull=True).values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(verify_token=secrets.token_urlsafe(32))
    if vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {INVOICE} ENABLE TRIGGER billing_invoice_issued")


def _sqlite_triggers(frozen):
    invoice = _sqlite_trigger(frozen)
    return [invoice if "TRIGGER billing_invoice_issued " in t else t for t in IMMUTABLE.SQLITE]


def _on_sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


# SQLite rebuilds a table to change a column, which its triggers (on the invoice and on the
# lines, which read the invoice) do not survive: they are dropped first and made again after.
DROP = _on_sqlite(IMMUTABLE.SQLITE_DROP)
BEFORE = _on_sqlite(_sqlite_triggers(IMMUTABLE.FROZEN))
AFTER = _on_sqlite(_sqlite_triggers([*IMMUTABLE.FROZEN, "verify_token"]))


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_immutable")]

    operations = [
        migrations.RunPython(DROP, BEFORE),
        migrations.AddField(
            model_name="invoice",
            name="verify_token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.AddField(
            model_name="payment",
            name="verify_token",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="invoice",
            name="verify_token",
            field=models.CharField(
                default=clinicflow.billing.models.verification_token,
                editable=False,
                max_length=64,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="payment",
            name="verify_token",
            field=models.CharField(
                default=clinicflow.billing.models.verification_token,
                editable=False,
                max_length=64,
                unique=True,
            ),
        ),
        migrations.RunPython(AFTER, DROP),
    ]
