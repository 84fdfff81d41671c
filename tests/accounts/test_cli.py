"""`jianguan institutions …` and `jianguan users …`: bootstrapping a site without a superuser."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from jianguan import cli
from jianguan.accounts.models import Institution, OneTimeLink, User
from jianguan.audit.models import AuditEntry


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The console script in-process: exit code, stdout, stderr."""
    code = 0
    try:
        cli.main(["jianguan", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fetch(username: str) -> User:
    return User.objects.unscoped(reason="test").get(username=username)


# --- institutions -------------------------------------------------------------------------------


def test_institutions_add_creates_and_list_shows_it(db: None) -> None:
    out = run("institutions", "add", "--code", "xh-tijian", "--name", "协和体检中心")
    institution = Institution.objects.get(code="xh-tijian")
    assert str(institution.pk) in out
    listing = run("institutions", "list")
    assert "xh-tijian\t协和体检中心" in listing


def test_institutions_add_is_audited_as_the_cli(db: None) -> None:
    run("institutions", "add", "--code", "audited-site", "--name", "审计机构")
    institution = Institution.objects.get(code="audited-site")
    entry = AuditEntry.objects.get(action="institution.create")
    assert entry.resource_id == str(institution.pk)
    assert entry.actor_id is None and entry.role == "job:cli"


def test_institutions_add_refuses_a_duplicate_code(institution: Institution) -> None:
    with pytest.raises(CommandError, match="duplicate_institution"):
        run("institutions", "add", "--code", institution.code, "--name", "重复")


def test_institutions_add_refuses_a_bad_code(db: None) -> None:
    with pytest.raises(CommandError, match="invalid_institution_code"):
        run("institutions", "add", "--code", "Bad Code!", "--name", "坏代码")


# --- users add ---------------------------------------------------------------------------------


def test_users_add_bootstraps_an_institution_admin(
    institution: Institution, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(
        "users",
        "add",
        "--institution",
        institution.code,
        "--username",
        "site-admin",
        "--role",
        "institution_admin",
        "--full-name",
        "管理员甲",
        "--mobile",
        "13800001234",
    )
    user = fetch("site-admin")
    assert user.role_codes == {"institution_admin"}
    assert user.institution_id == institution.pk
    assert not user.has_usable_password()
    assert user.full_name == "管理员甲" and user.mobile == "13800001234"
    paths = re.findall(r"/accounts/activate/([A-Za-z0-9_-]+)/", out)
    assert len(paths) == 1
    assert OneTimeLink.objects.get(user_id=user.pk).token_hash != paths[0]


def test_users_add_accepts_several_roles(institution: Institution) -> None:
    run(
        "users",
        "add",
        "--institution",
        institution.code,
        "--username",
        "two-roles",
        "--role",
        "doctor",
        "--role",
        "health_manager",
    )
    assert fetch("two-roles").role_codes == {"doctor", "health_manager"}


def test_users_add_is_audited_as_the_cli(institution: Institution) -> None:
    run(
        "users",
        "add",
        "--institution",
        institution.code,
        "--username",
        "cli-made",
        "--role",
        "nurse",
    )
    entry = AuditEntry.objects.get(action="user.create")
    assert entry.resource_id == str(fetch("cli-made").pk)
    assert entry.role == "job:cli"
    assert entry.institution_id == institution.pk


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--institution", "no-such-place", "--role", "nurse"], "unknown_institution"),
        (["--role", "wizard"], "unknown_role"),
        (["--role", "institution_admin", "--role", "security_admin"], "role_clash"),
        (["--role", "nurse", "--mobile", "555-1234"], "invalid_mobile"),
    ],
)
def test_users_add_refuses_bad_input(institution: Institution, args: list[str], code: str) -> None:
    if "--institution" not in args:
        args = ["--institution", institution.code, *args]
    with pytest.raises(CommandError, match=code):
        run("users", "add", "--username", "refused-user", *args)
    assert not User.objects.unscoped(reason="test").filter(username="refused-user").exists()


def test_users_add_refuses_a_duplicate_username(
    institution: Institution, make_user: Callable[..., User]
) -> None:
    make_user("doctor", username="already-here")
    with pytest.raises(CommandError, match="duplicate_username"):
        run(
            "users",
            "add",
            "--institution",
            institution.code,
            "--username",
            "already-here",
            "--role",
            "nurse",
        )


def test_console_script_errors_exit_1_with_a_message_and_no_traceback(
    institution: Institution, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(
        capsys,
        "users",
        "add",
        "--institution",
        institution.code,
        "--username",
        "clash",
        "--role",
        "auditor",
        "--role",
        "institution_admin",
    )
    assert code == 1
    assert "role_clash" in err
    assert "Traceback" not in err and "Traceback" not in out


def test_console_script_unknown_institution_exits_1(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "users", "list", "--institution", "nowhere")
    assert code == 1
    assert "unknown_institution" in err and "Traceback" not in err


# --- users disable, link, list -------------------------------------------------------------------


def test_users_disable_disables_and_ends_sessions(make_user: Callable[..., User]) -> None:
    user = make_user("doctor", username="to-disable")
    out = run("users", "disable", "--username", "to-disable")
    fresh = fetch("to-disable")
    assert not fresh.is_active
    assert fresh.session_epoch == user.session_epoch + 1
    assert "disabled" in out
    entry = AuditEntry.objects.get(action="user.disable")
    assert entry.resource_id == str(user.pk) and entry.role == "job:cli"


def test_users_disable_unknown_user_is_an_error(db: None) -> None:
    with pytest.raises(CommandError, match="unknown_user"):
        run("users", "disable", "--username", "ghost")


def test_users_link_prints_a_reset_link(make_user: Callable[..., User]) -> None:
    user = make_user("doctor", username="forgot-it")
    out = run("users", "link", "--username", "forgot-it")
    assert "password reset" in out
    assert len(re.findall(r"/accounts/activate/[A-Za-z0-9_-]+/", out)) == 1
    assert OneTimeLink.objects.filter(user_id=user.pk, purpose="reset").count() == 1


def test_users_list_shows_only_that_institution(
    institution: Institution, other_institution: Institution, make_user: Callable[..., User]
) -> None:
    make_user("doctor", "nurse", username="here-doc")
    make_user("doctor", username="there-doc", inst=other_institution)
    out = run("users", "list", "--institution", institution.code)
    assert "here-doc\tdoctor,nurse\tactive\tno-mfa" in out
    assert "there-doc" not in out


def test_users_list_prints_no_names_or_phones(
    institution: Institution, make_user: Callable[..., User]
) -> None:
    make_user("doctor", username="quiet-doc", full_name="隐名医生", mobile="13911119999")
    out = run("users", "list", "--institution", institution.code)
    assert "quiet-doc" in out
    assert "隐名医生" not in out and "13911119999" not in out
