from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "clinicflow.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from clinicflow.notifications import contributions

        contributions.register()
