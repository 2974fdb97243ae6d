"""Clinical test scoring: hand-computed dynamometry, side bridge, stance and squat."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glutemed.core.clinical_scoring import (
    DynamometryResult,
    NormEquationView,
    ScoringThresholds,
    SideBridgeResult,
    SquatResult,
    StanceResult,
    abduction_torque_nm_per_kg,
    deficit_pct,
    score_dynamometry,
    score_side_bridge,
    score_squat,
    score_stance,
)

THRESHOLDS = ScoringThresholds(
    stance_pain_positive_0_10=2,
    fppa_flag_deg_female=14,
    fppa_flag_deg_male=12,
    side_bridge_ratio_tolerance=0.05,
    hhd_deficit_flag_pct=25,
    hhd_below_norm_sd=1,
)
# The Ramskov 2014 equation as numbers, as the service passes them in.
NORM = NormEquationView(intercept=1.600, age_coef=-0.005, male_coef=0.215, sd=0.354, ref="ramskov2014")


def test_torque_is_force_times_lever_over_mass() -> None:
    # 200 N at 0.8 m on a 64 kg runner: 160 Nm / 64 kg = 2.5 Nm/kg
    assert abduction_torque_nm_per_kg(200, 0.8, 64) == pytest.approx(2.5)
    assert abduction_torque_nm_per_kg(105, 0.78, 64) == pytest.approx(81.9 / 64)


def test_dynamometry_against_hand_computed_norm() -> None:
    scores = score_dynamometry(
        DynamometryResult(left_n=150, right_n=105, lever_arm_m=0.78),
        age_years=52,
        male=False,
        mass_kg=64,
        norm=NORM,
        thresholds=THRESHOLDS,
    )
    by_side = {(s.test_id, s.side): s for s in scores}
    right = by_side[("hip-abduction-dynamometry", "right")]
    norm = 1.600 - 0.005 * 52  # 1.34 Nm/kg for a 52-year-old woman
    assert right.details["norm_nm_per_kg"] == pytest.approx(norm)
    assert right.value == pytest.approx(1.2797, abs=1e-4)
    assert right.details["z"] == pytest.approx((105 * 0.78 / 64 - norm) / 0.354)
    assert not right.positive  # within one SD of the norm
    deficit = by_side[("hip-abduction-deficit", "right")]
    assert deficit.value == pytest.approx(30.0)  # 105 / 150 = 0.70
    assert deficit.positive
    assert "ramskov2014" in right.refs


def test_male_norm_adds_the_sex_term() -> None:
    scores = score_dynamometry(
        DynamometryResult(left_n=100, right_n=100, lever_arm_m=0.8),
        age_years=30,
        male=True,
        mass_kg=80,
        norm=NORM,
        thresholds=THRESHOLDS,
    )
    left = scores[0]
    assert left.details["norm_nm_per_kg"] == pytest.approx(1.600 - 0.15 + 0.215)
    assert left.value == pytest.approx(1.0)
    assert left.positive  # z = (1.0 - 1.665) / 0.354 < -1


@given(st.floats(1, 1000), st.floats(1, 1000))
def test_deficit_is_symmetric_and_bounded(a: float, b: float) -> None:
    assert deficit_pct(a, b) == pytest.approx(deficit_pct(b, a))
    assert 0 <= deficit_pct(a, b) < 100


def test_side_bridge_ratio_and_weaker_side() -> None:
    score = score_side_bridge(SideBridgeResult(left_s=48, right_s=30), THRESHOLDS)
    assert score.value == pytest.approx(0.625)
    assert score.positive
    assert score.side == "right"
    even = score_side_bridge(SideBridgeResult(left_s=60, right_s=58), THRESHOLDS)
    assert not even.positive


def test_stance_positive_from_two_of_ten() -> None:
    assert score_stance(StanceResult("right", 2.0), THRESHOLDS).positive
    assert not score_stance(StanceResult("right", 1.5, pelvic_drop_seen=True), THRESHOLDS).positive


def test_squat_by_angle_or_rating() -> None:
    assert score_squat(SquatResult("left", fppa_deg=15), male=False, thresholds=THRESHOLDS).positive
    assert not score_squat(SquatResult("left", fppa_deg=13), male=False, thresholds=THRESHOLDS).positive
    assert score_squat(SquatResult("left", fppa_deg=13), male=True, thresholds=THRESHOLDS).positive
    assert score_squat(SquatResult("left", rating="poor"), male=True, thresholds=THRESHOLDS).positive
    assert not score_squat(SquatResult("left", rating="good"), male=True, thresholds=THRESHOLDS).positive


def test_torque_rejects_impossible_inputs() -> None:
    with pytest.raises(ValueError, match="positive"):
        abduction_torque_nm_per_kg(100, 0.8, 0)
