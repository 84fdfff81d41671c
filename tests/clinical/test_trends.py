"""Multi-year trends of one indicator: series one value per visit, changes, the OLS slope per
year with its standard error and 95 % interval, abnormal visits, the first crossing of a
threshold, and the plain-language finding."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from jianguan.clinical.trends import Indicator, analyse, one_per_visit, t95

FPG = Indicator("fasting_glucose", "空腹血糖", "fasting glucose", "mmol/L", 3.9, 6.1, 1, 6.1)


def visits(*values: float, start: int = 2022) -> list[tuple[dt.date, float]]:
    return [(dt.date(start + i, 5, 1), v) for i, v in enumerate(values)]


def test_the_issue_example_finding() -> None:
    # "空腹血糖连续3年上升，今年首次超过6.1 mmol/L": four yearly visits, the last this year
    trend = analyse(FPG, visits(5.2, 5.4, 5.8, 6.3), today=dt.date(2025, 11, 25))
    assert trend.rising_run == 3
    assert trend.first_crossed == dt.date(2025, 5, 1)
    assert trend.finding_zh == "空腹血糖连续3年上升，今年首次超过6.1 mmol/L"
    assert "rose 3 years in a row" in trend.finding_en and "first time" in trend.finding_en


def test_a_run_over_visits_not_a_year_apart_counts_visits_and_names_the_year() -> None:
    points = [(dt.date(2024, 1, 5), 5.5), (dt.date(2024, 6, 1), 5.9), (dt.date(2024, 9, 1), 6.4)]
    trend = analyse(FPG, points, today=dt.date(2026, 1, 1))
    assert trend.finding_zh == "空腹血糖连续2次上升，2024年首次超过6.1 mmol/L"


def test_changes_from_first_and_previous() -> None:
    trend = analyse(FPG, visits(5.0, 5.5, 5.2))
    assert trend.change_from_first == pytest.approx(0.2)
    assert trend.change_from_previous == pytest.approx(-0.3)


def test_the_slope_is_the_least_squares_line_with_its_standard_error() -> None:
    values = [5.0, 5.3, 5.5, 5.9, 6.0]
    trend = analyse(FPG, visits(*values))
    days = [(d - dt.date(2022, 5, 1)).days / 365.25 for d, _ in visits(*values)]
    # the same fit by numpy: slope, and its standard error from the covariance matrix
    coef, cov = np.polyfit(days, values, 1, cov="unscaled")
    residual = np.sum((np.polyval(coef, days) - values) ** 2) / (len(values) - 2)
    assert trend.slope is not None
    assert trend.slope.per_year == pytest.approx(coef[0])
    assert trend.slope.standard_error == pytest.approx(np.sqrt(cov[0, 0] * residual))
    low, high = trend.slope.ci95  # type: ignore[misc]
    assert low < trend.slope.per_year < high
    assert high - trend.slope.per_year == pytest.approx(3.182 * trend.slope.standard_error)


def test_two_visits_give_a_slope_without_uncertainty_and_one_gives_none() -> None:
    two = analyse(FPG, visits(5.0, 6.0))
    assert two.slope is not None and two.slope.standard_error is None
    one = analyse(FPG, visits(5.0))
    assert one.slope is None and one.change_from_first is None
    assert "尚不能看趋势" in one.finding_zh
    assert analyse(FPG, []).finding_zh == "空腹血糖暂无结果"


def test_abnormal_visits_and_flags_follow_the_reference_range() -> None:
    trend = analyse(FPG, visits(3.8, 5.0, 6.1, 6.2))
    assert trend.flags == ("L", "", "", "H")  # the printed limit is inside the range
    assert trend.abnormal_visits == 2


def test_a_value_already_above_at_the_first_visit_counts_as_crossed_then() -> None:
    trend = analyse(FPG, visits(6.5, 6.0, 6.8))
    assert trend.first_crossed == dt.date(2022, 5, 1)
    assert "已2次高于6.1" in trend.finding_zh


def test_one_value_per_visit_day_the_last_given_wins_and_bad_values_drop() -> None:
    points = one_per_visit(
        [
            (dt.date(2024, 1, 2), 5.0),
            (dt.date(2023, 1, 2), 4.0),
            (dt.date(2024, 1, 2), 5.5),
            (dt.date(2025, 1, 2), float("nan")),
        ]
    )
    assert [(p.when.year, p.value) for p in points] == [(2023, 4.0), (2024, 5.5)]


def test_t_quantiles_come_from_the_table_conservatively() -> None:
    assert t95(1) == 12.706 and t95(3) == 3.182 and t95(22) == 2.086 and t95(500) == 1.96
    with pytest.raises(ValueError):
        t95(0)


def test_falling_runs_are_named() -> None:
    trend = analyse(FPG, visits(6.5, 6.2, 5.9, 5.6))
    assert trend.falling_run == 3 and "连续3年下降" in trend.finding_zh


HDL = Indicator(
    "hdl_c", "高密度脂蛋白胆固醇", "HDL-C", "mmol/L", 1.0, None, 2, 1.0, falls_below=True
)


def test_an_indicator_whose_fall_is_the_concern_is_named_when_it_first_drops_below() -> None:
    trend = analyse(HDL, visits(1.3, 1.1, 0.9), today=dt.date(2024, 12, 1))
    assert trend.first_crossed == dt.date(2024, 5, 1)
    assert trend.finding_zh == "高密度脂蛋白胆固醇连续2年下降，今年首次低于1 mmol/L"
    assert trend.flags == ("", "", "L")
