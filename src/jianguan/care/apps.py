from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "jianguan.care"
    label = "care"
    verbose_name = "Care plans"

    def ready(self) -> None:
        # records imports nothing of this app: it learns of its rows and its tab here (D-34)
        from jianguan.records.models import register_personal_model
        from jianguan.records.views.tabs import Tab, register_tab

        from . import views
        from .models import AdviceItem, AdvicePlan

        register_personal_model(AdvicePlan)
        register_personal_model(AdviceItem)
        register_tab(
            Tab("advice", _("健康建议"), "records.clinical.view", "care/tab_advice.html"),
            views.advice_tab,
            after="trends",
        )
