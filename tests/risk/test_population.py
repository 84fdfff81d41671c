"""Population mode: the panel's models over an institution's customers in bulk count every
customer exactly as the 风险评估 tab computes them one by one; the nightly job stores the counts
and audits each institution's run once; the 人群风险 page shows them to the roles that may."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import Institution, User
from jianguan.audit.models import AuditEntry, AuditJobItem
from jianguan.core.actors import Actor
from jianguan.core.maintenance import SCHEDULES
from jianguan.records.models import (
    Customer,
    FamilyHistory,
    HistoryItem,
    Lifestyle,
    Medication,
    Observation,
)
from jianguan.records.services import history
from jianguan.records.services.enrolment import EnrolmentData, enrol
from jianguan.records.services.observations import record_vitals
from jianguan.risk import jobs, population, selectors
from jianguan.risk.models import PopulationCount
from jianguan.risk.services import assessment
from tests.conftest import login_as

pytestmark = pytest.mark.django_db
StaffClient = Callable[..., tuple[Client, User]]
WHEN = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)
LABS = {  # item code → (LOINC, unit, low, high) for the random population
    "total_cholesterol": ("14647-2", "mmol/L", 3.0, 8.0),
    "hdl_c": ("14646-4", "mmol/L", 0.7, 2.2),
    "ldl_c": ("22748-8", "mmol/L", 1.5, 5.5),
    "triglycerides": ("14927-8", "mmol/L", 0.5, 4.0),
    "fasting_glucose": ("14771-0", "mmol/L", 4.0, 9.0),
    "hba1c": ("4548-4", "%", 4.5, 8.5),
    "creatinine": ("14682-9", "umol/L", 40.0, 400.0),
    "uric_acid": ("14933-6", "umol/L", 200.0, 560.0),
}
ROLES_WITH = ("health_manager", "doctor", "institution_admin")
ROLES_WITHOUT = ("nurse", "front_desk", "followup_agent", "auditor", "security_admin")
_seq = iter(range(10_000))


def add(actor: Actor, c: Customer, model: type[Any], **fields: Any) -> None:
    history.save_new(actor, model(institution_id=c.institution_id, customer_id=c.pk, **fields))


def lab(
    actor: Actor,
    c: Customer,
    code: str,
    value: Any,
    *,
    unit: str | None = None,
    when: dt.datetime = WHEN,
    status: str = "final",
) -> None:
    loinc, default_unit, _low, _high = LABS.get(code, ("", "", 0, 0))
    add(
        actor,
        c,
        Observation,
        loinc=loinc,
        local_code=code,
        unit=unit or default_unit,
        value_num=value,
        effective=when,
        status=status,
        source="import",
    )


def person(actor: Actor, sex: str = "M", born: dt.date | None = dt.date(1965, 4, 1)) -> Customer:
    name = f"人群测试{next(_seq)}"
    return enrol(
        actor,
        EnrolmentData(name=name, sex=sex, birth_date=born, consent=True),
        allow_duplicate=True,
    )


@pytest.fixture
def nurse(make_user: Callable[..., User], institution: Institution) -> Actor:
    institution.region_north, institution.region_urban = True, False
    institution.save()
    return actor_for_user(make_user("nurse"))


def random_population(actor: Actor, n: int, seed: int = 20250601) -> list[Customer]:
    """Customers with a random part of a record each: some young, some without birth date,
    some with no results at all, some with values the models refuse."""
    rng = random.Random(seed)
    made = []
    for _ in range(n):
        born = None if rng.random() < 0.08 else dt.date(rng.randint(1935, 2012), 3, 15)
        c = person(actor, rng.choice("MMFFU"), born)
        if rng.random() < 0.85:
            vitals = {
                k: str(v)
                for k, v in (
                    ("systolic", rng.randint(100, 185)),
                    ("diastolic", rng.randint(60, 99)),
                    ("height", rng.randint(150, 188)),
                    ("weight", rng.randint(45, 105)),
                    ("waist", rng.randint(62, 112)),
                )
                if rng.random() < 0.85
            }
            if ("systolic" in vitals) != ("diastolic" in vitals):  # the form takes both or none
                vitals.pop("systolic", None), vitals.pop("diastolic", None)
            if vitals:
                record_vitals(actor, c, vitals, effective=WHEN)
        for code, (_loinc, _unit, low, high) in LABS.items():
            if rng.random() < 0.6:
                lab(actor, c, code, round(rng.uniform(low, high), 2))
        if rng.random() < 0.3:
            add(actor, c, Lifestyle, data={"smoking": {"status": rng.choice(["current", "never"])}})
        if rng.random() < 0.2:
            add(actor, c, Medication, name=rng.choice(["氨氯地平片", "二甲双胍", "阿司匹林"]))
        if rng.random() < 0.15:
            add(actor, c, HistoryItem, kind="condition", code="E11.9", name="2型糖尿病")
        if rng.random() < 0.15:
            add(actor, c, FamilyHistory, relation="father", code=rng.choice(["I21", "E11"]))
        made.append(c)
    return made


def edge_cases(actor: Actor) -> list[Customer]:
    """Records the bulk path could read differently from the tab's."""
    # latest wins; a newer result withdrawn (entered in error) or without a number is skipped
    a = person(actor, "M", dt.date(1958, 1, 1))
    record_vitals(actor, a, {"systolic": "150", "diastolic": "95", "waist": "99"}, effective=WHEN)
    lab(actor, a, "uric_acid", 300.0, when=WHEN - dt.timedelta(days=400))
    lab(actor, a, "uric_acid", 480.0)
    lab(actor, a, "total_cholesterol", 5.0, when=WHEN - dt.timedelta(days=30))
    lab(actor, a, "total_cholesterol", 9.0, status="entered-in-error")
    lab(actor, a, "hdl_c", 1.2, when=WHEN - dt.timedelta(days=30))
    lab(actor, a, "hdl_c", None, when=WHEN + dt.timedelta(days=1))
    # a unit the engine does not read: as if not measured
    b = person(actor, "F", dt.date(1970, 6, 1))
    lab(actor, b, "total_cholesterol", 201.0, unit="mg/dL")
    lab(actor, b, "hdl_c", 1.3)
    # values the models refuse: HDL not below TC, DBP not below SBP
    c = person(actor, "M", dt.date(1960, 2, 1))
    lab(actor, c, "total_cholesterol", 1.0)
    lab(actor, c, "hdl_c", 1.5)
    for code, value in (("systolic", 120.0), ("diastolic", 130.0)):
        add(
            actor,
            c,
            Observation,
            loinc="",
            local_code=code,
            unit="mm[Hg]",
            value_num=value,
            effective=WHEN,
        )
    # a child: the adult classifications do not apply
    d = person(actor, "F", dt.date.today().replace(year=dt.date.today().year - 12, day=1))
    record_vitals(actor, d, {"height": "150", "weight": "40", "waist": "60"}, effective=WHEN)
    # stopped medication and a resolved condition count for nothing
    e = person(actor, "M", dt.date(1962, 1, 1))
    add(actor, e, Medication, name="二甲双胍", active=False)
    add(actor, e, HistoryItem, kind="condition", code="E11.9", clinical_status="resolved")
    add(actor, e, Lifestyle, data={"smoking": {"status": "former"}})
    lab(actor, e, "fasting_glucose", 6.5)
    return [a, b, c, d, e]


