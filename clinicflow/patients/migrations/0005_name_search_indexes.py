"""On PostgreSQL: a trigram index over the (small) list of name words, and B-tree indexes that
answer "this exact name", "names starting with this given name" and "this family name"
without touching the rest of a million rows. Existing patients' words are collected."""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS name_word_trgm ON patients_nameword USING gin (word gin_trgm_ops);
CREATE INDEX IF NOT EXISTS name_word_prefix ON patients_nameword (clinic_id, word text_pattern_ops);
CREATE INDEX IF NOT EXISTS patient_search_name_prefix
    ON patients_patient (clinic_id, search_name text_pattern_ops);
CREATE INDEX IF NOT EXISTS patient_family_upper ON patients_patient (clinic_id, upper(family_name));
"""
DROP = """
DROP INDEX IF EXISTS patient_family_upper;
DROP INDEX IF EXISTS patient_search_name_prefix;
DROP INDEX IF EXISTS name_word_prefix;
DROP INDEX IF EXISTS name_word_trgm;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)
    Patient = apps.get_model("patients", "Patient")
    NameWord = apps.get_model("patients", "NameWord")
    words = {
        (clinic_id, word)
        for clinic_id, name in Patient.objects.values_list("clinic_id", "search_name").iterator()
        for word in name.split()
    }
    NameWord.objects.bulk_create(
        [NameWord(clinic_id=c, word=w) for c, w in words], ignore_conflicts=True, batch_size=1000
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("patients", "0004_name_words")]
    operations = [migrations.RunPython(create, drop)]
