"""Clinical test scoring: hand-computed dynamometry, side bridge, stance and squat."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from glutemed.core.clinical_scoring import (
    DynamometryProtocol,
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
from glutemed.knowledge.loader import load_knowledge_base
from glutemed.services.intake_schema import DynamometryIn

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


# ------------------------------------------------------------------------------ dynamometry protocol (issue 10)

RAMSKOV = DynamometryProtocol("eccentric", "supine", "hand-held")
NORM_WITH_PROTOCOL = NormEquationView(
    intercept=1.600, age_coef=-0.005, male_coef=0.215, sd=0.354, ref="ramskov2014", protocol=RAMSKOV
)


def _score(protocol: DynamometryProtocol | None, norm: NormEquationView = NORM_WITH_PROTOCOL) -> dict:
    scores = score_dynamometry(
        DynamometryResult(left_n=150, right_n=105, lever_arm_m=0.78, protocol=protocol),
        age_years=52,
        male=False,
        mass_kg=64,
        norm=norm,
        thresholds=THRESHOLDS,
    )
    return {(s.test_id, s.side): s for s in scores}


def test_same_protocol_is_held_against_the_norm() -> None:
    right = _score(RAMSKOV)[("hip-abduction-dynamometry", "right")]
    assert right.details["z"] == pytest.approx((105 * 0.78 / 64 - 1.34) / 0.354)
    assert right.details["compared_with_norm"] == 1.0
    assert "same protocol as the norm" in right.interpretation


@pytest.mark.parametrize(
    ("protocol", "named"),
    [
        (
            DynamometryProtocol("isometric", "supine", "hand-held"),
            "contraction: isometric, the norm eccentric",
        ),
        (
            DynamometryProtocol("eccentric", "side-lying", "hand-held"),
            "position: side-lying, the norm supine",
        ),
        (DynamometryProtocol("eccentric", "supine", "fixed"), "dynamometer: fixed, the norm hand-held"),
    ],
)
def test_another_protocol_gets_no_z_score_but_keeps_the_deficit(
    protocol: DynamometryProtocol, named: str
) -> None:
    by_side = _score(protocol)
    for side in ("left", "right"):
        score = by_side[("hip-abduction-dynamometry", side)]
        assert "z" not in score.details
        assert "norm_nm_per_kg" not in score.details
        assert score.details["compared_with_norm"] == 0.0
        assert not score.positive
        assert score.value == pytest.approx((150 if side == "left" else 105) * 0.78 / 64)
        assert "not compared with the ramskov2014 norm" in score.interpretation
        assert named in score.interpretation
    deficit = by_side[("hip-abduction-deficit", "right")]
    assert deficit.value == pytest.approx(30.0)
    assert deficit.positive


def test_a_weak_leg_tested_another_way_is_not_called_weak() -> None:
    weak = score_dynamometry(
        DynamometryResult(60, 62, 0.8, protocol=DynamometryProtocol("isometric", "side-lying", "hand-held")),
        age_years=30,
        male=True,
        mass_kg=80,
        norm=NORM_WITH_PROTOCOL,
        thresholds=THRESHOLDS,
    )
    assert not any(s.positive for s in weak)


def test_unknown_protocols_are_compared_and_say_so() -> None:
    untold = _score(None)[("hip-abduction-dynamometry", "right")]
    assert "z" in untold.details
    assert "test protocol not given" in untold.interpretation
    unrecorded = _score(RAMSKOV, norm=NORM)[("hip-abduction-dynamometry", "right")]
    assert "z" in unrecorded.details
    assert "norm's protocol is not recorded" in unrecorded.interpretation


def test_intake_default_protocol_is_the_norms_protocol() -> None:
    eq = load_knowledge_base().clinical_tests["hip-abduction-dynamometry"].norm_equation
    assert eq is not None
    assert eq.protocol is not None
    default = DynamometryIn(left_n=150, right_n=105, lever_arm_m=0.78).to_core().protocol
    assert default == DynamometryProtocol(
        eq.protocol.contraction.value, eq.protocol.position.value, eq.protocol.device.value
    )


def test_intake_protocol_words_and_validation() -> None:
    raw = {"left_n": 150, "right_n": 105, "lever_arm_m": 0.78}
    made = DynamometryIn.model_validate(
        {**raw, "protocol": {"contraction": "Make", "position": "side lying"}}
    )
    assert made.to_core().protocol == DynamometryProtocol("isometric", "side-lying", "hand-held")
    broke = DynamometryIn.model_validate({**raw, "protocol": {"contraction": "break", "device": "Hand_held"}})
    assert broke.protocol.contraction == "eccentric"
    assert broke.protocol.device == "hand-held"
    for bad in (
        {"contraction": "concentric"},
        {"position": "prone"},
        {"device": "spring"},
        {"speed": "fast"},
    ):
        with pytest.raises(ValidationError):
            DynamometryIn.model_validate({**raw, "protocol": bad})
