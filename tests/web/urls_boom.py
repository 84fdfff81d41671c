"""The project's URLs plus one view that fails, to see what a server error shows."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from jianguan.urls import handler404, handler500
from jianguan.urls import urlpatterns as project_urls

__all__ = ["handler404", "handler500", "urlpatterns"]


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internal detail /srv/jianguan/settings.py SELECT * FROM users")


urlpatterns = [path("boom/", boom), *project_urls]
