"""Ground truth per stance from 3-D motion-capture keypoints, to score the 2-D engine against.

Input: a KeypointSeries in metres, lab frame z UP, x forward, y left (as ``glutemed.io.c3d_mocap`` builds it),
with left/right hip, knee, ankle and heel, plus contact intervals (foot strike and toe off, per side), best
from treadmill force (else ``treadmill_contacts``). Definitions (angles in degrees), each matching the
engine's 2-D definition in ``glutemed.core.stance_metrics`` so that truth and engine measure the same thing:

- pelvic obliquity: angle of the hip-centre line against the horizontal, positive when the LEFT hip is higher.
  Hip centres are rigid with the pelvis, so this is the pelvis's frontal tilt.
- pelvic drop for a stance on side S: how far the contralateral hip sits below hip S (positive = drop).
  ``pelvic_drop_peak_deg`` is its largest rise above the value at foot strike during the stance;
  ``pelvic_drop_midstance_deg`` is that rise at the middle of the stance.
- hip adduction: in the frontal (y-z) plane, 90 deg minus the angle between the femur (hip to knee) and the
  line from the stance hip to the other hip; positive when the knee sits medial of the hip's perpendicular.
- knee frontal-plane projection angle (FPPA): ``glutemed.core.kinematics.knee_fppa_deg`` applied to the hip,
  other hip, knee and ankle centres projected onto the frontal (y-z) plane: 180 deg minus the hip-knee-ankle
  angle there, positive (valgus) when the knee lies medial of the hip-ankle line. Peak = largest in stance.
- knee flexion: in the sagittal (x-z) plane, 180 deg minus the hip-knee-ankle angle (0 = straight).
- step width: mediolateral (y) distance from the other foot at its previous strike to this foot at this
  strike, signed like the engine's: positive when the left foot lands to the left of the right foot, negative
  for a crossover. The foot is the heel keypoint, else the ankle centre (the engine's choice too).
  ``step_width_pelvis_ratio`` divides it by the hip-centre distance in the frontal (y-z) plane at this strike,
  which is the pelvis width a camera behind the runner sees (the 3-D distance times the cosine of the
  pelvis's transverse rotation).
- cadence: steps per minute over the strikes, 60 (n - 1) / (last - first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import find_peaks

from glutemed.core import kinematics as kin
from glutemed.core.filters import lowpass_signal
from glutemed.core.series import KeypointSeries

FloatArray = NDArray[np.float64]
OTHER = {"left": "right", "right": "left"}
SIDES = ("left", "right")


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
    knee_fppa_peak_deg: float
    knee_flexion_strike_deg: float
    knee_flexion_peak_stance_deg: float
    step_width_cm: float  # NaN for the first strike and after a strike of the same foot
    step_width_pelvis_ratio: float

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


def knee_fppa_deg(kp: KeypointSeries, side: str) -> FloatArray:
    """Knee FPPA per frame (deg, valgus positive) of the joint centres projected onto the frontal y-z plane."""
    frontal = {n: kp.xyz(f"{s}_{n}")[:, 1:] for s, n in ((side, "knee"), (side, "ankle"))}
    return kin.knee_fppa_deg(
        kp.xyz(f"{side}_hip")[:, 1:], kp.xyz(f"{OTHER[side]}_hip")[:, 1:], frontal["knee"], frontal["ankle"]
    )


def knee_flexion_deg(kp: KeypointSeries, side: str) -> FloatArray:
    knee = kp.xyz(f"{side}_knee")
    thigh = (kp.xyz(f"{side}_hip") - knee)[:, [0, 2]]
    shank = (kp.xyz(f"{side}_ankle") - knee)[:, [0, 2]]
    return 180.0 - _angle_2d(thigh, shank)


def foot_point(kp: KeypointSeries, side: str) -> FloatArray:
    """The heel keypoint where tracked, else the ankle centre (per frame), as the engine places the foot."""
    ankle = kp.xyz(f"{side}_ankle")
    if not kp.has(f"{side}_heel"):
        return ankle
    heel = kp.xyz(f"{side}_heel")
    return np.asarray(np.where(np.all(np.isfinite(heel), axis=1)[:, None], heel, ankle))


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
    curves = {s: (hip_adduction_deg(kp, s), knee_fppa_deg(kp, s), knee_flexion_deg(kp, s)) for s in SIDES}
    foot_y = {s: foot_point(kp, s)[:, 1] for s in SIDES}
    hip_line = kp.xyz("left_hip")[:, 1:] - kp.xyz("right_hip")[:, 1:]
    pelvis_frontal = np.linalg.norm(hip_line, axis=1)
    stances = []
    for i, (t0, t1, side) in enumerate(zip(strikes_s, toe_offs_s, sides, strict=True)):
        drop = obliq if side == "left" else -obliq
        rise = _window(t, drop, t0, t1) - _at(t, drop, t0)
        add, fppa, flex = curves[side]
        width = ratio = float("nan")
        if i > 0 and sides[i - 1] == OTHER[side]:
            y_now = _at(t, foot_y[side], t0)
            y_prev = _at(t, foot_y[sides[i - 1]], strikes_s[i - 1])
            width_units = y_now - y_prev if side == "left" else y_prev - y_now
            width = width_units * scale_cm
            ratio = width_units / _at(t, pelvis_frontal, t0)
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
                knee_fppa_peak_deg=float(np.max(_window(t, fppa, t0, t1))),
                knee_flexion_strike_deg=_at(t, flex, t0),
                knee_flexion_peak_stance_deg=float(np.max(_window(t, flex, t0, t1))),
                step_width_cm=width,
                step_width_pelvis_ratio=ratio,
            )
        )
    cadence = 60.0 * (len(strikes_s) - 1) / float(strikes_s[-1] - strikes_s[0])
    return MocapTruth(tuple(stances), cadence, float(np.nanmean(obliq)))


def _peak_times(signal: FloatArray, times: FloatArray, frames: NDArray[np.intp]) -> FloatArray:
    """Sub-frame times of the local maxima at ``frames`` (parabola through each peak and its neighbours)."""
    out = []
    dt = float(np.median(np.diff(times)))
    for i in frames:
        shift = 0.0
        if 0 < i < signal.size - 1:
            a, b, c = signal[i - 1], signal[i], signal[i + 1]
            curvature = a - 2 * b + c
            shift = float(np.clip(0.5 * (a - c) / curvature, -0.5, 0.5)) if curvature < 0 else 0.0
        out.append(times[i] + shift * dt)
    return np.asarray(out, dtype=np.float64)


def _heel_ahead_of_pelvis(kp: KeypointSeries, side: str) -> FloatArray:
    pelvis_x = (kp.xyz("left_hip")[:, 0] + kp.xyz("right_hip")[:, 0]) / 2
    return np.asarray(foot_point(kp, side)[:, 0] - pelvis_x)


def _foot_forward_frames(ahead: FloatArray, gap_frames: int) -> NDArray[np.intp]:
    """Frames where the foot is farthest ahead of the pelvis, one per stride (Zeni et al. 2008)."""
    signal = np.nan_to_num(ahead)
    prominence = 0.3 * float(np.ptp(np.percentile(signal, [5, 95])))
    return np.asarray(find_peaks(signal, distance=gap_frames, prominence=prominence)[0], dtype=np.intp)


def foot_excursion_contacts(
    kp: KeypointSeries, *, min_step_s: float = 0.25
) -> tuple[FloatArray, FloatArray, tuple[str, ...]]:
    """Kinematic contacts for trials without force, after Zeni et al. 2008 (Gait Posture 27:710): foot strike
    where the heel is farthest forward of the hip midpoint, toe off where the toe (else the heel) is farthest
    behind it. Each side's events are at least ``min_step_s`` apart. Developed for walking: in running the
    foot-forward instant comes before touchdown (28 ms on the Fukuchi trial, docs/validation.md) and the
    foot-back one well after toe off; ``treadmill_contacts`` corrects both on a treadmill."""
    pelvis_x = (kp.xyz("left_hip")[:, 0] + kp.xyz("right_hip")[:, 0]) / 2
    gap = max(1, round(min_step_s * kp.fps_hz))
    events: list[tuple[float, float, str]] = []
    for side in SIDES:
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


@dataclass(frozen=True)
class TreadmillContacts:
    """Kinematic contacts of a treadmill trial (``treadmill_contacts``), sorted by strike time."""

    strikes_s: FloatArray
    toe_offs_s: FloatArray
    sides: tuple[str, ...]
    belt_speed_m_s: float  # estimated from the stance feet
    foot_forward_to_strike_s: float  # median delay from Zeni's foot-forward instant to the strike


def _first_crossing(values: FloatArray, times: FloatArray, start: int, stop: int, level: float) -> float:
    """First time in frames start..stop-1 where ``values`` falls to ``level`` (linear between frames); NaN if none."""
    seg = values[start:stop]
    below = np.flatnonzero(seg <= level)
    if not below.size or below[0] == 0:
        return float("nan")
    k = start + int(below[0])
    v0, v1 = values[k - 1], values[k]
    frac = 0.0 if v1 == v0 else float((v0 - level) / (v0 - v1))
    return float(times[k - 1] + frac * (times[k] - times[k - 1]))


def treadmill_contacts(
    kp: KeypointSeries,
    *,
    min_step_s: float = 0.25,
    belt_fraction: float = 0.5,
    strike_search_s: float = 0.15,
    knee_search_s: float = 0.2,
    speed_cutoff_hz: float = 15.0,
) -> TreadmillContacts:
    """Foot strike and toe off of a treadmill trial without force, from the feet and knees.

    Foot strike: from the instant the foot (heel, else ankle) is farthest ahead of the hip midpoint (Zeni et
    al. 2008, Gait Posture 27:710) to the first instant the foot moves backwards in the lab at
    ``belt_fraction`` of the belt speed, as a foot on the belt does. The belt speed is the median backward
    speed of the slowest fifth of all foot samples, which are stance samples on a treadmill. This refinement
    is this project's (Zeni's foot-forward instant is 28 ms before the force onset on the Fukuchi 2017 trial;
    the refined strike lies within a frame of it, docs/validation.md); it needs a treadmill.
    Toe off: peak knee extension after the stance's peak knee flexion (Fellin et al. 2010, J Sci Med Sport
    13:646, the most accurate of the kinematic toe-off methods they compared on a treadmill).
    """
    if kp.dims != 3 or kp.units not in ("m", "mm"):
        raise ValueError(f"{kp.source}: treadmill contacts need 3-D keypoints in m or mm")
    t = kp.times_s
    fps = kp.fps_hz
    to_m = 0.001 if kp.units == "mm" else 1.0
    gap = max(1, round(min_step_s * fps))
    cutoff_hz = min(speed_cutoff_hz, 0.4 * fps)
    speed = {
        s: np.gradient(lowpass_signal(foot_point(kp, s)[:, 0], fps_hz=fps, cutoff_hz=cutoff_hz, order=2), t)
        for s in SIDES
    }
    pooled = np.concatenate([speed[s][np.isfinite(speed[s])] for s in SIDES]) * to_m
    if pooled.size < 10:
        raise ValueError(f"{kp.source}: too few foot samples to estimate the belt speed")
    belt = -float(np.median(pooled[pooled <= np.percentile(pooled, 20)]))
    if belt <= 0:
        raise ValueError(f"{kp.source}: the feet do not move backwards; not a treadmill trial")
    events: list[tuple[float, float, str]] = []
    delays: list[float] = []
    n_search = max(2, round(strike_search_s * fps))
    n_knee = max(2, round(knee_search_s * fps))
    for side in SIDES:
        forward = _foot_forward_frames(_heel_ahead_of_pelvis(kp, side), gap)
        flexion = knee_flexion_deg(kp, side)
        level = -belt_fraction * belt / to_m
        for i0 in forward:
            strike = _first_crossing(speed[side], t, int(i0), int(i0) + n_search, level)
            if not np.isfinite(strike):
                continue
            k0 = int(np.searchsorted(t, strike))
            window = flexion[k0 : k0 + n_knee]
            if window.size < n_knee or not np.isfinite(window).all():
                continue
            k_peak = k0 + int(np.argmax(window))
            after = flexion[k_peak : k_peak + n_knee]
            if after.size < n_knee or not np.isfinite(after).all():
                continue
            k_ext = k_peak + int(np.argmin(after))
            toe_off = float(_peak_times(-flexion, t, np.array([k_ext]))[0])
            events.append((strike, toe_off, side))
            delays.append(strike - float(t[i0]))
    if len(events) < 2:
        raise ValueError(f"{kp.source}: fewer than 2 treadmill contacts found")
    events.sort()
    return TreadmillContacts(
        strikes_s=np.array([e[0] for e in events]),
        toe_offs_s=np.array([e[1] for e in events]),
        sides=tuple(e[2] for e in events),
        belt_speed_m_s=belt,
        foot_forward_to_strike_s=float(np.median(delays)),
    )
