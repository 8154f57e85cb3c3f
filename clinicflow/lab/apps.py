from django.apps import AppConfig


class LabConfig(AppConfig):
    name = "clinicflow.lab"
    label = "lab"
    verbose_name = "Laboratory"

    def ready(self) -> None:
        from clinicflow.lab import contributions

        contributions.register()
