"""The 指标趋势 tab of the 360° page: the record's results become per-indicator trends with a
finding, an SVG chart (reference band, threshold, one titled point per visit) and the
multi-indicator table; only clinical roles see it, and a view is a read entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from jianguan.accounts.actors import actor_for_user
from jianguan.accounts.models import User
from jianguan.audit.models import AuditEntry
from jianguan.records.models import Customer
from jianguan.records.services.enrolment import EnrolmentData, enrol
from jianguan.records.services.observations import record_vitals
from jianguan.risk.charts import Series, line_chart

pytestmark = pytest.mark.django_db
StaffClient = Callable[..., tuple[Client, User]]


@pytest.fixture
def customer(make_user: Callable[..., User]) -> Customer:
    nurse = actor_for_user(make_user("nurse"))
    c = enrol(
        nurse,
        EnrolmentData(name="赵敏", sex="F", birth_date=dt.date(1970, 3, 1), consent=True),
    )
    for year, sbp in ((2022, 128), (2023, 135), (2024, 146)):
        record_vitals(
            nurse,
            c,
            {"systolic": str(sbp), "diastolic": "82", "height": "160", "weight": "60"},
            effective=dt.datetime(year, 6, 1, 9, tzinfo=dt.UTC),
        )
    return c


def tab(c: Customer, *show: str) -> str:
    query = "".join(f"&show={s}" for s in show)
    return f"/customers/{c.pk}/?tab=trends{query}"


def test_the_tab_shows_findings_charts_and_the_comparison_table(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, user = staff_client("health_manager")
    html = client.get(tab(customer)).content.decode()
    assert "收缩压连续2年上升，2024年首次超过140 mmHg" in html
    assert html.count('<svg class="trend-chart"') == 2  # systolic and BMI by default
    assert "trend-band" in html and "trend-threshold" in html
    assert "2024-06-01：146 mmHg" in html  # the point's hover title
    assert "多指标对比" in html and ">2022<" in html
    assert AuditEntry.objects.filter(
        action="customer.view", actor_id=user.pk, resource_type="customer.trends"
    ).exists()


def test_indicators_are_chosen_by_the_show_parameter(
    staff_client: StaffClient, customer: Customer
) -> None:
    client, _ = staff_client("doctor")
    html = client.get(tab(customer, "diastolic", "nonsense")).content.decode()
    assert html.count('<svg class="trend-chart"') == 1 and 'id="chart-diastolic"' in html


@pytest.mark.parametrize("role", ["front_desk", "followup_agent"])
def test_roles_without_clinical_access_get_404(
    staff_client: StaffClient, customer: Customer, role: str
) -> None:
    client, _ = staff_client(role)
    assert client.get(tab(customer)).status_code == 404


def test_chart_text_is_escaped_and_a_single_point_is_drawn() -> None:
    svg = line_chart(
        Series("<b>x</b>", "mg", [(dt.date(2024, 1, 1), 5.0)], [""], low=3.0, high=6.0),
        chart_id="t",
    )
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert svg.count("<circle") == 1 and "trend-band" in svg
    assert line_chart(Series("x", "", [], []), chart_id="e") == ""


def test_an_empty_record_says_so(staff_client: StaffClient, make_user: Any) -> None:
    nurse = actor_for_user(make_user("nurse"))
    c = enrol(nurse, EnrolmentData(name="空记录", sex="M", birth_date=None, consent=True))
    client, _ = staff_client("doctor")
    assert "还没有可以看趋势的检查结果" in client.get(tab(c)).content.decode()


def test_the_range_keeps_only_recent_years(staff_client: StaffClient, customer: Customer) -> None:
    client, _ = staff_client("doctor")
    this_year = dt.date.today().year
    html = client.get(f"/customers/{customer.pk}/?tab=trends&years=3").content.decode()
    kept = [y for y in (2022, 2023, 2024) if y >= this_year - 2]
    assert html.count("<circle") == 2 * len(kept)  # systolic and BMI, one point a kept year
    assert 'value="3" selected' in html
    assert client.get(f"/customers/{customer.pk}/?tab=trends&years=x").status_code == 200


def test_a_one_sided_reference_reads_as_at_most() -> None:
    from jianguan.risk.services.trends import indicator, reference_text

    tc = indicator("total_cholesterol", "M", 50)
    fpg = indicator("fasting_glucose", "M", 50)
    assert tc is not None and fpg is not None
    assert reference_text(tc) == "≤ 5.20" and reference_text(fpg) == "3.90–6.10"
