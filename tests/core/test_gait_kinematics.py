"""Hand-built geometry with known angles for glutemed.core.kinematics."""

from __future__ import annotations

import numpy as np
import pytest

from glutemed.core import kinematics as kin
from glutemed.core.series import KEYPOINTS, KeypointSeries


def _p(*xy: float) -> np.ndarray:
    return np.asarray([xy], dtype=np.float64)


def _deg(x: float) -> float:
    return float(np.radians(x))


@pytest.mark.parametrize("mirror", [1.0, -1.0])
def test_pelvis_tilted_5_deg_reads_5_deg_in_rear_and_front_view(mirror: float) -> None:
    stance = _p(mirror * 0.1, 1.0)
    contra = stance + _p(-mirror * 0.2 * np.cos(_deg(5)), -0.2 * np.sin(_deg(5)))
    assert kin.pelvic_obliquity_deg(stance, contra)[0] == pytest.approx(5.0)
    assert kin.pelvic_obliquity_deg(contra, stance)[0] == pytest.approx(-5.0)


def test_pelvic_obliquity_3d_uses_z_up_and_horizontal_distance() -> None:
    stance = np.array([[0.0, 0.1, 1.0]])
    contra = np.array([[0.05, -0.1, 1.0 - np.tan(_deg(5)) * np.hypot(0.05, 0.2)]])
    assert kin.pelvic_obliquity_deg(stance, contra)[0] == pytest.approx(5.0)


def test_upright_positions_flip_pixel_y_so_a_lower_pixel_hip_is_lower() -> None:
    pos = np.full((2, len(KEYPOINTS), 2), 100.0)
    i, j = KEYPOINTS.index("left_hip"), KEYPOINTS.index("right_hip")
    pos[:, i] = [400.0, 500.0]
    pos[:, j] = [400.0 + 100 * np.cos(_deg(5)), 500.0 + 100 * np.sin(_deg(5))]  # right hip lower on screen
    s = KeypointSeries.from_arrays(pos, KEYPOINTS, fps_hz=60.0)
    up = kin.upright_positions(s)
    assert kin.pelvic_obliquity_deg(up[:, i], up[:, j])[0] == pytest.approx(5.0)


@pytest.mark.parametrize("mirror", [1.0, -1.0])
def test_hip_adduction_is_femur_against_pelvis_perpendicular(mirror: float) -> None:
    hip, contra = _p(mirror * 0.1, 1.0), _p(-mirror * 0.1, 1.0)
    knee = hip + _p(-mirror * 0.45 * np.sin(_deg(10)), -0.45 * np.cos(_deg(10)))  # 10 deg medial
    assert kin.hip_adduction_deg(hip, contra, knee)[0] == pytest.approx(10.0)
    knee_lateral = hip + _p(mirror * 0.45 * np.sin(_deg(4)), -0.45 * np.cos(_deg(4)))
    assert kin.hip_adduction_deg(hip, contra, knee_lateral)[0] == pytest.approx(-4.0)
    # a vertical femur under a pelvis dropped 5 deg to the other side is 5 deg of adduction
    dropped = hip + _p(-mirror * 0.2 * np.cos(_deg(5)), -0.2 * np.sin(_deg(5)))
    assert kin.hip_adduction_deg(hip, dropped, hip + _p(0.0, -0.45))[0] == pytest.approx(5.0)


@pytest.mark.parametrize("mirror", [1.0, -1.0])
def test_knee_fppa_valgus_positive_varus_negative(mirror: float) -> None:
    hip, contra, ankle = _p(mirror * 0.1, 1.0), _p(-mirror * 0.1, 1.0), _p(mirror * 0.1, 0.1)
    expected = 2 * np.degrees(np.arctan(0.05 / 0.45))
    valgus_knee = _p(mirror * 0.05, 0.55)
    varus_knee = _p(mirror * 0.15, 0.55)
    assert kin.knee_fppa_deg(hip, contra, valgus_knee, ankle)[0] == pytest.approx(expected)
    assert kin.knee_fppa_deg(hip, contra, varus_knee, ankle)[0] == pytest.approx(-expected)


def test_knee_flexion_2d_and_3d() -> None:
    hip, knee = _p(0.0, 1.0), _p(0.0, 0.5)
    ankle = knee + _p(-0.5 * np.sin(_deg(30)), -0.5 * np.cos(_deg(30)))
    assert kin.knee_flexion_deg(hip, knee, ankle)[0] == pytest.approx(30.0)
    hip3, knee3 = np.array([[0.0, 0.1, 1.0]]), np.array([[0.0, 0.1, 0.5]])
    ankle3 = knee3 + np.array([[-0.5 * np.sin(_deg(45)), 0.0, -0.5 * np.cos(_deg(45))]])
    assert kin.knee_flexion_deg(hip3, knee3, ankle3)[0] == pytest.approx(45.0)


@pytest.mark.parametrize("forward", [1.0, -1.0])
def test_shank_and_forward_trunk_angles_follow_the_running_direction(forward: float) -> None:
    knee = _p(0.0, 0.5)
    ankle = knee + _p(forward * 0.45 * np.sin(_deg(8)), -0.45 * np.cos(_deg(8)))
    assert kin.shank_angle_deg(knee, ankle, forward)[0] == pytest.approx(8.0)
    hips, shoulders = _p(0.0, 1.0), _p(forward * 0.5 * np.sin(_deg(6)), 1.0 + 0.5 * np.cos(_deg(6)))
    assert kin.trunk_lean_forward_deg(shoulders, hips, forward)[0] == pytest.approx(6.0)


def test_lateral_trunk_lean_positive_towards_the_stance_leg() -> None:
    stance, contra = _p(0.1, 1.0), _p(-0.1, 1.0)
    mid_hip = 0.5 * (stance + contra)
    shoulders = mid_hip + _p(0.5 * np.sin(_deg(4)), 0.5 * np.cos(_deg(4)))
    assert kin.trunk_lean_lateral_deg(shoulders, mid_hip, stance, contra)[0] == pytest.approx(4.0)
    assert kin.trunk_lean_lateral_deg(shoulders, mid_hip, contra, stance)[0] == pytest.approx(-4.0)


def test_vectorised_over_frames() -> None:
    angles = np.radians(np.linspace(-10, 10, 21))
    stance = np.zeros((21, 2))
    contra = np.stack([-0.2 * np.cos(angles), -0.2 * np.sin(angles)], axis=1)
    np.testing.assert_allclose(kin.pelvic_obliquity_deg(stance, contra), np.linspace(-10, 10, 21))
