"""Foot strike / toe off and cadence on synthetic running with known event times."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from glutemed.core.events import cadence_from_events, detect_events
from glutemed.core.filters import default_cutoff_hz, lowpass
from glutemed.core.view import View


def _errors_frames(found: np.ndarray, truth: np.ndarray, fps_hz: float) -> np.ndarray:
    return np.asarray([np.min(np.abs(truth - f)) * fps_hz for f in found])


@pytest.mark.parametrize("view", ["rear", "side"])
def test_events_within_one_frame_at_60_fps(synth_run: Callable[..., Any], view: str) -> None:
    run = synth_run(view=view, fps_hz=60.0, noise_px=0.5)
    series = lowpass(run.series, cutoff_hz=default_cutoff_hz(60.0))
    events = detect_events(series, view=View(view))
    for side in ("left", "right"):
        strikes, toe_offs = events.strikes_s[side], events.toe_offs_s[side]
        assert strikes.size >= run.strikes_s[side].size - 2
        assert _errors_frames(strikes, run.strikes_s[side], 60.0).max() <= 1.0
        assert _errors_frames(toe_offs, run.toe_offs_s[side], 60.0).max() <= 1.0
    for stance in events.stances:
        assert 0.2 < stance.contact_time_s < 0.28
        assert stance.strike_frame < stance.toe_off_frame


@pytest.mark.parametrize("fps_hz", [30.0, 60.0, 120.0])
@pytest.mark.parametrize("cadence", [155.0, 170.0, 185.0])
def test_cadence_within_half_percent(synth_run: Callable[..., Any], fps_hz: float, cadence: float) -> None:
    run = synth_run(view="side", fps_hz=fps_hz, cadence_spm=cadence, contact_s=0.22, noise_px=1.0, seed=3)
    events = detect_events(lowpass(run.series, cutoff_hz=default_cutoff_hz(fps_hz)), view=View.SIDE)
    assert events.cadence_spm == pytest.approx(cadence, rel=0.005)


def test_cadence_fit_bridges_a_missed_stride() -> None:
    stride = 60.0 / 170.0 * 2
    left = 0.1 + stride * np.array([0, 1, 2, 4, 5, 6, 7])
    right = left + stride / 2
    assert cadence_from_events([left, right]) == pytest.approx(170.0)


def test_stances_carry_next_strikes_in_order(synth_run: Callable[..., Any]) -> None:
    run = synth_run(view="rear", fps_hz=60.0)
    events = detect_events(run.series, view=View.REAR)
    for st in events.stances:
        assert st.strike_time_s < st.toe_off_time_s
        if np.isfinite(st.next_contra_strike_time_s):  # the last stance has no next strike
            assert st.toe_off_time_s < st.next_contra_strike_time_s
        if np.isfinite(st.next_strike_time_s):
            assert st.next_strike_time_s == pytest.approx(st.strike_time_s + 2 * 60 / 170, abs=1 / 60)
    times = [s.strike_time_s for s in events.stances]
    assert times == sorted(times)
