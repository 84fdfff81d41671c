from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "jianguan.records"
    label = "records"
    verbose_name = "Records"
