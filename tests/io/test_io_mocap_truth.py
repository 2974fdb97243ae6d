from __future__ import annotations

import numpy as np
import pytest

from glutemed.core.mocap_truth import hip_adduction_deg, knee_flexion_deg, pelvic_obliquity_deg, stance_truth
from glutemed.core.series import KeypointSeries

NAMES = (
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
)


def _pose(drop_deg: float, knee_in_m: float, flex_deg: float) -> np.ndarray:
    """Left stance: the right hip lowered by drop_deg, left knee moved medially, left knee flexed."""
    half = 0.09
    dz = 2 * half * np.tan(np.radians(drop_deg))
    lh, rh = np.array([0.0, half, 1.0]), np.array([0.0, -half, 1.0 - dz])
    lk = lh + np.array([0.0, -knee_in_m, -0.45])
    shank = 0.43 * np.array([-np.sin(np.radians(flex_deg)), 0.0, -np.cos(np.radians(flex_deg))])
    la = lk + shank
    rk, ra = rh + np.array([0.0, 0.0, -0.45]), rh + np.array([0.0, 0.0, -0.88])
    return np.array([lh, rh, lk, rk, la, ra, la + np.array([0, 0, -0.05]), ra + np.array([0, 0, -0.05])])


def test_hand_built_angles() -> None:
    pos = np.stack([_pose(0.0, 0.0, 10.0), _pose(4.0, 0.45 * np.tan(np.radians(6)), 40.0)])
    kp = KeypointSeries.from_arrays(pos, NAMES, fps_hz=100.0, units="m")
    np.testing.assert_allclose(pelvic_obliquity_deg(kp), [0.0, 4.0], atol=1e-9)
    # femur 6 deg medial of vertical plus the pelvis tilted 4 deg towards the swing side: 10 deg adduction
    np.testing.assert_allclose(hip_adduction_deg(kp, "left"), [0.0, 10.0], atol=1e-9)
    np.testing.assert_allclose(knee_flexion_deg(kp, "left"), [10.0, 40.0], atol=1e-9)


def test_stance_truth_relative_to_strike() -> None:
    frames = [_pose(d, 0.0, f) for d, f in zip(np.linspace(1, 5, 11), np.linspace(10, 40, 11), strict=True)]
    kp = KeypointSeries.from_arrays(np.stack(frames), NAMES, fps_hz=100.0, units="m")
    truth = stance_truth(kp, np.array([0.0, 0.05]), np.array([0.1, 0.1]), ("left", "right"))
    left = truth.stances[0]
    assert left.pelvic_drop_peak_deg == pytest.approx(4.0, abs=1e-6)
    assert left.pelvic_obliquity_strike_deg == pytest.approx(1.0)
    assert left.knee_flexion_peak_stance_deg == pytest.approx(40.0)
    assert truth.stances[1].step_width_cm == pytest.approx(18.0)
    assert truth.cadence_spm == pytest.approx(1200.0)
