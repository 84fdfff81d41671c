"""The Pooled Cohort Equations against the `ascvd` package from PyPI (a port of the ACC risk
estimator, which rounds to one decimal): 2,000 random profiles in the ACC calculator's ranges,
white and African-American, men and women, agree within its rounding."""

from __future__ import annotations

import numpy as np
import pytest

from jianguan.clinical import calculate

ascvd = pytest.importorskip("ascvd")  # a dev dependency (pyproject): present wherever tests run


def test_pce_agrees_with_the_ascvd_package_within_its_rounding() -> None:
    rng = np.random.default_rng(2026)
    worst = 0.0
    for _ in range(2000):
        male, black = bool(rng.random() < 0.5), bool(rng.random() < 0.5)
        smoker, treated, diabetic = (bool(rng.random() < 0.3) for _ in range(3))
        age = int(rng.integers(40, 80))
        sbp = int(rng.integers(90, 201))
        tc = int(rng.integers(130, 321))
        hdl = int(rng.integers(20, 101))
        theirs = ascvd.compute_ten_year_score(
            male, black, smoker, treated, diabetic, age, sbp, tc, hdl
        )
        ours = calculate(
            "pce",
            {
                "age_years": age,
                "sex": "M" if male else "F",
                "race": "african_american" if black else "white",
                "sbp_mmhg": sbp,
                "bp_treated": treated,
                "total_cholesterol_mg_dl": tc,
                "hdl_c_mg_dl": hdl,
                "smoker": smoker,
                "diabetes": diabetic,
            },
        ).value
        worst = max(worst, abs(float(theirs) - ours))
    assert worst <= 0.05 + 1e-9, f"largest difference {worst:.3f} percentage points"
