"""The staff shell: headers, error pages, offline assets, production safety settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

import jianguan

SRC = Path(jianguan.__file__).parent


def test_anonymous_dashboard_redirects_to_login(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_htmx_request_without_session_gets_401_with_hx_redirect(client: Client) -> None:
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 401
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_every_response_has_a_strict_csp_and_no_server_header(client: Client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "Server" not in response
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_authenticated_pages_are_not_cached(staff_client) -> None:  # type: ignore[no-untyped-def]
    client, _ = staff_client("doctor")
    response = client.get("/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_hsts_is_sent_over_tls(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_HSTS_SECONDS = 31536000
    secure = client.get("/accounts/login/", secure=True)
    plain = client.get("/accounts/login/")
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in plain


def test_unknown_page_shows_the_correlation_id(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["X-Request-ID"] in response.content.decode()


@pytest.mark.urls("tests.web.urls_boom")
def test_server_error_shows_correlation_id_and_no_internals(db: None) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert response["X-Request-ID"] in body
    for leak in ("Traceback", "RuntimeError", "settings.py", "SELECT", "/srv/", "Django"):
        assert leak not in body


def test_post_without_csrf_token_is_refused(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 403
    assert "Traceback" not in response.content.decode()


def test_htmx_is_served_from_the_installed_package() -> None:
    assert finders.find("django_htmx/htmx-2.min.js") is not None
    base = (SRC / "web/templates/web/base.html").read_text()
    assert "django_htmx/htmx-2.min.js" in base
    assert '"allowEval": false' in base


def test_no_template_or_stylesheet_loads_anything_from_another_host() -> None:
    external = re.compile(r"(?:src|href|url)\s*[=(]\s*['\"]?(?:https?:)?//", re.I)
    offenders = []
    for path in list(SRC.rglob("*.html")) + list(SRC.rglob("*.css")) + list(SRC.rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        if external.search(text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_no_template_has_inline_script_or_style_attributes() -> None:
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
    handlers = re.compile(r"\s(?:on[a-z]+|hx-on[:\w-]*|style)\s*=", re.I)
    offenders = []
    for path in SRC.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if inline_script.search(text) or handlers.search(text):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


def test_production_refuses_postgres_over_tcp_without_verify_full() -> None:
    from jianguan.settings.safety import require_verified_tls

    pg = {"ENGINE": "django.db.backends.postgresql", "HOST": "db.internal", "OPTIONS": {}}
    with pytest.raises(ImproperlyConfigured, match="verify-full"):
        require_verified_tls(pg)
    with pytest.raises(ImproperlyConfigured):
        require_verified_tls({**pg, "OPTIONS": {"sslmode": "require"}})
    require_verified_tls({**pg, "OPTIONS": {"sslmode": "verify-full"}})
    require_verified_tls({**pg, "HOST": "/var/run/postgresql"})
    require_verified_tls({"ENGINE": "django.db.backends.sqlite3", "NAME": "x"})


def test_audit_retention_floor_is_at_least_six_months(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.JIANGUAN_AUDIT_RETENTION_DAYS >= 183


def test_dashboard_shows_only_the_cards_the_roles_may_open(staff_client) -> None:  # type: ignore[no-untyped-def]
    cards = {
        "institution_admin": "card-users",
        "auditor": "card-ledger",
        "security_admin": "card-keys",
    }
    for role, card in cards.items():
        client, _ = staff_client(role)
        page = client.get("/").content.decode()
        assert f'id="{card}"' in page
        for other in set(cards.values()) - {card}:
            if other == "card-users" and role == "security_admin":
                continue  # the security admin may view the user list (matrix.toml)
            assert f'id="{other}"' not in page, (role, other)
    client, _ = staff_client("doctor")
    page = client.get("/").content.decode()
    assert not any(f'id="{c}"' in page for c in cards.values())


def test_browser_language_does_not_override_the_chinese_default(client: Client) -> None:
    page = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "用户名" in page
    assert 'lang="zh-hans"' in page