def one_by_one(actor: Actor, customers: list[Customer], region: dict[str, bool]) -> Counter[Any]:
    """What the tab shows, customer by customer (calculate), bucketed as the dashboard does."""
    found: Counter[Any] = Counter()
    for customer in customers:
        inputs = selectors.model_inputs(selectors.record_facts(actor, customer))
        inputs.update(region)
        for item in assessment.panel(inputs):
            if item.result is not None:
                found[item.model_id, item.result.category] += 1
            elif item.missing or (
                item.refused is not None and item.refused.code in ("missing", "no_lipid_given")
            ):
                found[item.model_id, population.NOT_ENOUGH_DATA] += 1
            else:
                found[item.model_id, population.OUTSIDE_MODEL] += 1
    return found


def flat(counts: population.Counts) -> Counter[Any]:
    return Counter({(m, c): n for m, by in counts.items() for c, n in by.items() if n})


def system(institution: Institution) -> Actor:
    return Actor.system(jobs.JOB, institution.pk)


def computed(institution: Institution) -> population.Run:
    return population.compute(
        system(institution),
        region_north=institution.region_north,
        region_urban=institution.region_urban,
    )


# --- the counts -----------------------------------------------------------------------------------


def test_counts_equal_the_per_customer_calculation(nurse: Actor, institution: Institution) -> None:
    customers = random_population(nurse, 40) + edge_cases(nurse)
    run = computed(institution)
    assert sorted(run.customer_ids) == sorted(c.pk for c in customers)
    assert flat(run.counts) == one_by_one(nurse, customers, {"north": True, "urban": False})


