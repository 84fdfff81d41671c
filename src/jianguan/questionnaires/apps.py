from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    name = "jianguan.questionnaires"
    label = "questionnaires"
    verbose_name = "Questionnaires"

    def ready(self) -> None:
        # a response is a row of the customer's record: merged and erased with it (records);
        # its tab on the 360° page lists the responses (records imports nothing of this app)
        from django.utils.translation import gettext_lazy as _

        from jianguan.records.models import register_personal_model
        from jianguan.records.views.tabs import Tab, register_tab

        from . import views
        from .models import FormResponse

        register_personal_model(FormResponse)
        register_tab(
            Tab("forms", _("问卷"), "records.clinical.view", "questionnaires/tab_forms.html"),
            views.forms_tab,
            after="history",
        )
