from django.apps import AppConfig


class ClinicalConfig(AppConfig):
    name = "clinicflow.clinical"
    label = "clinical"
    verbose_name = "Consultation"

    def ready(self) -> None:
        from clinicflow.clinical import contributions

        contributions.register()
