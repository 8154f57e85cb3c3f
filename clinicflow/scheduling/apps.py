from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "clinicflow.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from clinicflow.scheduling import contributions

        contributions.register()
