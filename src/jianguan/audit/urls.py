from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.entry_list, name="entry_list"),
    path("export.csv", views.export, name="export"),
]
