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
    path("security/password/", auth.password_change_view, name="password_change"),
    path("security/mfa/", auth.security_mfa_view, name="security_mfa"),
    path("security/recovery-codes/", auth.recovery_codes_view, name="recovery_codes"),
    path("security/sessions/", auth.end_sessions_view, name="end_sessions"),
    path("activate/", auth.activate_view, name="activate"),
    path("activate/<str:token>/", auth.activate_view, name="activate_token"),
    path("users/", users.user_list, name="user_list"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<uuid:user_id>/", users.user_detail, name="user_detail"),
    path("users/<uuid:user_id>/disable/", users.user_disable, name="user_disable"),
    path("users/<uuid:user_id>/enable/", users.user_enable, name="user_enable"),
    path("users/<uuid:user_id>/mfa-reset/", users.user_mfa_reset, name="user_mfa_reset"),
    path(
        "users/<uuid:user_id>/password-link/", users.user_password_link, name="user_password_link"
    ),
    path("teams/", users.team_list, name="team_list"),
    path("teams/new/", users.team_create, name="team_create"),
    path("teams/<uuid:team_id>/", users.team_edit, name="team_edit"),
]
