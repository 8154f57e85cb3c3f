from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "clinicflow.patients"
    label = "patients"
    verbose_name = "Patients"

    def ready(self) -> None:
        from clinicflow.patients import contributions, uploads

        contributions.register()
        uploads.bound_image_decoding()
