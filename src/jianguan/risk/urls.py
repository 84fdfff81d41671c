from django.urls import URLPattern, path

from . import dashboard

app_name = "risk"

urlpatterns: list[URLPattern] = [
    path("population/", dashboard.population_dashboard, name="population"),
]
