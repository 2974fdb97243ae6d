"""Ground truth per stance from 3-D motion-capture keypoints, to score the 2-D engine against.

Input: a KeypointSeries in metres, lab frame z UP, x forward, y left (as ``glutemed.io.c3d_mocap`` builds it),
with left/right hip, knee, ankle and heel, plus contact intervals (foot strike and toe off, per side), best
from treadmill force. Definitions (angles in degrees):

- pelvic obliquity: angle of the hip-centre line against the horizontal, positive when the LEFT hip is higher.
  Hip centres are rigid with the pelvis, so this is the pelvis's frontal tilt.
- pelvic drop for a stance on side S: how far the contralateral hip sits below hip S (positive = drop).
  ``pelvic_drop_peak_deg`` is its largest rise above the value at foot strike during the stance;
  ``pelvic_drop_midstance_deg`` is that rise at the middle of the stance.
- hip adduction: in the frontal (y-z) plane, 90 deg minus the angle between the femur (hip to knee) and the
  line from the stance hip to the other hip; positive when the knee sits medial of the hip's perpendicular.
- knee flexion: in the sagittal (x-z) plane, 180 deg minus the hip-knee-ankle angle (0 = straight).
- step width: lateral (y) distance between the heel at this strike and the other heel at the previous strike.
- cadence: steps per minute over the strikes, 60 (n - 1) / (last - first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import find_peaks

from glutemed.core.series import KeypointSeries

FloatArray = NDArray[np.float64]
OTHER = {"left": "right", "right": "left"}


@dataclass(frozen=True)
class StanceTruth:
    side: str
    strike_s: float
    toe_off_s: float
    pelvic_drop_peak_deg: float
    pelvic_drop_midstance_deg: float
    pelvic_obliquity_strike_deg: float
    hip_adduction_strike_deg: float
    hip_adduction_peak_deg: float
    knee_flexion_strike_deg: float
    knee_flexion_peak_stance_deg: float
    step_width_cm: float  # NaN for the first strike

    @property
    def contact_time_s(self) -> float:
        return self.toe_off_s - self.strike_s


@dataclass(frozen=True)
class MocapTruth:
    stances: tuple[StanceTruth, ...]
    cadence_spm: float
    pelvic_obliquity_mean_deg: float

    def values(self, metric: str, side: str | None = None) -> FloatArray:
        return np.array([getattr(s, metric) for s in self.stances if side is None or s.side == side])

    def median(self, metric: str, side: str | None = None) -> float:
        vals = self.values(metric, side)
        vals = vals[np.isfinite(vals)]
        return float(np.median(vals)) if vals.size else float("nan")


def _angle_2d(a: FloatArray, b: FloatArray) -> FloatArray:
    """Unsigned angle (deg) between 2-D vectors, per frame."""
    cross = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    dot = np.sum(a * b, axis=-1)
    return np.asarray(np.degrees(np.arctan2(np.abs(cross), dot)))


def pelvic_obliquity_deg(kp: KeypointSeries) -> FloatArray:
    """Hip-line tilt per frame, positive when the left hip is higher."""
    d = kp.xyz("left_hip") - kp.xyz("right_hip")
    return np.asarray(np.degrees(np.arctan2(d[:, 2], np.hypot(d[:, 0], d[:, 1]))))


def hip_adduction_deg(kp: KeypointSeries, side: str) -> FloatArray:
    hip = kp.xyz(f"{side}_hip")
    pelvis = (kp.xyz(f"{OTHER[side]}_hip") - hip)[:, 1:]
    femur = (kp.xyz(f"{side}_knee") - hip)[:, 1:]
    return 90.0 - _angle_2d(pelvis, femur)


def knee_flexion_deg(kp: KeypointSeries, side: str) -> FloatArray:
    knee = kp.xyz(f"{side}_knee")
    thigh = (kp.xyz(f"{side}_hip") - knee)[:, [0, 2]]
    shank = (kp.xyz(f"{side}_ankle") - knee)[:, [0, 2]]
    return 180.0 - _angle_2d(thigh, shank)


def _at(times: FloatArray, values: FloatArray, t: float) -> float:
    return float(np.interp(t, times, values))


def _window(times: FloatArray, values: FloatArray, t0: float, t1: float) -> FloatArray:
    inside = (times >= t0) & (times <= t1)
    return np.concatenate([[_at(times, values, t0)], values[inside], [_at(times, values, t1)]])


def stance_truth(
    kp: KeypointSeries, strikes_s: FloatArray, toe_offs_s: FloatArray, sides: tuple[str, ...] | list[str]
) -> MocapTruth:
    """Per-stance ground truth from 3-D keypoints and contact intervals (sorted by strike time)."""
    if kp.dims != 3 or kp.units not in ("m", "mm"):
        raise ValueError(f"{kp.source}: ground truth needs 3-D keypoints in m or mm")
    if not len(strikes_s) == len(toe_offs_s) == len(sides) or len(strikes_s) < 2:
        raise ValueError(f"{kp.source}: need at least 2 strikes with one toe off and one side each")
    t = kp.times_s
    scale_cm = 0.1 if kp.units == "mm" else 100.0
    obliq = pelvic_obliquity_deg(kp)
    curves = {s: (hip_adduction_deg(kp, s), knee_flexion_deg(kp, s)) for s in ("left", "right")}
    heel_y = {s: kp.xyz(f"{s}_heel")[:, 1] for s in ("left", "right")}
    stances = []
    for i, (t0, t1, side) in enumerate(zip(strikes_s, toe_offs_s, sides, strict=True)):
        drop = obliq if side == "left" else -obliq
        rise = _window(t, drop, t0, t1) - _at(t, drop, t0)
        add, flex = curves[side]
        width = float("nan")
        if i > 0 and sides[i - 1] == OTHER[side]:
            y_now = _at(t, heel_y[side], t0)
            y_prev = _at(t, heel_y[sides[i - 1]], strikes_s[i - 1])
            width = abs(y_now - y_prev) * scale_cm
        stances.append(
            StanceTruth(
                side=side,
                strike_s=float(t0),
                toe_off_s=float(t1),
                pelvic_drop_peak_deg=float(np.max(rise)),
                pelvic_drop_midstance_deg=_at(t, drop, (t0 + t1) / 2) - _at(t, drop, t0),
                pelvic_obliquity_strike_deg=_at(t, obliq, t0),
                hip_adduction_strike_deg=_at(t, add, t0),
                hip_adduction_peak_deg=float(np.max(_window(t, add, t0, t1))),
                knee_flexion_strike_deg=_at(t, flex, t0),
                knee_flexion_peak_stance_deg=float(np.max(_window(t, flex, t0, t1))),
                step_width_cm=width,
            )
        )
    cadence = 60.0 * (len(strikes_s) - 1) / float(strikes_s[-1] - strikes_s[0])
    return MocapTruth(tuple(stances), cadence, float(np.nanmean(obliq)))


def foot_excursion_contacts(
    kp: KeypointSeries, *, min_step_s: float = 0.25
) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    """Kinematic contacts for trials without force, after Zeni et al. 2008 (Gait Posture 27:710): foot strike
    where the heel is farthest forward of the hip midpoint, toe off where the toe (else the heel) is farthest
    behind it. Each side's events are at least ``min_step_s`` apart. Use force where the trial has it."""
    pelvis_x = (kp.xyz("left_hip")[:, 0] + kp.xyz("right_hip")[:, 0]) / 2
    gap = max(1, round(min_step_s * kp.fps_hz))
    events: list[tuple[float, float, str]] = []
    for side in ("left", "right"):
        heel = np.nan_to_num(kp.xyz(f"{side}_heel")[:, 0] - pelvis_x)
        foot = f"{side}_toe" if kp.has(f"{side}_toe") else f"{side}_heel"
        toe = np.nan_to_num(kp.xyz(foot)[:, 0] - pelvis_x)
        prom = 0.3 * float(np.ptp(np.percentile(heel, [5, 95])))
        strikes = find_peaks(heel, distance=gap, prominence=prom)[0]
        offs = find_peaks(-toe, distance=gap, prominence=prom)[0]
        for s_i in strikes:
            later = offs[offs > s_i]
            if later.size:
                events.append((float(kp.times_s[s_i]), float(kp.times_s[later[0]]), side))
    events.sort()
    return (
        np.array([e[0] for e in events]),
        np.array([e[1] for e in events]),
        tuple(e[2] for e in events),
    )
