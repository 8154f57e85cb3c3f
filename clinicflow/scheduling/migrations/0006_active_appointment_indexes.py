"""Partial indexes of the active appointments: the free-slot and booking queries of one doctor
(or patient) read only these, however many past appointments the clinic keeps."""

from django.db import migrations, models

ACTIVE = ("requested", "booked", "checked_in", "in_consultation")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0005_appointment_document_same_patient")]

    operations = [
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                condition=models.Q(status__in=ACTIVE),
                fields=["practitioner", "starts_at", "ends_at"],
                name="appointment_doctor_active_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                condition=models.Q(status__in=ACTIVE),
                fields=["patient", "starts_at", "ends_at"],
                name="appointment_patient_active_idx",
            ),
        ),
    ]
