"""An invoice or credit note may be made by no one at a counter: the credit note that withdraws
an online booking's fee when the booking was not paid in time (the release sweep's), so
``created_by`` may be empty.

SQLite rebuilds the table to change the column, which the triggers of ``0002_immutable`` (as
``0003_verify_token`` left them) do not survive: they are dropped first and made again after,
as 0003 does."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

TOKENS = importlib.import_module("clinicflow.billing.migrations.0003_verify_token")


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0005_claims_paid"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(TOKENS.DROP, TOKENS.AFTER),
        migrations.AlterField(
            model_name="invoice",
            name="created_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(TOKENS.AFTER, TOKENS.DROP),
    ]
