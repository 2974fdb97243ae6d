from __future__ import annotations

import numpy as np
import pytest
from scipy.interpolate import CubicSpline

from glutemed.core.mocap_truth import (
    hip_adduction_deg,
    knee_flexion_deg,
    knee_fppa_deg,
    pelvic_obliquity_deg,
    stance_truth,
    treadmill_contacts,
)
from glutemed.core.series import FloatArray, KeypointSeries

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


def test_knee_fppa_is_the_frontal_projection() -> None:
    """Knee moved medially by d in the frontal plane: FPPA = atan(d / 0.45) + atan(d / 0.43), valgus positive;
    moving the knee forward (sagittal) does not change it, moving it laterally flips the sign."""
    d = 0.05
    expected = np.degrees(np.arctan(d / 0.45) + np.arctan(d / 0.43))
    poses = []
    for medial, forward in ((d, 0.0), (d, 0.2), (-d, 0.0)):
        pose = _pose(0.0, 0.0, 0.0)
        lh = pose[0]
        pose[2] = lh + np.array([forward, -medial, -0.45])  # left knee; medial of the left hip is -y
        pose[4] = lh + np.array([0.0, 0.0, -0.88])  # left ankle straight below the hip
        poses.append(pose)
    kp = KeypointSeries.from_arrays(np.stack(poses), NAMES, fps_hz=100.0, units="m")
    np.testing.assert_allclose(knee_fppa_deg(kp, "left"), [expected, expected, -expected], atol=1e-9)


def test_step_width_is_signed_and_normalised_by_the_frontal_pelvis_width() -> None:
    """Left strike 0.10 m left of the previous right strike: +10 cm; a crossover (left foot right of the right
    foot) is negative. The ratio divides by the hip distance seen from behind (0.18 m here)."""
    frames = []
    for left_y in (0.05, 0.05, -0.08, -0.08):
        pose = _pose(0.0, 0.0, 10.0)
        pose[6] = np.array([0.0, left_y, 0.0])  # left heel
        pose[7] = np.array([0.0, -0.05, 0.0])  # right heel
        pose[1] = pose[1] + np.array([0.1, 0.0, 0.0])  # right hip forward: the 3-D width is larger
        frames.append(pose)
    kp = KeypointSeries.from_arrays(np.stack(frames), NAMES, fps_hz=100.0, units="m")
    strikes = np.array([0.0, 0.01, 0.02, 0.03])
    truth = stance_truth(kp, strikes, strikes + 0.005, ("right", "left", "right", "left"))
    assert np.isnan(truth.stances[0].step_width_cm)
    assert truth.stances[1].step_width_cm == pytest.approx(10.0)
    assert truth.stances[1].step_width_pelvis_ratio == pytest.approx(0.10 / 0.18)
    assert truth.stances[2].step_width_cm == pytest.approx(10.0)  # right strike vs the earlier left one
    assert truth.stances[3].step_width_cm == pytest.approx(-3.0)  # crossover


STRIDE_S, STANCE_S = 0.7, 0.25
SWING_S = STRIDE_S - STANCE_S


def _swing_peak_m_s(belt_m_s: float) -> float:
    """Peak forward swing speed that brings the foot back to where it landed (no drift over a stride)."""
    return belt_m_s * (1.0 + 2.0 * STANCE_S / SWING_S)


def _treadmill_gait(rate_hz: float, belt_m_s: float) -> tuple[KeypointSeries, FloatArray, FloatArray]:
    """Feet on a belt: stance at -belt, swing velocity -belt + (belt + peak) sin^2(pi tau / swing).

    Returns the series and each left stance's start (velocity reaches -belt) and its knee-extension time."""
    stride_s, stance_s, swing_s = STRIDE_S, STANCE_S, SWING_S
    swing_peak_m_s = _swing_peak_m_s(belt_m_s)
    fine = np.arange(0.0, 10.0, 1e-4)

    def velocity(phase_s: FloatArray) -> FloatArray:
        tau = phase_s - stance_s
        swing = -belt_m_s + (belt_m_s + swing_peak_m_s) * np.sin(np.pi * tau / swing_s) ** 2
        return np.asarray(np.where(phase_s < stance_s, -belt_m_s, swing))

    flex_knots = ([0.0, 0.1, 0.25, 0.45, 0.65, 0.7], [10.0, 40.0, 15.0, 80.0, 5.0, 10.0])
    knee_curve = CubicSpline(*flex_knots, bc_type="periodic")
    t = np.arange(0.0, 10.0, 1.0 / rate_hz)
    pos = np.zeros((t.size, len(NAMES), 3))
    offsets = {"left": 0.0, "right": stride_s / 2}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        phase = (fine - offsets[side]) % stride_s
        x = np.cumsum(velocity(phase)) * 1e-4
        x -= x.mean()
        flex = np.radians(knee_curve((t - offsets[side]) % stride_s))
        hip = np.array([0.0, sign * 0.09, 1.0])
        knee = hip + np.array([0.0, 0.0, -0.45])
        pos[:, NAMES.index(f"{side}_hip")] = hip
        pos[:, NAMES.index(f"{side}_knee")] = knee
        pos[:, NAMES.index(f"{side}_ankle")] = knee + 0.43 * np.stack(
            [-np.sin(flex), np.zeros_like(flex), -np.cos(flex)], axis=1
        )
        pos[:, NAMES.index(f"{side}_heel"), 0] = np.interp(t, fine, x)
        pos[:, NAMES.index(f"{side}_heel"), 1] = sign * 0.05
    kp = KeypointSeries.from_arrays(pos, NAMES, fps_hz=rate_hz, units="m")
    starts = np.arange(0.0, 10.0, stride_s)
    fine_phase = np.linspace(0.0, stride_s, 70001)
    fine_flex = knee_curve(fine_phase)
    in_stance = (fine_phase > 0.1) & (fine_phase < 0.3)
    knee_ext = fine_phase[in_stance][np.argmin(fine_flex[in_stance])]
    return kp, starts, starts + knee_ext


def test_treadmill_contacts_on_a_synthetic_belt() -> None:
    """The strike is where the foot's backward speed reaches half the belt speed, in late swing here:
    sin^2(pi (swing - lead) / swing) = (belt / 2) / (belt + peak) gives the lead analytically. Toe off is the
    knee-extension minimum after the stance's flexion peak. Both sides alternate."""
    belt = 3.0
    kp, starts, knee_ext = _treadmill_gait(200.0, belt)
    fraction = 0.5 * belt / (belt + _swing_peak_m_s(belt))
    lead = SWING_S / np.pi * np.arcsin(np.sqrt(fraction))  # before the stance start, by symmetry of sin^2
    contacts = treadmill_contacts(kp)
    assert contacts.belt_speed_m_s == pytest.approx(belt, rel=0.01)
    assert contacts.sides[:4] in (("left", "right") * 2, ("right", "left") * 2)
    left = np.array([s for s, side in zip(contacts.strikes_s, contacts.sides, strict=True) if side == "left"])
    expected = np.array([starts[np.argmin(np.abs(starts - lead - s))] - lead for s in left])
    np.testing.assert_allclose(left, expected, atol=0.002)
    offs = np.array(
        [o for o, side in zip(contacts.toe_offs_s, contacts.sides, strict=True) if side == "left"]
    )
    expected_offs = np.array([knee_ext[np.argmin(np.abs(knee_ext - o))] for o in offs])
    np.testing.assert_allclose(offs, expected_offs, atol=0.002)
