from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "clinicflow.accounts"
    label = "accounts"
    verbose_name = "Accounts and staff"

    def ready(self) -> None:
        from clinicflow.accounts import contributions, signals

        signals.connect()
        contributions.register()