def test_every_customer_is_in_one_bucket_of_every_model(
    nurse: Actor, institution: Institution
) -> None:
    random_population(nurse, 12, seed=7)
    run = computed(institution)
    assert set(run.counts) == set(population.MODELS)
    assert {sum(by.values()) for by in run.counts.values()} == {12}


def test_the_latest_shown_numeric_result_is_counted(nurse: Actor, institution: Institution) -> None:
    edge_cases(nurse)
    run = computed(institution)
    # only customer a has a uric acid: the newer 480 µmol/L, not the older 300
    assert run.counts["hyperuricaemia"]["hyperuricaemia"] == 1
    assert run.counts["hyperuricaemia"]["normal"] == 0


def test_a_customer_without_results_has_not_enough_data(
    nurse: Actor, institution: Institution
) -> None:
    person(nurse)
    counts = computed(institution).counts
    for model_id in population.MODELS:
        assert counts[model_id][population.NOT_ENOUGH_DATA] == 1, model_id


def test_without_the_region_china_par_has_not_enough_data(
    nurse: Actor, institution: Institution
) -> None:
    c = person(nurse)
    record_vitals(nurse, c, {"systolic": "150", "diastolic": "90", "waist": "95"}, effective=WHEN)
    lab(nurse, c, "total_cholesterol", 6.0)
    lab(nurse, c, "hdl_c", 1.0)
    assessed = computed(institution).counts["china_par"]
    assert sum(n for code, n in assessed.items() if code not in population.BUCKETS) == 1
    institution.region_north = None
    institution.save()
    counts = computed(institution).counts["china_par"]
    assert counts[population.NOT_ENOUGH_DATA] == 1


def test_merged_and_erased_customers_are_not_counted(
    nurse: Actor, institution: Institution
) -> None:
    kept, merged = person(nurse), person(nurse)
    lab(nurse, merged, "uric_acid", 500.0)
    Customer.objects.unscoped(reason="test").filter(pk=merged.pk).update(status="merged")
    run = computed(institution)
    assert run.customer_ids == [kept.pk]
    assert run.counts["hyperuricaemia"]["hyperuricaemia"] == 0


def test_another_institutions_customers_are_never_counted(
    nurse: Actor,
    institution: Institution,
    other_institution: Institution,
    make_user: Callable[..., User],
) -> None:
    mine = person(nurse)
    lab(nurse, mine, "uric_acid", 300.0)
    theirs = actor_for_user(make_user("nurse", inst=other_institution))
    for _ in range(3):
        lab(theirs, person(theirs), "uric_acid", 500.0)
    run = computed(institution)
    assert run.customer_ids == [mine.pk]
    assert run.counts["hyperuricaemia"] == {
        "normal": 1,
        "hyperuricaemia": 0,
        population.NOT_ENOUGH_DATA: 0,
        population.OUTSIDE_MODEL: 0,
    }


def test_the_queries_do_not_grow_with_the_customers(nurse: Actor, institution: Institution) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            computed(institution)
        return len(captured)

    random_population(nurse, 2, seed=1)
    few = queries()
    random_population(nurse, 8, seed=2)
    assert queries() == few <= 8


# --- the job --------------------------------------------------------------------------------------


def job_entries(institution: Institution) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(action=jobs.ACTION, institution_id=institution.pk).order_by("seq")
    )


def stored(institution: Institution) -> Counter[Any]:
    rows = PopulationCount.objects.filter(institution=institution)
    return Counter({(r.model_id, r.category): r.count for r in rows if r.count})


def test_the_job_is_scheduled_nightly() -> None:
    assert ("jianguan.risk.jobs.population_counts", 1440) in [(f, m) for _, f, m in SCHEDULES]


def test_the_job_stores_every_institutions_counts_with_one_entry_each(
    nurse: Actor,
    institution: Institution,
    other_institution: Institution,
    make_user: Callable[..., User],
) -> None:
    mine = random_population(nurse, 6, seed=3)
    theirs = actor_for_user(make_user("nurse", inst=other_institution))
    other = [person(theirs) for _ in range(2)]
    assert "customers=8" in jobs.population_counts()
    assert stored(institution) == flat(computed(institution).counts)
    assert sum(stored(other_institution)[("bmi", c)] for c in population.BUCKETS) == 2
    for inst, customers in ((institution, mine), (other_institution, other)):
        [entry] = job_entries(inst)
        assert entry.purpose == "system" and entry.resource_type == "Customer"
        assert entry.customer_id is None  # one entry for the run, the ids in the child table
        items = AuditJobItem.objects.filter(entry_id=entry.seq).values_list(
            "resource_id", flat=True
        )
        assert sorted(items) == sorted(str(c.pk) for c in customers)


