"""The booking fee paid online: the clinic's setting and how long an unpaid booking is held
(5 to 120 minutes, held by a check), and the time by which a held booking is to be paid (only
a requested booking is held, held by a check; the release sweep reads them by a partial index).

SQLite rebuilds the appointment table to add its check, which the document link's triggers
of ``0005_appointment_document_same_patient`` (they read the appointment) do not survive:
they are dropped first and made again after."""

import importlib

import django.core.validators
from django.conf import settings
from django.db import migrations, models

SAME_PATIENT = importlib.import_module(
    "clinicflow.scheduling.migrations.0005_appointment_document_same_patient"
)


def _on_sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement, params=None)

    return run


DROP = _on_sqlite(SAME_PATIENT.SQLITE_DROP)
CREATE = _on_sqlite(SAME_PATIENT.SQLITE)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_audit_sealed_after_commit"),
        ("patients", "0007_names_in_order_indexes"),
        ("scheduling", "0010_online_booking_and_reviews"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(DROP, CREATE),
        migrations.AddField(
            model_name="appointment",
            name="payment_due_by",
            field=models.DateTimeField(blank=True, null=True, verbose_name="to be paid by"),
        ),
        migrations.AddField(
            model_name="onlinebookingsettings",
            name="fee_paid_online",
            field=models.BooleanField(default=False, verbose_name="the booking fee is paid online"),
        ),
        migrations.AddField(
            model_name="onlinebookingsettings",
            name="payment_hold_minutes",
            field=models.PositiveSmallIntegerField(
                default=15,
                validators=[
                    django.core.validators.MinValueValidator(5),
                    django.core.validators.MaxValueValidator(120),
                ],
                verbose_name="an unpaid booking is held for (minutes)",
            ),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                condition=models.Q(("payment_due_by__isnull", False)),
                fields=["payment_due_by"],
                name="appointment_held_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="appointment",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("payment_due_by__isnull", True), ("status", "requested"), _connector="OR"
                ),
                name="appointment_held_is_requested",
            ),
        ),
        migrations.AddConstraint(
            model_name="onlinebookingsettings",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("payment_hold_minutes__gte", 5), ("payment_hold_minutes__lte", 120)
                ),
                name="online_booking_hold_range",
            ),
        ),
        migrations.RunPython(CREATE, DROP),
    ]
