from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "clinicflow.billing"
    label = "billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        from clinicflow.billing import contributions

        contributions.register()
