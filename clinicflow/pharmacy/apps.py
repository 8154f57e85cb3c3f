from django.apps import AppConfig


class PharmacyConfig(AppConfig):
    name = "clinicflow.pharmacy"
    label = "pharmacy"
    verbose_name = "Pharmacy"

    def ready(self) -> None:
        from clinicflow.pharmacy import contributions

        contributions.register()
