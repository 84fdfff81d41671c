"""Team pages (D-10): the institution admin configures name, lead and members."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client

from jianguan.accounts.models import Institution, Team, User

StaffClient = Callable[..., tuple[Client, User]]


def member_ids(team: Team) -> list[uuid.UUID]:
    return list(Team.members.through.objects.filter(team=team).values_list("user_id", flat=True))


@pytest.mark.parametrize("role", ["security_admin", "auditor", "doctor", "health_manager"])
def test_only_the_institution_admin_manages_teams(staff_client: StaffClient, role: str) -> None:
    client, _ = staff_client(role)
    assert client.get("/accounts/teams/").status_code == 404
    assert client.post("/accounts/teams/new/", {"name": "x"}).status_code == 404
    assert not Team.objects.exists()


def test_create_team_with_lead_and_members(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, _ = staff_client("institution_admin")
    lead = make_user("health_manager", full_name="组长甲")
    member = make_user("followup_agent")
    response = client.post(
        "/accounts/teams/new/",
        {"name": "随访一组", "lead": str(lead.pk), "members": [str(lead.pk), str(member.pk)]},
    )
    assert response.status_code == 302
    team = Team.objects.get(name="随访一组")
    assert team.lead_id == lead.pk
    assert set(member_ids(team)) == {lead.pk, member.pk}
    body = client.get("/accounts/teams/").content.decode()
    assert "随访一组" in body and "组长甲" in body


def test_team_form_offers_only_own_institution_users(
    staff_client: StaffClient, make_user: Callable[..., User], other_institution: Institution
) -> None:
    client, _ = staff_client("institution_admin")
    stranger = make_user("doctor", username="far-away", inst=other_institution)
    page = client.get("/accounts/teams/new/").content.decode()
    assert "far-away" not in page and str(stranger.pk) not in page
    response = client.post(
        "/accounts/teams/new/", {"name": "混合组", "members": [str(stranger.pk)]}
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["members"]
    assert not Team.objects.filter(name="混合组").exists()


def test_duplicate_team_name_is_an_error_on_the_name(staff_client: StaffClient) -> None:
    client, admin = staff_client("institution_admin")
    Team.objects.create(institution_id=admin.institution_id, name="体检组")
    response = client.post("/accounts/teams/new/", {"name": "体检组"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["name"]


def test_edit_team_changes_members(
    staff_client: StaffClient, make_user: Callable[..., User]
) -> None:
    client, admin = staff_client("institution_admin")
    old, new = make_user("nurse"), make_user("nurse")
    team = Team.objects.create(institution_id=admin.institution_id, name="护理组")
    team.members.add(old)
    page = client.get(f"/accounts/teams/{team.pk}/")
    assert page.context["form"].initial["members"] == [str(old.pk)]
    response = client.post(
        f"/accounts/teams/{team.pk}/", {"name": "护理组", "members": [str(new.pk)]}
    )
    assert response.status_code == 302
    assert member_ids(team) == [new.pk]


def test_another_institutions_team_is_404(
    staff_client: StaffClient, other_institution: Institution
) -> None:
    client, _ = staff_client("institution_admin")
    team = Team.objects.create(institution=other_institution, name="外院组")
    assert client.get(f"/accounts/teams/{team.pk}/").status_code == 404
    assert client.post(f"/accounts/teams/{team.pk}/", {"name": "改掉"}).status_code == 404
    assert "外院组" not in client.get("/accounts/teams/").content.decode()
    team.refresh_from_db()
    assert team.name == "外院组"
