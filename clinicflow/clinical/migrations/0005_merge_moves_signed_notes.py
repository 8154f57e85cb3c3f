"""A signed note stays final, but it may follow its patient when a manager merges a duplicate
record into the surviving one (the merge is audited): ``patient_id`` leaves the trigger's list
of final columns. Before this, merging any patient with a signed consultation failed."""

from importlib import import_module

from django.db import migrations

signed = import_module("clinicflow.clinical.migrations.0003_signed_note_is_final")
FINAL = tuple(column for column in signed.FINAL if column != "patient_id")


def forward(apps, schema_editor):
    signed.run(schema_editor, signed.FINAL, create=False)
    signed.run(schema_editor, FINAL, create=True)


def backward(apps, schema_editor):
    signed.run(schema_editor, FINAL, create=False)
    signed.run(schema_editor, signed.FINAL, create=True)


class Migration(migrations.Migration):
    dependencies = [("clinical", "0004_prescriptions")]
    operations = [migrations.RunPython(forward, backward)]
