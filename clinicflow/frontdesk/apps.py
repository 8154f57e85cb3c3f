from django.apps import AppConfig


class FrontdeskConfig(AppConfig):
    name = "clinicflow.frontdesk"
    label = "frontdesk"
    verbose_name = "Front desk"

    def ready(self) -> None:
        from clinicflow.frontdesk import contributions

        contributions.register()
