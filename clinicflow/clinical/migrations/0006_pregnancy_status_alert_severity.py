"""Safety findings get a severity (only a high one needs an override to sign), a key (what a
later run of the checks matches them by) and a clearing time; a pregnancy status is recorded at
the consultation; a prescription keeps who acknowledged prescribing while allergies were not
asked.

Alerts stored before this: each is known by its kind, and a pregnancy caution not overridden
becomes low, for it could only have come from the rule that a woman may be pregnant (no status
was recorded then)."""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models


def grade_stored_alerts(apps, schema_editor):
    alert = apps.get_model("clinical", "SafetyAlert")
    alert.objects.filter(key="").update(key=models.F("kind"))
    alert.objects.filter(kind="pregnancy", overridden_by__isnull=True).update(severity="low")


class Migration(migrations.Migration):
    dependencies = [
        ("clinical", "0005_merge_moves_signed_notes"),
        ("core", "0004_audit_chain_head_only_grows"),
        ("patients", "0006_patient_created_index"),
        ("scheduling", "0006_active_appointment_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PregnancyStatus",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pregnant", "Pregnant"),
                            ("not_pregnant", "Not pregnant"),
                            ("breastfeeding", "Breastfeeding"),
                            ("unknown", "Unknown"),
                        ],
                        max_length=16,
                        verbose_name="pregnancy or breastfeeding",
                    ),
                ),
                (
                    "recorded_at",
                    models.DateTimeField(
                        auto_now_add=True, db_default=django.db.models.functions.datetime.Now()
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "pregnancy statuses",
                "ordering": ["-recorded_at", "-pk"],
            },
        ),
        migrations.AddField(
            model_name="prescription",
            name="allergies_unasked_acknowledged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="prescription",
            name="allergies_unasked_acknowledged_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="safetyalert",
            name="cleared_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="safetyalert",
            name="key",
            field=models.CharField(blank=True, max_length=160),
        ),
        migrations.AddField(
            model_name="safetyalert",
            name="severity",
            field=models.CharField(
                choices=[("high", "Needs a reason to go ahead"), ("low", "For information")],
                default="high",
                max_length=8,
            ),
        ),
        migrations.AlterField(
            model_name="safetyalert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("allergy", "Allergy"),
                    ("duplicate", "Duplicate therapy"),
                    ("max_dose", "Above the maximum daily dose"),
                    ("pregnancy", "Pregnancy caution"),
                    ("breastfeeding", "Breastfeeding caution"),
                    ("paediatric", "Children's caution"),
                ],
                max_length=16,
            ),
        ),
        migrations.AddConstraint(
            model_name="prescription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("allergies_unasked_acknowledged_at__isnull", True),
                        ("allergies_unasked_acknowledged_by__isnull", True),
                    ),
                    models.Q(
                        ("allergies_unasked_acknowledged_at__isnull", False),
                        ("allergies_unasked_acknowledged_by__isnull", False),
                    ),
                    _connector="OR",
                ),
                name="prescription_acknowledgement_has_time",
            ),
        ),
        migrations.AddConstraint(
            model_name="safetyalert",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("overridden_by__isnull", True), ("severity__in", ["high"]), _connector="OR"
                ),
                name="alert_only_blocking_overridden",
            ),
        ),
        migrations.AddField(
            model_name="pregnancystatus",
            name="clinic",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to="core.clinic"),
        ),
        migrations.AddField(
            model_name="pregnancystatus",
            name="encounter",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="pregnancy_statuses",
                to="clinical.encounter",
            ),
        ),
        migrations.AddField(
            model_name="pregnancystatus",
            name="recorded_by",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddConstraint(
            model_name="pregnancystatus",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status__in", ["pregnant", "not_pregnant", "breastfeeding", "unknown"])
                ),
                name="pregnancy_status_known",
            ),
        ),
        migrations.RunPython(grade_stored_alerts, migrations.RunPython.noop),
    ]
