from django.urls import path

from .views import auth, users

app_name = "accounts"

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("mfa/", auth.mfa_view, name="mfa"),
    path("mfa/enrol/", auth.enrol_view, name="enrol"),
    path("reauth/", auth.reauth_view, name="reauth"),
    path("logout/", auth.logout_view, name="logout"),
    path("security/", auth.security_view, name="security"),
    path("activate/", auth.activate_view, name="activate"),
    path("activate/<str:token>/", auth.activate_view, name="activate_token"),
    path("users/", users.user_list, name="user_list"),
]
