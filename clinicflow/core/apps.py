from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clinicflow.core"
    label = "core"
    verbose_name = "ClinicFlow core"

    def ready(self) -> None:
        from clinicflow.core.audit import recorder

        recorder.connect()
