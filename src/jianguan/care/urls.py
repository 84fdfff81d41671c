from django.urls import path

from . import views

app_name = "care"

urlpatterns = [
    path("customers/<uuid:customer_id>/advice/draft/", views.advice_draft, name="advice_draft"),
    path(
        "customers/<uuid:customer_id>/advice/plans/<uuid:plan_id>/",
        views.advice_save,
        name="advice_save",
    ),
]
