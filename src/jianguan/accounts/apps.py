from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jianguan.accounts"
    label = "accounts"
    verbose_name = "Accounts"
