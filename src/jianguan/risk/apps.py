from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RiskConfig(AppConfig):
    name = "jianguan.risk"
    label = "risk"
    verbose_name = "Risk assessment"

    def ready(self) -> None:
        # The customer 360° page shows these tabs; records imports nothing of this app (D-34).
        from jianguan.records.views.tabs import Tab, register_tab

        from . import views

        register_tab(
            Tab("risk", _("风险评估"), "records.clinical.view", "risk/tab_risk.html"),
            views.risk_tab,
            after="results",
        )
        register_tab(
            Tab("trends", _("指标趋势"), "records.clinical.view", "risk/tab_trends.html"),
            views.trends_tab,
            after="risk",
        )
