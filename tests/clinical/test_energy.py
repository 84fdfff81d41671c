"""Energy and lifestyle models (clinical-references.md §11): Mifflin-St Jeor resting energy, the
daily energy target (REE × Chinese DRIs PAL), the 中国居民膳食指南 (2022) quantities and the
WHO 2020 physical-activity check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jianguan.clinical import calculate, calculate_many
from jianguan.clinical.models.energy import DIET_QUANTITIES, PAL_DRIS_2013

from .helpers import Population, assert_paths_agree, assert_refused, with_edges

MAN = {"weight_kg": 70, "height_cm": 175, "age_years": 30, "sex": "M"}


# --- mifflin_st_jeor ------------------------------------------------------------------------------


def test_mifflin_worked_example_man() -> None:
    # clinical-references.md §11: man 70 kg, 175 cm, 30 y → 1648.75 kcal/d.
    result = calculate("mifflin_st_jeor", MAN)
    assert result.value == pytest.approx(1648.75, abs=1e-9)
    assert result.unit == "kcal/d" and result.warnings == ()
    assert "1649" in result.explanation_zh and "1649" in result.explanation_en
    assert "Mifflin" in result.explanation_en


def test_mifflin_women_use_minus_161() -> None:
    # Mifflin 1990 abstract: REE (women) = 10 W + 6.25 H − 5 A − 161.
    result = calculate(
        "mifflin_st_jeor", {"weight_kg": 60, "height_cm": 165, "age_years": 40, "sex": "F"}
    )
    assert result.value == pytest.approx(600 + 1031.25 - 200 - 161, abs=1e-9)


def test_mifflin_simplified_equation_matches_the_combined_one_closely() -> None:
    # Mifflin 1990: REE = 9.99 W + 6.25 H − 4.92 A + 166 × male − 161; the per-sex form is its
    # simplification, within a few kcal/d for usual adults.
    for sex, male in (("M", 1), ("F", 0)):
        combined = 9.99 * 70 + 6.25 * 175 - 4.92 * 45 + 166 * male - 161
        value = calculate("mifflin_st_jeor", {**MAN, "age_years": 45, "sex": sex}).value
        assert abs(value - combined) < 5


@pytest.mark.parametrize(("age", "warned"), [(18, True), (19, False), (78, False), (79, True)])
def test_mifflin_warns_outside_the_derivation_ages_19_to_78(age: int, warned: bool) -> None:
    result = calculate("mifflin_st_jeor", {**MAN, "age_years": age})
    assert bool(result.warnings) is warned
    if warned:
        assert result.warnings[0].field == "age_years"
        assert result.warnings[0].code == "outside_validated_range"


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({**MAN, "age_years": -1}, "age_years", "impossible"),
        ({**MAN, "height_cm": 1.75}, "height_cm", "impossible"),  # metres typed as cm
        ({**MAN, "weight_kg": 700}, "weight_kg", "impossible"),
        ({"weight_kg": 70, "height_cm": 175, "age_years": 30}, "sex", "missing"),
        ({**MAN, "sex": "X"}, "sex", "sex"),
        ({**MAN, "age_years": 30.5}, "age_years", "not_an_integer"),
        ({**MAN, "weight_lb": 154}, "weight_lb", "unknown_input"),
    ],
)
def test_mifflin_refusals_name_the_input(inputs: dict[str, Any], field: str, code: str) -> None:
    assert_refused("mifflin_st_jeor", inputs, field, code)


# --- energy_target --------------------------------------------------------------------------------


def test_the_pal_table_is_the_2013_dris_one() -> None:
    assert PAL_DRIS_2013 == {"low": 1.50, "moderate": 1.75, "high": 2.00}
    # The 2013 DRIs EER rows stand in exactly this ratio (women 18–49: 1800/2100/2400 kcal/d).
    assert 1800 / 1.50 == 2100 / 1.75 == 2400 / 2.00


@pytest.mark.parametrize(("level", "pal"), [("low", 1.5), ("moderate", 1.75), ("high", 2.0)])
def test_energy_target_is_ree_times_pal(level: str, pal: float) -> None:
    result = calculate("energy_target", {**MAN, "activity_level": level})
    assert result.value == pytest.approx(1648.75 * pal, abs=1e-9)
    assert result.category == level
    assert result.details["ree_kcal_d"] == pytest.approx(1648.75)
    assert result.details["pal"] == pal
    assert result.details["deficit_kcal_d"] == 0
    assert result.details["floor_kcal_d"] is None
    assert f"{1648.75 * pal:.0f}" in result.explanation_zh
    assert result.category_zh in result.explanation_zh
    assert result.category_en in result.explanation_en


@pytest.mark.parametrize(
    ("age", "sex", "level", "reference"),
    [
        (30, "M", "low", 2250),  # DRIs 2013, 18–49 y; also quoted by the 2022 guideline
        (30, "M", "moderate", 2600),
        (49, "M", "high", 3000),
        (18, "F", "low", 1800),
        (30, "F", "moderate", 2100),
        (30, "F", "high", 2400),
        (50, "M", "low", 2100),  # 50–64 y
        (64, "M", "high", 2800),
        (55, "F", "low", 1750),
        (55, "F", "moderate", 2050),
        (65, "F", "low", None),  # ≥ 65 not confirmed: not given
        (17, "M", "low", None),
    ],
)
def test_energy_target_shows_the_dris_reference_eer(
    age: int, sex: str, level: str, reference: float | None
) -> None:
    inputs = {**MAN, "age_years": age, "sex": sex, "activity_level": level}
    assert calculate("energy_target", inputs).details["reference_eer_kcal_d"] == reference


def test_weight_loss_takes_500_kcal_off_maintenance() -> None:
    inputs = {
        "weight_kg": 85,
        "height_cm": 175,
        "age_years": 30,
        "sex": "M",
        "activity_level": "moderate",
        "target": "lose_weight",
    }
    result = calculate("energy_target", inputs)
    ree = 850 + 1093.75 - 150 + 5
    assert result.value == pytest.approx(ree * 1.75 - 500, abs=1e-9)
    assert result.details["deficit_kcal_d"] == pytest.approx(500)
    assert result.details["floor_kcal_d"] == pytest.approx(ree)
    assert result.details["weight_loss_indicated"] is True
    assert "500" in result.explanation_zh and "500" in result.explanation_en


def test_weight_loss_never_goes_below_the_sex_minimum() -> None:
    # 成人肥胖食养指南 (2024): women 1000–1200 kcal/d, men 1200–1500 kcal/d.
    woman = {"weight_kg": 45, "height_cm": 150, "age_years": 60, "sex": "F"}
    ree = 450 + 937.5 - 300 - 161  # 926.5
    result = calculate("energy_target", {**woman, "activity_level": "low", "target": "lose_weight"})
    assert result.value == pytest.approx(1000, abs=1e-9)
    assert result.details["deficit_kcal_d"] == pytest.approx(ree * 1.5 - 1000)
    man = {"weight_kg": 50, "height_cm": 155, "age_years": 70, "sex": "M"}
    result = calculate("energy_target", {**man, "activity_level": "low", "target": "lose_weight"})
    assert result.value == pytest.approx(1200, abs=1e-9)
    assert result.details["weight_loss_indicated"] is False
    assert "24.0" in result.explanation_en


def test_weight_loss_is_never_above_maintenance() -> None:
    tiny = {"weight_kg": 30, "height_cm": 130, "age_years": 70, "sex": "F"}
    result = calculate("energy_target", {**tiny, "activity_level": "low", "target": "lose_weight"})
    maintenance = result.details["maintenance_kcal_d"]
    assert maintenance < 1000
    assert result.value == pytest.approx(maintenance) and result.details["deficit_kcal_d"] == 0


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({**MAN}, "activity_level", "missing"),
        ({**MAN, "activity_level": "extreme"}, "activity_level", "choice"),
        ({**MAN, "activity_level": "low", "target": "gain"}, "target", "choice"),
        ({**MAN, "activity_level": "low", "age_years": -3}, "age_years", "impossible"),
        ({**MAN, "activity_level": "low", "pal": 1.6}, "pal", "unknown_input"),
    ],
)
def test_energy_target_refusals(inputs: dict[str, Any], field: str, code: str) -> None:
    assert_refused("energy_target", inputs, field, code)


# --- dietary_guideline_2022 -----------------------------------------------------------------------


def test_dietary_guideline_value_is_the_salt_limit_with_every_quantity() -> None:
    result = calculate("dietary_guideline_2022", {"sex": "M"})
    assert result.value == 5.0 and result.unit == "g/d" and result.category == "adult"
    expected = {*DIET_QUANTITIES, "water_ml_d", "bmi_kg_m2", "energy_reference_kcal_d"}
    assert set(result.details) == expected
    for key, quantity in result.details.items():
        assert set(quantity) == {"low", "high", "unit", "label_zh", "label_en"}, key
        assert quantity["low"] is not None or quantity["high"] is not None, key
        assert quantity["label_zh"] and quantity["label_en"] and quantity["unit"], key
    d = result.details
    # 中国居民膳食指南 2022, 准则一/三/四/五 (core recommendations).
    assert (d["grains_g_d"]["low"], d["grains_g_d"]["high"]) == (200, 300)
    assert (d["whole_grains_legumes_g_d"]["low"], d["whole_grains_legumes_g_d"]["high"]) == (
        50,
        150,
    )
    assert (d["tubers_g_d"]["low"], d["tubers_g_d"]["high"]) == (50, 100)
    assert d["vegetables_g_d"]["low"] == 300
    assert (d["fruit_g_d"]["low"], d["fruit_g_d"]["high"]) == (200, 350)
    assert d["dairy_g_d"]["low"] == 300
    assert (d["soy_nuts_g_d"]["low"], d["soy_nuts_g_d"]["high"]) == (25, 35)
    assert (d["fish_poultry_eggs_meat_g_d"]["low"], d["fish_poultry_eggs_meat_g_d"]["high"]) == (
        120,
        200,
    )
    assert (d["eggs_g_week"]["low"], d["eggs_g_week"]["high"]) == (300, 350)
    assert d["salt_g_d"]["high"] == 5
    assert (d["cooking_oil_g_d"]["low"], d["cooking_oil_g_d"]["high"]) == (25, 30)
    assert d["added_sugar_g_d"]["high"] == 50 and d["added_sugar_preferred_g_d"]["high"] == 25
    assert d["trans_fat_g_d"]["high"] == 2
    assert d["alcohol_g_d"]["high"] == 15  # 2022: 15 g for every adult who drinks
    assert d["moderate_activity_min_per_week"]["low"] == 150
    assert d["moderate_activity_days_per_week"]["low"] == 5
    assert d["water_ml_d"]["low"] == 1700 and d["energy_reference_kcal_d"]["low"] == 2250
    assert (d["bmi_kg_m2"]["low"], d["bmi_kg_m2"]["high"]) == (18.5, 23.9)
    for text in (result.explanation_zh, result.explanation_en):
        assert "5 g" in text and "15 g" in text and "1700 mL" in text
    assert result.category_zh in result.explanation_zh
    assert result.category_en in result.explanation_en


def test_dietary_guideline_water_differs_by_sex_and_bmi_by_age() -> None:
    woman = calculate("dietary_guideline_2022", {"sex": "F", "age_years": 40})
    assert woman.details["water_ml_d"]["low"] == 1500
    assert woman.details["energy_reference_kcal_d"]["low"] == 1800
    older = calculate("dietary_guideline_2022", {"sex": "F", "age_years": 65})
    assert older.category == "older_adult"
    assert (older.details["bmi_kg_m2"]["low"], older.details["bmi_kg_m2"]["high"]) == (20, 26.9)
    assert calculate("dietary_guideline_2022", {"sex": "F", "age_years": 64}).category == "adult"


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({"sex": "M", "age_years": 17}, "age_years", "outside_model"),  # children: own guideline
        ({"sex": "M", "age_years": -1}, "age_years", "impossible"),
        ({"age_years": 40}, "sex", "missing"),
        ({"sex": "M", "salt_g": 6}, "salt_g", "unknown_input"),
    ],
)
def test_dietary_guideline_refusals(inputs: dict[str, Any], field: str, code: str) -> None:
    assert_refused("dietary_guideline_2022", inputs, field, code)


# --- who_activity_2020 ----------------------------------------------------------------------------


def who(moderate: float, vigorous: float, strength: int, age: int = 40, **more: Any) -> Any:
    return calculate(
        "who_activity_2020",
        {
            "moderate_min_per_week": moderate,
            "vigorous_min_per_week": vigorous,
            "strength_days_per_week": strength,
            "age_years": age,
            **more,
        },
    )


@pytest.mark.parametrize(
    ("moderate", "vigorous", "strength", "value", "category"),
    [
        (150, 0, 2, 150, "meets"),  # WHO 2020: at least 150 min moderate
        (0, 75, 2, 150, "meets"),  # or at least 75 min vigorous (1 vigorous ≈ 2 moderate)
        (50, 50, 2, 150, "meets"),  # or an equivalent mix
        (149, 0, 2, 149, "partly"),  # aerobic one minute short, strength met
        (0, 74.5, 2, 149, "partly"),
        (150, 0, 1, 150, "partly"),  # aerobic met, strength one day short
        (149, 0, 1, 149, "below"),
        (0, 0, 0, 0, "below"),
        (0, 0, 2, 0, "partly"),
        (300, 10, 7, 320, "meets"),
    ],
)
def test_who_boundaries(
    moderate: float, vigorous: float, strength: int, value: float, category: str
) -> None:
    result = who(moderate, vigorous, strength)
    assert result.value == pytest.approx(value, abs=1e-9)
    assert result.category == category
    assert result.unit == "min/wk"
    assert f"{result.value:g}" in result.explanation_zh
    assert f"{result.value:g}" in result.explanation_en
    assert result.category_zh in result.explanation_zh
    assert result.category_en in result.explanation_en


def test_who_details_say_what_is_missing() -> None:
    d = who(100, 10, 1).details
    assert d["moderate_equivalent_min_per_week"] == 120
    assert (d["aerobic_met"], d["aerobic_shortfall_min_per_week"]) == (False, 30)
    assert (d["strength_met"], d["strength_shortfall_days_per_week"]) == (False, 1)
    assert (d["balance_applies"], d["balance_shortfall_days_per_week"]) == (False, 0)
    text = who(100, 10, 1).explanation_en
    assert "30 more" in text and "1 more strength" in text
    assert who(301, 0, 2).details["above_300_min_per_week"] is True
    assert who(300, 0, 2).details["above_300_min_per_week"] is False


@pytest.mark.parametrize(
    ("age", "balance", "category", "short"),
    [
        (64, None, "meets", 0),  # balance applies from 65
        (65, 3, "meets", 0),  # WHO 2020 older adults: balance + strength on ≥ 3 days
        (65, 2, "partly", 1),
        (80, 0, "partly", 3),
        (70, None, "partly", 3),  # not recorded counts as not met
    ],
)
def test_who_older_adults_need_balance_on_3_days(
    age: int, balance: int | None, category: str, short: int
) -> None:
    more = {} if balance is None else {"balance_days_per_week": balance}
    result = who(150, 0, 2, age=age, **more)
    assert result.category == category
    assert result.details["balance_shortfall_days_per_week"] == short
    if age >= 65 and balance is None:
        assert "not recorded" in result.explanation_en and "未填写" in result.explanation_zh


def test_who_older_adult_with_only_balance_is_partly() -> None:
    assert who(0, 0, 0, age=70, balance_days_per_week=3).category == "partly"
    assert who(0, 0, 0, age=70, balance_days_per_week=2).category == "below"


@pytest.mark.parametrize(
    ("inputs", "field", "code"),
    [
        ({"age_years": 17}, "age_years", "outside_model"),  # children: not modelled
        ({"age_years": -1}, "age_years", "impossible"),
        ({"strength_days_per_week": 8}, "strength_days_per_week", "impossible"),
        ({"strength_days_per_week": 2.5}, "strength_days_per_week", "not_an_integer"),
        ({"moderate_min_per_week": -10}, "moderate_min_per_week", "impossible"),
        ({"vigorous_min_per_week": 20000}, "vigorous_min_per_week", "impossible"),
        ({"balance_days_per_week": 9}, "balance_days_per_week", "impossible"),
        ({"steps_per_day": 6000}, "steps_per_day", "unknown_input"),
    ],
)
def test_who_refusals(inputs: dict[str, Any], field: str, code: str) -> None:
    base = {
        "moderate_min_per_week": 150,
        "vigorous_min_per_week": 0,
        "strength_days_per_week": 2,
        "age_years": 40,
    }
    assert_refused("who_activity_2020", {**base, **inputs}, field, code)


def test_who_missing_vigorous_is_refused_not_assumed_zero() -> None:
    inputs = {"moderate_min_per_week": 150, "strength_days_per_week": 2, "age_years": 40}
    assert_refused("who_activity_2020", inputs, "vigorous_min_per_week", "missing")


# --- scalar and vectorised agree ------------------------------------------------------------------


def _agree(model: str, columns: dict[str, np.ndarray]) -> None:
    population = assert_paths_agree(model, columns)
    assert 0 < population.refused.sum() < len(population.refused)  # the data set holds both


def _ints(pop: Population, low: int, high: int, edges: list[float]) -> np.ndarray:
    return with_edges(pop.integers(low, high).astype(float), edges)


def test_mifflin_and_energy_target_scalar_and_vector_agree() -> None:
    pop = Population(20240605, 2000)
    weight = with_edges(pop.uniform(35, 150), [70, -5, 400])  # impossible rows are refused
    height = pop.uniform(140, 200)
    age = _ints(pop, 10, 95, [30, 18, 19, 78, 79, 49, 50, 64, 65, -1])
    sex = pop.sex()
    sex[5] = "X"
    columns = {"weight_kg": weight, "height_cm": height, "age_years": age, "sex": sex}
    _agree("mifflin_st_jeor", columns)
    level = pop.choice(["low", "moderate", "high"])
    level[7] = "extreme"
    target = pop.choice(["maintain", "lose_weight"])
    _agree("energy_target", {**columns, "activity_level": level, "target": target})
    _agree("energy_target", {**columns, "activity_level": level})


def test_dietary_guideline_scalar_and_vector_agree() -> None:
    pop = Population(7, 1000)
    age = _ints(pop, 10, 100, [17, 18, 64, 65, -2])
    sex = pop.sex()
    _agree("dietary_guideline_2022", {"sex": sex, "age_years": age})
    sex[3] = "?"
    population = calculate_many("dietary_guideline_2022", {"sex": sex})
    assert population.refused.sum() == 1 and population.refused[3]
    assert set(population.category[~population.refused]) == {"adult"}


def test_who_scalar_and_vector_agree() -> None:
    pop = Population(2020, 3000)
    moderate = pop.choice([0.0, 75, 100, 149, 150, 151, 300, 301])
    moderate[:500] = pop.rng.uniform(0, 400, 500)
    vigorous = pop.choice([0.0, 37.5, 74.5, 75, 150])
    vigorous[0] = -1  # impossible
    strength = _ints(pop, 0, 7, [2, 1, 2, 3, 0])
    strength[6] = 2.5  # not an integer
    age = _ints(pop, 15, 95, [40, 17, 18, 64, 65, 66])
    balance = _ints(pop, 0, 7, [3, 2, 3, 0, 3])
    columns = {
        "moderate_min_per_week": moderate,
        "vigorous_min_per_week": vigorous,
        "strength_days_per_week": strength,
        "age_years": age,
    }
    _agree("who_activity_2020", columns)
    _agree("who_activity_2020", {**columns, "balance_days_per_week": balance})
