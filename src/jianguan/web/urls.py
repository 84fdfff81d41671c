from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("security/keys/", views.key_status, name="key_status"),
    path("inbox/<str:notification_id>/read/", views.inbox_read, name="inbox_read"),
]
