"""Where an institution is (China-PAR's region inputs): set by the operator's CLI, audited."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from jianguan.accounts.models import Institution
from jianguan.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_the_cli_sets_north_and_urban_and_audits_it(institution: Institution) -> None:
    assert institution.region_north is None and institution.region_urban is None
    call_command("institutions", "set", "--code", institution.code, "--south", "--urban")
    institution.refresh_from_db()
    assert (institution.region_north, institution.region_urban) == (False, True)
    entry = AuditEntry.objects.get(action="institution.update")
    assert entry.purpose == "fields:region_north,region_urban"
    call_command("institutions", "set", "--code", institution.code, "--north")
    institution.refresh_from_db()
    assert (institution.region_north, institution.region_urban) == (True, True)


def test_an_unknown_code_or_no_choice_is_a_clear_error(institution: Institution) -> None:
    with pytest.raises(CommandError, match="no institution"):
        call_command("institutions", "set", "--code", "nope", "--north")
    with pytest.raises(CommandError, match="--north or --south"):
        call_command("institutions", "set", "--code", institution.code)
