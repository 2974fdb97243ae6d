"""Uneven frame timing (glutemed.core.timing) on hand-built series with known motion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from glutemed.core.engine import GaitEngine
from glutemed.core.series import KeypointSeries
from glutemed.core.timing import is_uneven, to_even_grid, uneven_share
from glutemed.core.view import View


def _line(times_s: np.ndarray) -> KeypointSeries:
    """One keypoint moving x = 100 t px, y = 5 px; confidence 0.5 + t / 100."""
    pos = np.stack([100.0 * times_s, np.full_like(times_s, 5.0)], axis=-1)[:, None, :]
    conf = (0.5 + times_s / 100.0)[:, None]
    return KeypointSeries.from_arrays(pos, ("left_hip",), times_s=times_s, confidence=conf)


def test_even_and_millisecond_rounded_timing_is_even() -> None:
    assert not is_uneven(np.arange(300) / 30.0)
    assert not is_uneven(np.round(np.arange(300) / 30.0, 3))  # Matroska: 33/34 ms
    dropped = np.delete(np.arange(300) / 30.0, np.arange(5, 300, 7))
    assert uneven_share(dropped) == pytest.approx(42 / 256, abs=0.01)
    assert is_uneven(dropped)


def test_resampling_keeps_linear_motion_exact_and_the_real_times() -> None:
    times = np.delete(np.arange(301) / 30.0, [4, 5, 17, 40, 41, 42, 100])
    even = to_even_grid(_line(times), max_gap_s=0.2)
    np.testing.assert_allclose(np.diff(even.times_s), 1 / 30.0, rtol=1e-9)
    assert even.times_s[0] == times[0]
    assert even.times_s[-1] == pytest.approx(times[-1])
    np.testing.assert_allclose(even.positions[:, 0, 0], 100.0 * even.times_s, atol=1e-9)
    np.testing.assert_allclose(even.confidence[:, 0], 0.5 + even.times_s / 100.0, atol=1e-12)
    assert even.meta["resampled_from_frames"] == str(times.size)


def test_holes_longer_than_the_gap_limit_stay_missing() -> None:
    times = np.arange(120) / 30.0
    series = _line(times)
    pos = series.positions.copy()
    pos[50:62] = np.nan  # a 0.43 s hole
    holed = series.with_positions(pos)
    keep = np.ones(120, bool)
    keep[[10, 11, 80]] = False  # and uneven timing elsewhere
    holed = KeypointSeries(times[keep], pos[keep], holed.confidence[keep], holed.names)
    even = to_even_grid(holed, max_gap_s=0.1)
    missing = ~np.isfinite(even.positions[:, 0, 0])
    hole = (even.times_s > times[49] + 1e-9) & (even.times_s < times[62] - 1e-9)
    np.testing.assert_array_equal(missing, hole)
    assert (even.confidence[missing, 0] == 0).all()
    assert np.isfinite(even.positions[(even.times_s > 0.3) & (even.times_s < 0.4), 0, 0]).all()


@pytest.mark.parametrize("view", ["rear", "side"])
def test_engine_gives_the_same_answers_from_variable_frame_rate(
    view: str, synth_run: Callable[..., Any]
) -> None:
    """A 60 fps run with a third of its frames dropped irregularly reads like the full clip."""
    run = synth_run(view=view, fps_hz=60.0)
    full = run.series
    rng = np.random.default_rng(4)
    keep = np.ones(full.n_frames, bool)
    keep[rng.choice(np.arange(1, full.n_frames - 1), full.n_frames // 3, replace=False)] = False
    vfr = KeypointSeries(full.times_s[keep], full.positions[keep], full.confidence[keep], full.names)
    assert is_uneven(vfr.times_s)
    ref = GaitEngine().analyze(full, view=View(view))
    eng = GaitEngine().analyze(vfr, view=View(view))
    assert eng.resampled_from_frames_ == int(keep.sum())
    assert ref.resampled_from_frames_ is None
    assert eng.events_.cadence_spm == pytest.approx(ref.events_.cadence_spm, rel=0.005)
    assert len(eng.events_.stances) == pytest.approx(len(ref.events_.stances), abs=1)
    metric = "pelvic_drop_peak_deg" if view == "rear" else "contact_time_s"
    for side in ("left", "right"):
        got, want = eng.summary_.value(metric, side), ref.summary_.value(metric, side)
        assert got == pytest.approx(want, rel=0.05, abs=0.01)
