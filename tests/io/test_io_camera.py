from __future__ import annotations

import numpy as np
import pytest

from glutemed.core.camera import (
    Lens,
    VirtualCamera,
    add_pixel_noise,
    drop_frames,
    rear_camera,
    resample,
    side_camera,
)
from glutemed.core.series import KeypointSeries


def test_point_on_optical_axis_lands_on_principal_point() -> None:
    cam = VirtualCamera((0.0, 0.0, 1.0), (5.0, 0.0, 1.0), focal_px=1000, width_px=1280, height_px=720)
    px = cam.project(np.array([[3.0, 0.0, 1.0], [10.0, 0.0, 1.0]]))
    np.testing.assert_allclose(px, [[640.0, 360.0]] * 2, atol=1e-9)


def test_pinhole_scale_and_axes() -> None:
    cam = VirtualCamera((0.0, 0.0, 1.0), (5.0, 0.0, 1.0), focal_px=1000, width_px=1280, height_px=720)
    # looking along +x: lab left (+y) is image left, lab up is image up (smaller y)
    u, v = cam.project(np.array([4.0, 0.4, 1.2]))
    assert u == pytest.approx(640 - 1000 * 0.4 / 4)
    assert v == pytest.approx(360 - 1000 * 0.2 / 4)
    assert np.isnan(cam.project(np.array([-1.0, 0.0, 1.0]))).all()  # behind the camera


@pytest.mark.parametrize("roll_deg", [5.0, -5.0])
def test_rolled_camera_rotates_a_horizontal_line(roll_deg: float) -> None:
    cam = VirtualCamera((0.0, 0.0, 1.0), (5.0, 0.0, 1.0), roll_deg=roll_deg)
    a, b = cam.project(np.array([[4.0, 0.5, 1.0], [4.0, -0.5, 1.0]]))
    angle = np.degrees(np.arctan2(b[1] - a[1], b[0] - a[0]))
    assert abs(angle) == pytest.approx(5.0, abs=1e-9)
    level = VirtualCamera((0.0, 0.0, 1.0), (5.0, 0.0, 1.0))
    a, b = level.project(np.array([[4.0, 0.5, 1.0], [4.0, -0.5, 1.0]]))
    assert b[1] - a[1] == pytest.approx(0.0, abs=1e-9)


def test_yaw_and_pitch_move_the_principal_point_target() -> None:
    target = np.array([5.0, 0.0, 1.0])
    px = VirtualCamera((0.0, 0.0, 1.0), tuple(target), yaw_deg=3.0, focal_px=1000).project(target)
    assert abs(px[0] - 960) == pytest.approx(1000 * np.tan(np.radians(3.0)), rel=1e-9)
    assert px[1] == pytest.approx(540)
    px = VirtualCamera((0.0, 0.0, 1.0), tuple(target), pitch_deg=2.0, focal_px=1000).project(target)
    assert abs(px[1] - 540) == pytest.approx(1000 * np.tan(np.radians(2.0)), rel=1e-9)


def _runner(n: int = 300, fps: float = 150.0) -> KeypointSeries:
    t = np.arange(n) / fps
    base = np.array([[2.3, 0.08, 0.95], [2.3, -0.08, 0.95], [2.3, 0.07, 0.05], [2.3, -0.07, 0.05]])
    pos = np.repeat(base[None], n, axis=0)
    pos[:, :, 2] += 0.04 * np.sin(2 * np.pi * 2.8 * t)[:, None]
    return KeypointSeries.from_arrays(
        pos, ("left_hip", "right_hip", "left_heel", "right_heel"), times_s=t, units="m"
    )


def test_rear_and_side_factories_see_the_runner() -> None:
    series = _runner()
    target = np.nanmedian(series.positions.reshape(-1, 3), axis=0)
    rear = rear_camera(target, distance_m=4.0).project_series(series)
    assert rear.units == "pixel"
    assert np.isfinite(rear.positions).all()
    # seen from behind, the runner's left is image left
    assert np.all(rear.xyz("left_hip")[:, 0] < rear.xyz("right_hip")[:, 0])
    assert np.all(rear.xyz("left_heel")[:, 1] > rear.xyz("left_hip")[:, 1])
    side = side_camera(target, side="left", lens=Lens(focal_px=1200)).project_series(series)
    assert abs(np.median(side.xyz("left_hip")[:, 0] - side.xyz("right_hip")[:, 0])) < 1.0
    far = rear_camera(target, distance_m=0.2).project_series(series)  # feet fall outside the image
    assert (far.confidence == 0).any()
    assert np.isnan(far.positions).any()


def test_resample_noise_and_drops_are_seeded() -> None:
    series = _runner()
    for fps in (30.0, 60.0, 240.0):
        out = resample(series, fps)
        assert out.fps_hz == pytest.approx(fps)
        mid = out.times_s.size // 2
        expect = np.interp(out.times_s[mid], series.times_s, series.xyz("left_hip")[:, 2])
        assert out.xyz("left_hip")[mid, 2] == pytest.approx(expect)
    with pytest.raises(ValueError, match="30-240"):
        resample(series, 20.0)
    a = add_pixel_noise(series, 2.0, np.random.default_rng(3))
    b = add_pixel_noise(series, 2.0, np.random.default_rng(3))
    np.testing.assert_array_equal(a.positions, b.positions)
    assert np.std(a.positions - series.positions) == pytest.approx(2.0, rel=0.1)
    dropped = drop_frames(series, 0.1, np.random.default_rng(4))
    lost = np.isnan(dropped.positions).all(axis=(1, 2))
    assert lost.sum() == 30
    assert np.all(dropped.confidence[lost] == 0)
