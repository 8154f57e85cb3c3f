"""An appointment's document is always of the appointment's patient and clinic, held by the
database itself (a trigger on both PostgreSQL and SQLite), so a link written by some path that
skipped the service is refused too. Merging moves appointments and documents together, so the
links stay true without being rewritten."""

from django.db import migrations

LINK = "scheduling_appointmentdocument"
APPOINTMENT = "(SELECT {col} FROM scheduling_appointment WHERE id = NEW.appointment_id)"
DOCUMENT = "(SELECT {col} FROM patients_patientdocument WHERE id = NEW.document_id)"
MESSAGE = "appointment_document_same_patient: the document is of another patient or clinic"

POSTGRES = f"""
CREATE FUNCTION appointment_document_same_patient() RETURNS trigger AS $$
BEGIN
    IF {APPOINTMENT.format(col="patient_id")} IS DISTINCT FROM {DOCUMENT.format(col="patient_id")}
       OR {APPOINTMENT.format(col="clinic_id")} IS DISTINCT FROM NEW.clinic_id
       OR {DOCUMENT.format(col="clinic_id")} IS DISTINCT FROM NEW.clinic_id THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER appointment_document_same_patient BEFORE INSERT OR UPDATE ON {LINK}
    FOR EACH ROW EXECUTE FUNCTION appointment_document_same_patient();
"""
POSTGRES_DROP = f"""
DROP TRIGGER IF EXISTS appointment_document_same_patient ON {LINK};
DROP FUNCTION IF EXISTS appointment_document_same_patient();
"""

SQLITE_WHEN = (
    f"{APPOINTMENT.format(col='patient_id')} IS NOT {DOCUMENT.format(col='patient_id')}"
    f" OR {APPOINTMENT.format(col='clinic_id')} IS NOT NEW.clinic_id"
    f" OR {DOCUMENT.format(col='clinic_id')} IS NOT NEW.clinic_id"
)
SQLITE = [
    f"""CREATE TRIGGER appointment_document_same_patient_{event.lower()}
    BEFORE {event} ON {LINK} WHEN {SQLITE_WHEN}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"""
    for event in ("INSERT", "UPDATE")
]
SQLITE_DROP = [
    f"DROP TRIGGER IF EXISTS appointment_document_same_patient_{event}"
    for event in ("insert", "update")
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement, params=None)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DROP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_appointment_documents_and_photo")]
    operations = [migrations.RunPython(create, drop)]
