"""人群风险: the population dashboard of one institution — China-PAR's category distribution and
the counts by classification, from the last run of the population job (risk.jobs), with
"recompute now".

Only counts are shown (D-01), so the page reads no customer and writes no read entries; asking
for a recompute is audited, and the run itself writes its own job entry (D-07).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from jianguan import clinical
from jianguan.accounts.actors import actor_for
from jianguan.accounts.decorators import staff_view
from jianguan.accounts.models import Institution
from jianguan.audit.ledger import record

from . import population

VIEW = "risk.population.view"
RISK_MODEL = "china_par"
CLASSIFICATIONS = (
    "bp_class",
    "bmi",
    "waist_class",
    "lipid_class",
    "glycaemic_status",
    "hyperuricaemia",
    "metabolic_syndrome_cds",
    "ckd_epi_2021",
    "cdrs",
)
# Bar colours only: categories a health manager would act on (bad) or watch (warn).
TONES = {
    "bad": {
        "high",
        "grade_2",
        "grade_3",
        "obese",
        "central_obesity",
        "raised",
        "diabetes_range",
        "hyperuricaemia",
        "metabolic_syndrome",
        "g4",
        "g5",
        "ogtt_recommended",
    },
    "warn": {
        "intermediate",
        "borderline",
        "high_normal",
        "grade_1",
        "overweight",
        "underweight",
        "pre_central_obesity",
        "ifg",
        "igt",
        "ifg_igt",
        "g3a",
        "g3b",
    },
    "muted": {"indeterminate"},
}


@dataclass(frozen=True)
class Row:
    code: str
    label: str
    count: int
    percent: float  # of the customers the model assessed
    tone: str


@dataclass
class Block:
    model_id: str
    title: str
    rows: list[Row] = field(default_factory=list)
    assessed: int = 0
    not_enough_data: int = 0
    outside_model: int = 0

    @property
    def customers(self) -> int:
        return self.assessed + self.not_enough_data + self.outside_model


def _tone(code: str) -> str:
    return next((tone for tone, codes in TONES.items() if code in codes), "ok")


def block(model_id: str, counts: dict[str, int], lang_en: bool) -> Block:
    model = clinical.get(model_id)
    out = Block(model_id, model.title_en if lang_en else model.title_zh)
    out.not_enough_data = counts.get(population.NOT_ENOUGH_DATA, 0)
    out.outside_model = counts.get(population.OUTSIDE_MODEL, 0)
    categories = [c for c in counts if c not in population.BUCKETS]
    out.assessed = sum(counts[c] for c in categories)
    for code in categories:
        category = model.category(code)
        label = (category.label_en if lang_en else category.label_zh) if category else code
        share = 100.0 * counts[code] / out.assessed if out.assessed else 0.0
        out.rows.append(Row(code, label, counts[code], share, _tone(code)))
    order = [c.code for c in model.categories]
    out.rows.sort(key=lambda r: order.index(r.code) if r.code in order else len(order))
    return out


@staff_view(VIEW)
def population_dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    if request.method == "POST":
        record(
            "risk.population_recompute",
            actor=actor,
            resource_type="PopulationCount",
            resource_id=str(actor.institution_id),
        )
        from django_q.tasks import async_task

        async_task(
            "jianguan.risk.jobs.population_counts_for",
            str(actor.institution_id),
            task_name="population_counts",
        )
        messages.success(request, _("已开始重新计算，完成后刷新本页即可看到新的结果。"))
        return redirect("risk:population")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    assert actor.institution_id is not None  # staff users belong to one institution (D-10)
    last = population.stored(actor.institution_id)
    lang_en = (translation.get_language() or "").startswith("en")
    blocks = [
        block(m, last.counts[m], lang_en)
        for m in (RISK_MODEL, *CLASSIFICATIONS)
        if m in last.counts
    ]
    institution = Institution.objects.get(pk=actor.institution_id)
    return render(
        request,
        "risk/population.html",
        {
            "computed_at": last.computed_at,
            "customers": blocks[0].customers if blocks else 0,
            "blocks": blocks,
            "region_missing": institution.region_north is None or institution.region_urban is None,
        },
    )
