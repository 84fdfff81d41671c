from django.urls import path

from . import views

app_name = "questionnaires"

urlpatterns = [
    path("customers/<uuid:customer_id>/forms/<slug:code>/fill/", views.form_fill, name="fill"),
    path(
        "customers/<uuid:customer_id>/forms/responses/<uuid:response_id>/",
        views.form_result,
        name="result",
    ),
]
