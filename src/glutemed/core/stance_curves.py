"""Joint angles over normalised stance: every stance resampled from foot strike (0 %) to toe off (100 %).

Each stance's samples are linearly interpolated onto ``n_points`` evenly spaced instants between its strike
and toe-off times; a stance with fewer than two finite samples inside its window is left out. The summary
per leg is the median and the 25th-75th percentile band at each instant, over the stances kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glutemed.core import kinematics as kin
from glutemed.core.series import FloatArray, KeypointSeries

STANCE_POINTS = 101  # 0, 1, ..., 100 % of stance
ANGLES = ("knee_flexion", "pelvic_drop", "hip_adduction", "shank")
# the per-stance metric each angle's peak (or value at strike) belongs to
ANGLE_OF_METRIC = {
    "knee_flexion_peak_stance_deg": "knee_flexion",
    "pelvic_drop_peak_deg": "pelvic_drop",
    "hip_adduction_peak_deg": "hip_adduction",
    "shank_angle_strike_deg": "shank",
}


@dataclass(frozen=True)
class StanceCurve:
    """One leg's angle over stance: percent of stance, median and the 25-75 % band, over ``n_stances``."""

    percent: FloatArray
    median: FloatArray
    low: FloatArray  # 25th percentile
    high: FloatArray  # 75th percentile
    n_stances: int

    @property
    def peak(self) -> float:
        """The highest point of the median curve."""
        return float(np.nanmax(self.median))


def angle_track(series: KeypointSeries, angle: str, side: str, /, *, forward_sign: float = 1.0) -> FloatArray:
    """One leg's angle over the whole recording, by the formulas the stance metrics use.

    ``pelvic_drop``: the pelvis tilt for stances of ``side`` (positive = other hip lower), without the extra
    obliquity low-pass; ``shank``: the shank's tilt from vertical, positive with the ankle ahead of the knee.
    """
    up = kin.upright_positions(series)
    other = "right" if side == "left" else "left"

    def point(name: str) -> FloatArray:
        return np.asarray(up[:, series.index(name)], dtype=np.float64)

    if angle == "knee_flexion":
        return kin.knee_flexion_deg(point(f"{side}_hip"), point(f"{side}_knee"), point(f"{side}_ankle"))
    if angle == "pelvic_drop":
        return kin.pelvic_obliquity_deg(point(f"{side}_hip"), point(f"{other}_hip"))
    if angle == "hip_adduction":
        return kin.hip_adduction_deg(point(f"{side}_hip"), point(f"{other}_hip"), point(f"{side}_knee"))
    if angle == "shank":
        return kin.shank_angle_deg(point(f"{side}_knee"), point(f"{side}_ankle"), forward_sign)
    raise ValueError(f"unknown angle {angle!r}; expected one of {ANGLES}")


def normalise_stances(
    signal: FloatArray,
    times_s: FloatArray,
    windows: Sequence[tuple[float, float]],
    /,
    *,
    n_points: int = STANCE_POINTS,
    relative_to_strike: bool = False,
) -> FloatArray:
    """One row per usable stance window (strike, toe off), ``n_points`` columns from 0 to 100 % of stance.

    ``relative_to_strike`` subtracts each stance's value at foot strike (a rise from contact, as pelvic drop is
    measured, which a constant camera roll does not change).
    """
    rows = []
    for strike_s, toe_off_s in windows:
        if not (np.isfinite(strike_s) and np.isfinite(toe_off_s) and toe_off_s > strike_s):
            continue
        inside = (times_s >= strike_s) & (times_s <= toe_off_s) & np.isfinite(signal)
        if inside.sum() < 2:
            continue
        t = times_s[inside]
        grid = np.linspace(strike_s, toe_off_s, n_points)
        row = np.interp(grid, t, signal[inside], left=np.nan, right=np.nan)
        # the ends of the window fall between samples: hold the nearest sample rather than leave a gap
        row[grid < t[0]] = signal[inside][0]
        row[grid > t[-1]] = signal[inside][-1]
        if relative_to_strike:
            row = row - row[0]
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), n_points)


def summarise(curves: FloatArray, /) -> StanceCurve | None:
    """Median and 25-75 % band per instant; None without any stance."""
    if curves.shape[0] == 0:
        return None
    percent = np.linspace(0.0, 100.0, curves.shape[1])
    low, median, high = np.nanpercentile(curves, [25.0, 50.0, 75.0], axis=0)
    return StanceCurve(
        percent=percent,
        median=np.asarray(median, dtype=np.float64),
        low=np.asarray(low, dtype=np.float64),
        high=np.asarray(high, dtype=np.float64),
        n_stances=int(curves.shape[0]),
    )
