"""Background jobs of the risk app, run by the job worker (core.maintenance, D-22).

`population_counts` recomputes every institution's population counts nightly;
`population_counts_for` does one institution, for the dashboard's "recompute now". Arguments
are ids only, and a run is idempotent: it replaces the institution's rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from jianguan.accounts import selectors as accounts
from jianguan.accounts.models import Institution
from jianguan.audit.ledger import record_job_run
from jianguan.core.actors import Actor

from . import population
from .models import PopulationCount

JOB = "risk.population_counts"
ACTION = "risk.population_counts"


@dataclass(frozen=True)
class InstitutionRun:
    institution: Institution
    customers: int
    counts: population.Counts


def run_for(institution: Institution) -> InstitutionRun:
    """Count one institution's customers per model and category, replace its stored rows and
    write one audit entry naming the customers whose records were read (D-07), together."""
    actor = Actor.system(JOB, institution.pk)
    run = population.compute(
        actor, region_north=institution.region_north, region_urban=institution.region_urban
    )
    now = timezone.now()
    rows = [
        PopulationCount(
            institution=institution,
            model_id=model_id,
            category=category,
            count=count,
            computed_at=now,
        )
        for model_id, by_category in run.counts.items()
        for category, count in by_category.items()
    ]
    with transaction.atomic():
        PopulationCount.objects.filter(institution=institution).delete()
        PopulationCount.objects.bulk_create(rows)
        record_job_run(
            JOB,
            action=ACTION,
            resource_type="Customer",
            ids=run.customer_ids,
            institution_id=institution.pk,
        )
    return InstitutionRun(institution, len(run.customer_ids), run.counts)


def population_counts() -> str:
    """Every institution, one after the other (nightly)."""
    runs = [run_for(i) for i in accounts.institutions()]
    return f"institutions={len(runs)} customers={sum(r.customers for r in runs)}"


def population_counts_for(institution_id: str) -> str:
    institution = Institution.objects.filter(pk=uuid.UUID(str(institution_id))).first()
    if institution is None:
        return "institution=unknown"
    run = run_for(institution)
    return f"institution={institution.code} customers={run.customers}"
