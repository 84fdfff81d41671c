"""Demo data and newcomer login (D-12) and no default accounts (AUTHN-14)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from jianguan.accounts import matrix
from jianguan.accounts.models import Institution, OneTimeLink, TotpDevice, User
from jianguan.accounts.services import totp

from .auth_helpers import MFA, post_password

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def passwords(output: str) -> dict[str, str]:
    found = re.findall(r"^  (demo-\S+) .*?\n    password: (\S+)$", output, flags=re.M)
    return dict(found)


def test_fresh_migrate_has_no_accounts_at_all() -> None:
    # AUTHN-14: without demo data nothing exists, in particular no admin, root or test account.
    users = User.objects.unscoped(reason="test")
    assert users.count() == 0
    assert not users.filter(username__in=["admin", "root", "test", "administrator"]).exists()
    assert Institution.objects.count() == 0


def test_demo_creates_the_demo_institution() -> None:
    run()
    institution = Institution.objects.get(code="demo")
    assert institution.is_demo and institution.name == "健管示范体检中心"


def test_demo_creates_one_account_per_role_of_the_matrix() -> None:
    run()
    users = User.objects.unscoped(reason="test").filter(institution__code="demo")
    assert {u.username: set(u.role_codes) for u in users} == {
        f"demo-{role}": {role} for role in matrix.roles()
    }


def test_demo_accounts_have_full_names_and_enrolled_totp() -> None:
    run()
    for user in User.objects.unscoped(reason="test").filter(institution__code="demo"):
        assert user.full_name
        assert TotpDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_demo_prints_a_password_otpauth_uri_and_code_hint_per_account() -> None:
    output = run()
    found = passwords(output)
    assert set(found) == {f"demo-{role}" for role in matrix.roles()}
    assert len(set(found.values())) == len(found)
    for username in found:
        assert f"otpauth://totp/Jianguan:{username}?secret=" in output
        assert f"jianguan demo code {username}" in output


def test_demo_passwords_are_random_per_run() -> None:
    first = passwords(run())
    second = passwords(run())
    assert all(first[u] != second[u] for u in first)


def test_demo_activation_links_are_spent() -> None:
    run()
    assert not OneTimeLink.objects.filter(used_at__isnull=True).exists()


def test_printed_password_and_demo_code_sign_in() -> None:
    password = passwords(run())["demo-doctor"]
    client = Client()
    assert post_password(client, "demo-doctor", password)["Location"] == MFA
    code = run("code", "demo-doctor").strip()
    assert re.fullmatch(r"[0-9]{6}", code)
    response = client.post(MFA, {"code": code})
    assert response.status_code == 302 and response["Location"] == "/"


def test_if_empty_creates_the_demo_on_an_empty_database() -> None:
    run("--if-empty")
    assert Institution.objects.filter(code="demo", is_demo=True).exists()


def test_if_empty_does_nothing_when_an_institution_exists(institution: Institution) -> None:
    output = run("--if-empty")
    assert not Institution.objects.filter(code="demo").exists()
    assert passwords(output) == {} and "demo code demo-doctor" in output


def test_if_empty_does_not_print_passwords_again() -> None:
    run()
    output = run("--if-empty")
    assert passwords(output) == {} and "otpauth" not in output


def test_demo_code_refuses_accounts_outside_the_demo(make_user: Callable[..., User]) -> None:
    user = make_user("doctor")
    totp.enrol_confirmed(user)
    with pytest.raises(CommandError) as info:
        run("code", user.username)
    assert info.value.returncode == 1 and "demo institution" in str(info.value)


def test_demo_code_refuses_unknown_accounts() -> None:
    with pytest.raises(CommandError):
        run("code", "demo-nobody")


def test_demo_code_prints_the_current_code_of_the_seed() -> None:
    run()
    user = User.objects.unscoped(reason="test").get(username="demo-nurse")
    device = totp.confirmed_device(user)
    assert device is not None
    code = run("code", "demo-nurse").strip()
    assert code in {totp.code_at(bytes(device.seed), totp.server_step() * 30 - d) for d in (0, 30)}
