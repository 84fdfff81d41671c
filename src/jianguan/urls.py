"""URL configuration: the only place that imports web views and API routers."""

from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("jianguan.accounts.urls")),
    path("audit/", include("jianguan.audit.urls")),
    path("", include("jianguan.records.urls")),
    path("", include("jianguan.risk.urls")),
    path("", include("jianguan.care.urls")),
    path("", include("jianguan.questionnaires.urls")),
    path("", include("jianguan.web.urls")),
]

handler400 = "jianguan.web.views.bad_request"
handler403 = "jianguan.web.views.not_found"  # D-13: never say "forbidden"
handler404 = "jianguan.web.views.not_found"
handler500 = "jianguan.web.views.server_error"
