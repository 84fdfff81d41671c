"""The permission matrix (AZ-05, AZ-06, D-10): one generated test per cell and per guarded page."""

from __future__ import annotations

import copy
import itertools
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from jianguan.accounts import matrix
from jianguan.accounts.decorators import CAPABILITY_VIEWS
from jianguan.accounts.models import Institution, User
from jianguan.accounts.services import users as services
from jianguan.core.actors import Actor
from tests.accounts.urlwalk import routes
from tests.conftest import login_as

# Read the file independently of matrix.py, so the cell tests check the loader too.
RAW = tomllib.loads(matrix.MATRIX_FILE.read_text(encoding="utf-8"))
ROLES = list(RAW["roles"])
CAPABILITIES = {cap: row for cap, row in RAW["capabilities"].items()}
CELLS = [(role, cap, row[role]) for cap, row in CAPABILITIES.items() for role in ROLES]
EXCLUSIVE = sorted(RAW["exclusive"]["admin_roles"])


def _guarded_pages() -> list[tuple[str, str, str, bool]]:
    """(role, capability, path, allowed) for every argument-free page behind a capability."""
    cases = []
    for route in routes():
        if route.takes_arguments:
            continue
        for cap, views in CAPABILITY_VIEWS.items():
            if route.callback in views:
                cases += [(role, cap, route.path(), matrix.allowed({role}, cap)) for role in ROLES]
    return cases


PAGES = _guarded_pages()


# (a) one test per cell ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "capability", "cell"), CELLS, ids=[f"{r}-{c}" for r, c, _ in CELLS]
)
def test_matrix_cell(role: str, capability: str, cell: bool) -> None:
    assert matrix.allowed({role}, capability) is cell


def test_every_cell_is_generated() -> None:
    assert len(CELLS) == len(matrix.roles()) * len(matrix.capabilities())
    assert len(CELLS) >= 8 * 10


def test_a_role_with_no_capability_row_allows_nothing() -> None:
    assert not matrix.allowed(set(), "accounts.user.view")


def test_unknown_capability_is_an_error_not_a_denial() -> None:
    with pytest.raises(matrix.MatrixError):
        matrix.allowed({"doctor"}, "no.such.capability")


# (b) one test per guarded page, role and capability ----------------------------------------------


def test_guarded_pages_are_found() -> None:
    caps = {cap for _, cap, _, _ in PAGES}
    assert {"accounts.user.view", "accounts.user.manage", "accounts.team.manage"} <= caps
    assert "audit.ledger.view" in caps and "security.keys.view" in caps


@pytest.mark.parametrize(
    ("role", "capability", "path", "is_allowed"),
    PAGES,
    ids=[f"{r}-{c}-{p}" for r, c, p, _ in PAGES],
)
def test_guarded_page(
    role: str,
    capability: str,
    path: str,
    is_allowed: bool,
    make_user: Callable[..., User],
) -> None:
    client = login_as(Client(), make_user(role))
    response = client.get(path)
    if is_allowed:
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 302:
            assert response["Location"].startswith(reverse("accounts:reauth"))
    else:
        assert response.status_code == 404


# (c) the matrix file itself ------------------------------------------------------------------


@pytest.mark.parametrize("capability", list(CAPABILITIES))
def test_every_role_has_a_cell_in_the_capability_row(capability: str) -> None:
    cells = {k for k in CAPABILITIES[capability] if k != "label"}
    assert cells == set(ROLES)
    assert all(isinstance(CAPABILITIES[capability][r], bool) for r in ROLES)


def test_every_capability_has_a_label() -> None:
    assert all(isinstance(row.get("label"), str) and row["label"] for row in CAPABILITIES.values())


def test_a_missing_cell_fails_validation() -> None:
    data: dict[str, Any] = copy.deepcopy(RAW)
    del data["capabilities"]["accounts.user.view"]["nurse"]
    with pytest.raises(matrix.MatrixError, match="nurse"):
        matrix.validate(data)


def test_a_new_role_without_rows_fails_validation() -> None:
    data: dict[str, Any] = copy.deepcopy(RAW)
    data["roles"]["pharmacist"] = "药师"
    with pytest.raises(matrix.MatrixError, match="pharmacist"):
        matrix.validate(data)


