"""Frame timing: tell uneven (variable-frame-rate) timing apart, and put such a series on an even time grid.

Phones record variable frame rate: frames arrive 1, 2 or 3 nominal periods apart when the light is low or the
phone is busy. Every frame keeps its real time (``KeypointSeries.times_s``), but the zero-lag Butterworth
filters and the peak spacing of the event detection count samples, not seconds, so they need evenly spaced
samples. ``to_even_grid`` interpolates each keypoint linearly onto a grid at the median frame interval;
grid points inside a longer hole than ``max_gap_s`` between valid samples stay missing, as the gap filling
would leave them.

"Uneven" (project choice, not a published rule): more than ``UNEVEN_SHARE`` of the frame intervals differ from
the median interval by more than ``UNEVEN_INTERVAL_FRACTION`` of it. Containers that store times in whole
milliseconds (Matroska) give 33/34 ms intervals at 30 fps, 3 % apart, which stays even.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from glutemed.core.series import FloatArray, KeypointSeries

UNEVEN_INTERVAL_FRACTION = 0.10
UNEVEN_SHARE = 0.01


def uneven_share(times_s: FloatArray) -> float:
    """Share of frame intervals more than ``UNEVEN_INTERVAL_FRACTION`` away from the median interval."""
    intervals_s = np.diff(np.asarray(times_s, dtype=np.float64))
    if intervals_s.size < 2:
        return 0.0
    median_s = float(np.median(intervals_s))
    return float(np.mean(np.abs(intervals_s - median_s) > UNEVEN_INTERVAL_FRACTION * median_s))


def is_uneven(times_s: FloatArray) -> bool:
    return uneven_share(times_s) > UNEVEN_SHARE


def to_even_grid(series: KeypointSeries, *, max_gap_s: float) -> KeypointSeries:
    """``series`` resampled at its median frame interval from its first to its last time.

    Positions and confidences are interpolated linearly in time per keypoint from the valid samples (finite
    position); a grid time whose valid neighbours are more than ``max_gap_s`` apart (or, with ``max_gap_s``
    shorter than the median interval, more than one median interval apart) is left missing, with confidence 0.
    The meta records the original frame count.
    """
    period_s = float(np.median(np.diff(series.times_s)))
    n_grid = int(np.floor((series.times_s[-1] - series.times_s[0]) / period_s + 1e-9)) + 1
    grid_s = series.times_s[0] + period_s * np.arange(n_grid)
    longest_s = max(max_gap_s, period_s) + 1e-9
    n_kp, dims = series.positions.shape[1:]
    pos = np.full((n_grid, n_kp, dims), np.nan)
    conf = np.zeros((n_grid, n_kp))
    for k in range(n_kp):
        valid = np.all(np.isfinite(series.positions[:, k, :]), axis=1)
        t_ok = series.times_s[valid]
        if t_ok.size < 2:
            continue
        after = np.clip(np.searchsorted(t_ok, grid_s), 1, t_ok.size - 1)
        exact = np.isclose(t_ok[after], grid_s) | np.isclose(t_ok[after - 1], grid_s)
        inside = (grid_s >= t_ok[0]) & (grid_s <= t_ok[-1])
        keep = inside & ((t_ok[after] - t_ok[after - 1] <= longest_s) | exact)
        for d in range(dims):
            pos[keep, k, d] = np.interp(grid_s[keep], t_ok, series.positions[valid, k, d])
        conf[keep, k] = np.interp(grid_s[keep], t_ok, series.confidence[valid, k])
    meta = dict(series.meta) | {"resampled_from_frames": str(series.n_frames)}
    return replace(series, times_s=grid_s, positions=pos, confidence=conf, meta=meta)
