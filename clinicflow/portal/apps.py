from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "clinicflow.portal"
    label = "portal"
    verbose_name = "Patient portal"

    def ready(self) -> None:
        from clinicflow.portal import contributions

        contributions.register()
