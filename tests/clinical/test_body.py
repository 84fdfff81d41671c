"""BMI and waist classes of WS/T 428-2013 (clinical-references.md §7.1): half-open intervals
18.5 / 24.0 / 28.0 and waist 85/90 cm (men), 80/85 cm (women)."""

from __future__ import annotations

import pytest

from jianguan.clinical import calculate


@pytest.mark.parametrize(
    ("bmi", "category"),
    [
        (18.49, "underweight"),
        (18.5, "normal"),
        (23.95, "normal"),  # "18.5–23.9" printed; 23.95 is not lost between classes
        (24.0, "overweight"),
        (27.99, "overweight"),
        (28.0, "obese"),
    ],
)
def test_bmi_class_boundaries_are_half_open(bmi: float, category: str) -> None:
    assert calculate("bmi_class", {"bmi_kg_m2": bmi}).category == category


def test_bmi_is_weight_over_height_squared() -> None:
    result = calculate("bmi", {"weight_kg": 70, "height_cm": 175})
    assert result.value == pytest.approx(70 / 1.75**2)
    assert result.category == "normal"
    assert "22.9" in result.explanation_zh and "normal" in result.explanation_en


@pytest.mark.parametrize(
    ("sex", "waist", "category"),
    [
        ("M", 84.9, "normal"),
        ("M", 85, "pre_central_obesity"),
        ("M", 89.9, "pre_central_obesity"),
        ("M", 90, "central_obesity"),
        ("F", 79.9, "normal"),
        ("F", 80, "pre_central_obesity"),
        ("F", 85, "central_obesity"),
    ],
)
def test_waist_classes_by_sex(sex: str, waist: float, category: str) -> None:
    assert calculate("waist_class", {"waist_cm": waist, "sex": sex}).category == category