def test_a_cell_for_an_unknown_role_fails_validation() -> None:
    data: dict[str, Any] = copy.deepcopy(RAW)
    data["capabilities"]["accounts.user.view"]["janitor"] = False
    with pytest.raises(matrix.MatrixError, match="janitor"):
        matrix.validate(data)


def test_a_non_boolean_cell_fails_validation() -> None:
    data: dict[str, Any] = copy.deepcopy(RAW)
    data["capabilities"]["accounts.user.view"]["doctor"] = "yes"
    with pytest.raises(matrix.MatrixError):
        matrix.validate(data)


def test_the_real_file_validates() -> None:
    matrix.validate(copy.deepcopy(RAW))


# (d) three-role separation (AZ-06) -------------------------------------------------------------


def _caps(prefix: str) -> list[str]:
    return [cap for cap in CAPABILITIES if cap.startswith(prefix)]


def test_the_roles_of_d10_exist() -> None:
    assert set(ROLES) >= {
        "institution_admin",
        "security_admin",
        "auditor",
        "doctor",
        "health_manager",
        "nurse",
        "front_desk",
        "followup_agent",
    }
    assert set(EXCLUSIVE) == {"institution_admin", "security_admin", "auditor"}


def test_institution_admin_cannot_view_audit_or_keys() -> None:
    for cap in [*_caps("audit."), *_caps("security.keys.")]:
        assert not matrix.allowed({"institution_admin"}, cap), cap


def test_institution_admin_reads_no_records() -> None:
    for cap in _caps("records."):
        assert not matrix.allowed({"institution_admin"}, cap), cap


def test_auditor_cannot_manage_users_or_teams() -> None:
    for cap in ("accounts.user.manage", "accounts.team.manage"):
        assert not matrix.allowed({"auditor"}, cap), cap


def test_auditor_cannot_view_records() -> None:
    assert _caps("records.")
    for cap in _caps("records."):
        assert not matrix.allowed({"auditor"}, cap), cap


def test_auditor_holds_audit_capabilities_only() -> None:
    held = [cap for cap in CAPABILITIES if matrix.allowed({"auditor"}, cap)]
    assert held and all(cap.startswith("audit.") for cap in held)


def test_security_admin_cannot_view_records_or_audit() -> None:
    for cap in [*_caps("records."), *_caps("audit.")]:
        assert not matrix.allowed({"security_admin"}, cap), cap


def test_security_admin_cannot_manage_users() -> None:
    assert not matrix.allowed({"security_admin"}, "accounts.user.manage")


# (e) never two exclusive roles (D-10) -----------------------------------------------------------

PAIRS = list(itertools.combinations(EXCLUSIVE, 2))


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_matrix_refuses_two_exclusive_roles(pair: tuple[str, str]) -> None:
    assert matrix.check_role_combination(pair) is not None


def test_matrix_accepts_one_exclusive_role_with_others() -> None:
    assert matrix.check_role_combination({"security_admin", "doctor"}) is None


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_service_refuses_to_create_a_user_with_two_exclusive_roles(
    pair: tuple[str, str], institution: Institution
) -> None:
    actor = Actor.system("test", institution.pk)
    with pytest.raises(services.RoleClash) as caught:
        services.create_user(actor, username="clash-user", roles=pair)
    assert caught.value.field == "roles"
    assert not services.selectors.username_taken("clash-user")


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_service_refuses_to_grant_a_second_exclusive_role(
    pair: tuple[str, str], make_user: Callable[..., User], institution: Institution
) -> None:
    user = make_user(pair[0])
    with pytest.raises(services.RoleClash):
        services.set_roles(Actor.system("test", institution.pk), user, pair)
    user.forget_roles()
    assert user.role_codes == {pair[0]}


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_cli_refuses_two_exclusive_roles(pair: tuple[str, str], institution: Institution) -> None:
    with pytest.raises(CommandError, match="role_clash"):
        call_command(
            "users",
            "add",
            "--institution",
            institution.code,
            "--username",
            "clash-cli",
            "--role",
            pair[0],
            "--role",
            pair[1],
        )
    assert not services.selectors.username_taken("clash-cli")
