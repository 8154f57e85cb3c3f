from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "clinicflow.notifications"
    label = "notifications"
    verbose_name = "Notifications"
