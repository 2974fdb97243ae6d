"""Gap filling, zero-lag low-pass, left/right repair and camera roll (glutemed.core.filters)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from glutemed.core.filters import (
    default_cutoff_hz,
    detect_side_swaps,
    estimate_camera_roll_deg,
    fill_gaps,
    lowpass,
    repair_left_right,
)
from glutemed.core.series import KeypointSeries, SeriesError


def _one_track(x: np.ndarray, fps_hz: float) -> KeypointSeries:
    pos = np.stack([x, 2 * x], axis=1)[:, None, :]
    return KeypointSeries.from_arrays(pos, ["left_hip"], fps_hz=fps_hz)


def test_fill_gaps_bridges_short_gaps_only_and_marks_confidence() -> None:
    x = np.arange(100, dtype=float)
    x[10:13] = np.nan  # 3 frames at 60 fps = 50 ms
    x[40:60] = np.nan  # 20 frames = 333 ms
    x[:2] = np.nan  # leading gap: never extrapolated
    filled = fill_gaps(_one_track(x, 60.0), max_gap_s=0.1)
    track = filled.positions[:, 0, 0]
    np.testing.assert_allclose(track[10:13], [10.0, 11.0, 12.0])
    assert np.all(np.isnan(track[40:60]))
    assert np.all(np.isnan(track[:2]))
    np.testing.assert_allclose(filled.confidence[10:13, 0], 0.5)
    assert filled.confidence[20, 0] == 1.0


def test_fill_gaps_cubic_follows_a_curve() -> None:
    t = np.arange(120) / 60.0
    x = np.sin(2 * np.pi * 1.5 * t)
    holed = x.copy()
    holed[50:54] = np.nan
    filled = fill_gaps(_one_track(holed, 60.0), max_gap_s=0.1, method="cubic")
    np.testing.assert_allclose(filled.positions[50:54, 0, 0], x[50:54], atol=2e-3)


def test_default_cutoff_follows_frame_rate() -> None:
    assert default_cutoff_hz(30.0) == pytest.approx(6.0)
    assert default_cutoff_hz(60.0) == pytest.approx(10.0)
    assert default_cutoff_hz(240.0) == pytest.approx(10.0)


def test_lowpass_keeps_gait_band_removes_jitter_without_lag() -> None:
    fps = 100.0
    t = np.arange(1000) / fps
    slow = np.sin(2 * np.pi * 2.0 * t)
    noisy = slow + 0.3 * np.sin(2 * np.pi * 30.0 * t)
    out = lowpass(_one_track(noisy, fps), cutoff_hz=10.0).positions[:, 0, 0]
    core = slice(100, 900)
    np.testing.assert_allclose(out[core], slow[core], atol=0.02)  # no phase lag: sample-by-sample match
    assert np.argmax(np.correlate(out[core], slow[core], mode="full")) == 799


def test_lowpass_keeps_nan_segments_apart() -> None:
    fps = 60.0
    x = np.sin(2 * np.pi * np.arange(300) / fps)
    x[100:110] = np.nan
    out = lowpass(_one_track(x, fps), cutoff_hz=6.0).positions[:, 0, 0]
    assert np.all(np.isnan(out[100:110]))
    assert np.all(np.isfinite(out[:100]))
    assert np.all(np.isfinite(out[110:]))


def test_lowpass_rejects_cutoff_above_nyquist() -> None:
    with pytest.raises(SeriesError, match="Nyquist"):
        lowpass(_one_track(np.zeros(50), 30.0), cutoff_hz=20.0)


@pytest.mark.parametrize("view", ["rear", "side"])
def test_left_right_swaps_found_and_repaired(synth_run: Callable[..., Any], view: str) -> None:
    run = synth_run(view=view, noise_px=0.5)
    clean = run.series
    assert not detect_side_swaps(clean).any()
    bad = np.zeros(clean.n_frames, dtype=bool)
    bad[100:106] = True
    bad[300:302] = True
    swapped = clean.swap_sides(bad)
    np.testing.assert_array_equal(detect_side_swaps(swapped), bad)
    np.testing.assert_allclose(repair_left_right(swapped).positions, clean.positions)


def test_camera_roll_sign_and_size(synth_run: Callable[..., Any]) -> None:
    run = synth_run(view="rear")
    s = run.series
    assert abs(estimate_camera_roll_deg(s)) < 0.2
    th = np.radians(3.0)  # turn the picture 3 deg anticlockwise on screen (y down)
    x, y = s.positions[..., 0] - 640, s.positions[..., 1] - 700
    rolled = np.stack([640 + x * np.cos(th) + y * np.sin(th), 700 - x * np.sin(th) + y * np.cos(th)], axis=-1)
    assert estimate_camera_roll_deg(s.with_positions(rolled)) == pytest.approx(3.0, abs=0.2)