def test_a_second_run_replaces_the_rows(nurse: Actor, institution: Institution) -> None:
    c = person(nurse)
    jobs.run_for(institution)
    first = PopulationCount.objects.filter(institution=institution).count()
    lab(nurse, c, "uric_acid", 500.0)
    jobs.run_for(institution)
    rows = PopulationCount.objects.filter(institution=institution)
    assert rows.count() == first
    assert rows.get(model_id="hyperuricaemia", category="hyperuricaemia").count == 1
    assert len({r.computed_at for r in rows}) == 1
    assert len(job_entries(institution)) == 2


def test_the_command_runs_now_and_prints_the_counts(nurse: Actor, institution: Institution) -> None:
    lab(nurse, person(nurse), "uric_acid", 500.0)
    out = StringIO()
    call_command("population", "--institution", institution.code, stdout=out)
    assert f"{institution.code}\thyperuricaemia\thyperuricaemia\t1" in out.getvalue().splitlines()
    assert len(job_entries(institution)) == 1


def test_the_command_names_an_unknown_institution() -> None:
    with pytest.raises(CommandError, match="no-such-centre"):
        call_command("population", "--institution", "no-such-centre")


# --- the page -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login() -> None:
    response = Client().get("/population/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("role", ROLES_WITHOUT)
def test_roles_without_the_capability_get_404(staff_client: StaffClient, role: str) -> None:
    client, _ = staff_client(role)
    assert client.get("/population/").status_code == 404
    assert client.post("/population/").status_code == 404
    assert not PopulationCount.objects.exists()


@pytest.mark.parametrize("role", ROLES_WITH)
def test_roles_with_the_capability_see_the_page_and_the_link(
    staff_client: StaffClient, role: str
) -> None:
    client, _ = staff_client(role)
    html = client.get("/population/").content.decode()
    assert "人群风险分布" in html and "立即重新计算" in html
    assert '<a href="/population/" aria-current="page">人群风险</a>' in html


def test_the_link_is_not_shown_without_the_capability(staff_client: StaffClient) -> None:
    client, _ = staff_client("nurse")
    assert 'href="/population/"' not in client.get("/").content.decode()


def test_before_the_first_run_the_page_says_so(staff_client: StaffClient) -> None:
    client, _ = staff_client("doctor")
    assert "尚未计算" in client.get("/population/").content.decode()


def test_the_page_shows_the_stored_counts(
    nurse: Actor, institution: Institution, staff_client: StaffClient
) -> None:
    c = person(nurse)
    record_vitals(nurse, c, {"systolic": "160", "diastolic": "100", "waist": "99"}, effective=WHEN)
    lab(nurse, c, "total_cholesterol", 6.5)
    lab(nurse, c, "hdl_c", 0.9)
    person(nurse)
    jobs.run_for(institution)
    client, _ = staff_client("health_manager")
    html = client.get("/population/").content.decode()
    assert 'id="pop-china_par"' in html and "高危" in html and "数据不足" in html
    assert '<progress class="pop-bar pop-bad" max="1" value="1">100.0%</progress>' in html
    assert 'id="pop-bp_class"' in html and "2级高血压" in html
    assert "在册客户 2 人" in html and "最近计算" in html
    assert "style=" not in html.split("<main", 1)[1]  # CSP: style-src 'self'


def test_recompute_now_runs_the_job_for_the_institution(
    nurse: Actor, institution: Institution, staff_client: StaffClient
) -> None:
    lab(nurse, person(nurse), "uric_acid", 500.0)
    client, user = staff_client("institution_admin")
    response = client.post("/population/", follow=True)
    assert response.redirect_chain == [("/population/", 302)]
    assert "已开始重新计算" in response.content.decode()
    assert stored(institution)[("hyperuricaemia", "hyperuricaemia")] == 1
    assert len(job_entries(institution)) == 1
    asked = AuditEntry.objects.get(action="risk.population_recompute")
    assert asked.actor_id == user.pk and asked.institution_id == institution.pk


def test_the_page_counts_only_its_own_institution(
    institution: Institution,
    other_institution: Institution,
    make_user: Callable[..., User],
) -> None:
    theirs = actor_for_user(make_user("nurse", inst=other_institution))
    person(theirs)
    jobs.run_for(other_institution)
    client = login_as(Client(), make_user("doctor"))
    client.post("/population/")
    html = client.get("/population/").content.decode()
    assert "在册客户 0 人" in html
    assert sum(stored(other_institution).values()) == len(population.MODELS)
