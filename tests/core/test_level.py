"""Camera roll correction on hand-built keypoints with a known roll."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from glutemed.core.engine import GaitEngine
from glutemed.core.filters import estimate_camera_roll_deg
from glutemed.core.kinematics import hip_adduction_deg
from glutemed.core.level import derotate
from glutemed.core.series import KeypointSeries, SeriesError
from glutemed.core.view import View

NAMES = ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_knee")


def _rolled(roll_deg: float, units: str = "pixel") -> KeypointSeries:
    """A level upright body (rear view, pixels, y down) whose image is turned anticlockwise by ``roll_deg``."""
    level = np.array([[540.0, 300.0], [660.0, 300.0], [560.0, 600.0], [640.0, 600.0], [575.0, 800.0]])
    y_sign = -1.0 if units == "pixel" else 1.0
    a = np.radians(roll_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    centre = np.array([600.0, 500.0])
    p = (level - centre) * [1.0, y_sign]
    turned = (p @ rot.T) * [1.0, y_sign] + centre
    frames = np.repeat(turned[None], 30, axis=0)
    return KeypointSeries.from_arrays(frames, NAMES, fps_hz=60.0, units=units)  # type: ignore[arg-type]


@pytest.mark.parametrize("units", ["pixel", "normalized"])
@pytest.mark.parametrize("roll_deg", [-4.0, 2.5, 7.0])
def test_the_estimated_roll_is_removed(roll_deg: float, units: str) -> None:
    series = _rolled(roll_deg, units)
    assert estimate_camera_roll_deg(series) == pytest.approx(roll_deg, abs=1e-9)
    fixed = derotate(series, roll_deg)
    assert estimate_camera_roll_deg(fixed) == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(
        fixed.positions[0], _rolled(0.0, units).positions[0] + _shift(fixed, units), atol=1e-9
    )
    assert fixed.meta["roll_corrected_deg"] == f"{roll_deg:.3f}"


def _shift(fixed: KeypointSeries, units: str) -> np.ndarray:
    """Derotation turns about the points' median, not the image centre: a pure translation of the level body."""
    return np.asarray(fixed.positions[0].mean(axis=0) - _rolled(0.0, units).positions[0].mean(axis=0))


def test_segment_angles_do_not_change() -> None:
    series = _rolled(6.0)
    fixed = derotate(series, 6.0)
    before = hip_adduction_deg(series.xyz("left_hip"), series.xyz("right_hip"), series.xyz("left_knee"))
    after = hip_adduction_deg(fixed.xyz("left_hip"), fixed.xyz("right_hip"), fixed.xyz("left_knee"))
    np.testing.assert_allclose(before, after, atol=1e-9)


def test_zero_or_unknown_roll_changes_nothing_and_3d_is_refused() -> None:
    series = _rolled(3.0)
    assert derotate(series, 0.0) is series
    assert derotate(series, float("nan")) is series
    xyz = KeypointSeries.from_arrays(np.zeros((5, 2, 3)), ("left_hip", "right_hip"), fps_hz=100.0, units="m")
    with pytest.raises(SeriesError, match="2-D"):
        derotate(xyz, 2.0)


def test_engine_removes_a_known_roll_before_measuring(synth_run: Callable[..., Any]) -> None:
    """A rear clip filmed 5 deg rolled: with the roll given, the crossover verdicts and the trunk lean are those
    of the level clip, and the residual roll the engine estimates is the level clip's (about 0)."""
    run = synth_run(view="rear", step_width_m=0.02)  # a narrow base, so the midline side is sensitive to roll
    s = run.series
    th = np.radians(5.0)
    x, y = s.positions[..., 0] - 640, s.positions[..., 1] - 700
    rolled = s.with_positions(
        np.stack([640 + x * np.cos(th) + y * np.sin(th), 700 - x * np.sin(th) + y * np.cos(th)], axis=-1)
    )
    level = GaitEngine().analyze(s, view=View.REAR)
    blind = GaitEngine().analyze(rolled, view=View.REAR)
    known = GaitEngine(camera_roll_deg=5.0).analyze(rolled, view=View.REAR)
    assert blind.camera_roll_deg_ == pytest.approx(5.0, abs=0.3)
    assert known.camera_roll_deg_ == pytest.approx(level.camera_roll_deg_, abs=0.05)
    assert known.roll_corrected_deg_ == 5.0
    assert level.roll_corrected_deg_ is None
    crossings = [[st.crossover for st in e.stances_.stances] for e in (level, blind, known)]
    assert crossings[2] == crossings[0]
    assert crossings[1] != crossings[0]  # uncorrected, the roll moves feet across the midline
    lean = [
        np.nanmedian([st.trunk_lean_lateral_deg for st in e.stances_.stances]) for e in (level, blind, known)
    ]
    assert lean[1] == pytest.approx(lean[0] - 5.0, abs=0.1)
    assert lean[2] == pytest.approx(lean[0], abs=0.05)
    for side in ("left", "right"):
        assert known.summary_.value("pelvic_drop_peak_deg", side) == pytest.approx(
            level.summary_.value("pelvic_drop_peak_deg", side), abs=0.05
        )
