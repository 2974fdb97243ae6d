"""Foot strike and toe off per side for running (no double support), from keypoints in any view.

Rear and front views time contacts from the pelvis (hip midpoint), not the feet. In flight the body is in free
fall, so the pelvis accelerates downwards at about g; from foot strike to toe off the ground pushes back and its
vertical acceleration rises well above -g (its lowest point is mid-stance). Strike is where the pelvis's vertical
acceleration last rises through the free-fall level before a pelvis minimum, toe off where it first falls back
through it. The free-fall level is read from the recording itself (median of the downward accelerations, in
the image's own units), so no scale is needed. The stance belongs to the foot that is lower in the image at
mid-stance. Why not the feet: a rear camera at hip height behind a treadmill sees the stance foot slide down the
image as the belt brings it closer, about as fast as a landing foot descends, so a grounded foot cannot be told
from a landing one (strikes came out about a contact time late). The foot-height method (``contact_events``) is
kept as the fallback when the pelvis gives fewer than two stances; it is exact for a camera near ankle height.
Validated on Fukuchi 2017 motion capture with treadmill force (docs/validation.md): the hip joint centre is not
the centre of mass, and the pelvis signal puts strikes a few milliseconds after the force onset.

Side views read the fore-aft position of the foot (heel, else ankle) relative to the hips. In stance the
foot moves backwards relative to the hips at running speed (on a treadmill and over ground alike); in swing
it is carried forwards. Between its most forward and most backward positions, contact is where the backward
speed is at least half its maximum: strike where it first gets there, toe off where it last is. Toe clearance
and the foot's dorsiflexion at landing, which put extra bumps into a side view's vertical foot track, do not
disturb this signal.

All crossings are interpolated between frames, so event times carry sub-frame resolution. Cadence is not one
median step (frame quantisation would bias it) but a least-squares fit of every strike and toe-off time against
its stride number, each event type keeping its own offset and all sharing one stride period.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.signal import find_peaks

from glutemed.core.facing import decide_facing
from glutemed.core.kinematics import upright_positions
from glutemed.core.series import FloatArray, KeypointSeries
from glutemed.core.view import View

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")
SPEED_FRACTION = 0.5
MIN_STRIDE_HZ = 0.5
MAX_STRIDE_HZ = 2.5
PEAK_PROMINENCE_FRACTION = 0.25
FEET_PELVIS_AGREE_S = 0.05


@dataclass(frozen=True)
class Stance:
    side: Side
    strike_time_s: float
    toe_off_time_s: float
    next_strike_time_s: float  # next strike of the same foot (end of the stride); NaN if none was seen
    next_contra_strike_time_s: float  # next strike of the other foot (end of the step); NaN if none
    strike_frame: int
    toe_off_frame: int
    next_strike_frame: int  # -1 when unknown

    @property
    def contact_time_s(self) -> float:
        return self.toe_off_time_s - self.strike_time_s


@dataclass(frozen=True)
class GaitEvents:
    strikes_s: dict[Side, FloatArray]
    toe_offs_s: dict[Side, FloatArray]
    stances: tuple[Stance, ...]
    cadence_spm: float
    method: str = "feet"  # signal that timed the contacts: "feet" or "pelvis" (free fall, rear/front views)

    def stances_of(self, side: Side) -> tuple[Stance, ...]:
        return tuple(s for s in self.stances if s.side == side)


def foot_height(series: KeypointSeries, /, side: Side) -> FloatArray:
    """Height (up positive) of the lowest tracked point of one foot: min of heel and toe, else the ankle."""
    up = upright_positions(series)[..., -1]
    cols = [series.index(f"{side}_{p}") for p in ("heel", "toe") if f"{side}_{p}" in series.names]
    ankle = up[:, series.index(f"{side}_ankle")]
    if not cols:
        return np.asarray(ankle, dtype=np.float64)
    feet = up[:, cols]
    low = np.where(
        np.all(np.isnan(feet), axis=1), np.nan, np.nanmin(np.where(np.isnan(feet), np.inf, feet), axis=1)
    )
    return np.asarray(np.where(np.isfinite(low), low, ankle), dtype=np.float64)


def stride_period_s(height: FloatArray, times_s: FloatArray) -> float:
    """Dominant period of a foot-height track (one bump per stride), from its spectrum in 0.5..2.5 Hz."""
    finite = np.isfinite(height)
    if finite.sum() < 8:
        return float("nan")
    t_even = np.linspace(times_s[0], times_s[-1], times_s.size)
    x = np.interp(t_even, times_s[finite], height[finite])
    x = x - x.mean()
    dt = float(t_even[1] - t_even[0])
    n = int(2 ** np.ceil(np.log2(x.size * 8)))
    freqs = np.fft.rfftfreq(n, dt)
    power = np.abs(np.fft.rfft(x * np.hanning(x.size), n)) ** 2
    band = (freqs >= MIN_STRIDE_HZ) & (freqs <= MAX_STRIDE_HZ)
    if not band.any():
        return float("nan")
    return float(1.0 / freqs[band][np.argmax(power[band])])


def _crossing(t0: float, t1: float, s0: float, s1: float, level: float) -> float:
    """Time between t0 and t1 at which a speed going from s0 to s1 crosses ``level``, linearly interpolated."""
    frac = 0.5 if s1 == s0 else float(np.clip((level - s0) / (s1 - s0), 0.0, 1.0))
    return t0 + frac * (t1 - t0)


def _stance_between(height: FloatArray, times_s: FloatArray, p0: int, p1: int) -> tuple[float, float] | None:
    """Strike and toe off between two swing peaks p0 < p1, or None when the stretch is incomplete."""
    h, t = height[p0 : p1 + 1], times_s[p0 : p1 + 1]
    if not np.all(np.isfinite(h)) or h.size < 4:
        return None
    velocity = np.gradient(h, t)
    low = int(np.argmin(h))
    down = -velocity[: low + 1]  # descent speed, from the first peak to the lowest sample
    up = velocity[low:]  # ascent speed, from the lowest sample to the second peak
    i_fast, j_fast = int(np.argmax(down)), int(np.argmax(up))
    level_down, level_up = SPEED_FRACTION * down[i_fast], SPEED_FRACTION * up[j_fast]
    if level_down <= 0 or level_up <= 0:
        return None
    after = np.flatnonzero(down[i_fast:] < level_down)
    before = np.flatnonzero(up[: j_fast + 1] < level_up)
    if after.size == 0 or before.size == 0:
        return None
    k = i_fast + int(after[0])  # first slow sample after the fastest descent (k > i_fast)
    strike = _crossing(float(t[k - 1]), float(t[k]), float(down[k - 1]), float(down[k]), level_down)
    m = int(before[-1])  # last slow sample before the fastest ascent (m < j_fast)
    toe_off = _crossing(float(t[low + m]), float(t[low + m + 1]), float(up[m]), float(up[m + 1]), level_up)
    return (strike, toe_off) if toe_off > strike else None


def contact_events(height: FloatArray, times_s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Strike and toe-off times of one foot from its height track (up positive)."""
    period_s = stride_period_s(height, times_s)
    finite = height[np.isfinite(height)]
    if not np.isfinite(period_s) or finite.size == 0:
        return np.empty(0), np.empty(0)
    frame_s = float(np.median(np.diff(times_s)))
    spread = float(np.percentile(finite, 95) - np.percentile(finite, 5))
    filled = np.where(np.isfinite(height), height, -np.inf)
    peaks, _ = find_peaks(
        filled, distance=max(1, int(0.6 * period_s / frame_s)), prominence=PEAK_PROMINENCE_FRACTION * spread
    )
    strikes, toe_offs = [], []
    for p0, p1 in itertools.pairwise(peaks):
        found = _stance_between(height, times_s, int(p0), int(p1))
        if found is not None:
            strikes.append(found[0])
            toe_offs.append(found[1])
    return np.asarray(strikes, dtype=np.float64), np.asarray(toe_offs, dtype=np.float64)


def pelvis_height(series: KeypointSeries, /) -> FloatArray:
    """Height (up positive) of the hip midpoint."""
    up = upright_positions(series)[..., -1]
    return np.asarray(
        0.5 * (up[:, series.index("left_hip")] + up[:, series.index("right_hip")]), dtype=np.float64
    )


def _free_fall_window(
    accel: FloatArray, times_s: FloatArray, low: int, reach: int, level: float
) -> tuple[float, float] | None:
    """Strike and toe off around one pelvis minimum: where the acceleration crosses ``level`` on each side."""
    lo, hi = max(0, low - reach), min(accel.size - 1, low + reach)
    below_before = np.flatnonzero(accel[lo : low + 1] <= level)
    below_after = np.flatnonzero(accel[low : hi + 1] <= level)
    if below_before.size == 0 or below_after.size == 0:
        return None
    k = lo + int(below_before[-1])  # last free-fall sample before the minimum
    j = low + int(below_after[0])  # first free-fall sample after it
    if j - k < 2 or not np.all(np.isfinite(accel[k : j + 1])):
        return None
    return _level_crossing(times_s, accel, k, level), _level_crossing(times_s, accel, j - 1, level)


def free_fall_contacts(pelvis: FloatArray, times_s: FloatArray, step_s: float) -> list[tuple[float, float]]:
    """(strike, toe off) of every step, from the pelvis height track and the step period (any foot)."""
    finite = pelvis[np.isfinite(pelvis)]
    if not np.isfinite(step_s) or finite.size < 8:
        return []
    accel = np.gradient(np.gradient(pelvis, times_s), times_s)
    downward = accel[np.isfinite(accel) & (accel < 0)]
    if downward.size == 0:
        return []
    level = float(np.median(downward))
    frame_s = float(np.median(np.diff(times_s)))
    spread = float(np.percentile(finite, 95) - np.percentile(finite, 5))
    lows, _ = find_peaks(
        np.where(np.isfinite(pelvis), -pelvis, -np.inf),
        distance=max(1, int(0.6 * step_s / frame_s)),
        prominence=PEAK_PROMINENCE_FRACTION * spread,
    )
    reach = max(2, round(step_s / frame_s))
    found = [_free_fall_window(accel, times_s, int(m), reach, level) for m in lows]
    return [f for f in found if f is not None]


def _pelvis_events(series: KeypointSeries) -> tuple[dict[Side, FloatArray], dict[Side, FloatArray]] | None:
    """Per-side strikes and toe offs from the pelvis (rear/front views); None when fewer than two stances."""
    times = series.times_s
    heights = {side: foot_height(series, side) for side in SIDES}
    periods = [stride_period_s(h, times) for h in heights.values()]
    periods = [p for p in periods if np.isfinite(p)]
    if not periods:
        return None
    contacts = free_fall_contacts(pelvis_height(series), times, 0.5 * float(np.median(periods)))
    if len(contacts) < 2:
        return None
    events: dict[Side, list[tuple[float, float]]] = {"left": [], "right": []}
    for strike, toe_off in contacts:
        mid = 0.5 * (strike + toe_off)
        left, right = (_at_time(heights[s], times, mid) for s in SIDES)
        if np.isfinite(left) and np.isfinite(right):
            events["left" if left < right else "right"].append((strike, toe_off))
    strikes = {s: np.asarray([e[0] for e in events[s]], dtype=np.float64) for s in SIDES}
    toe_offs = {s: np.asarray([e[1] for e in events[s]], dtype=np.float64) for s in SIDES}
    return strikes, toe_offs


def _at_time(signal: FloatArray, times_s: FloatArray, t: float) -> float:
    ok = np.isfinite(signal)
    return float(np.interp(t, times_s[ok], signal[ok])) if ok.sum() >= 2 else float("nan")


def _level_crossing(t: FloatArray, v: FloatArray, i: int, level: float) -> float:
    """Time between samples i and i+1 at which ``v`` crosses ``level``."""
    return _crossing(float(t[i]), float(t[i + 1]), float(v[i]), float(v[i + 1]), level)


def fore_aft_contact_events(forward: FloatArray, times_s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Strike and toe-off times of one foot from its forward position relative to the hips (side view)."""
    finite = forward[np.isfinite(forward)]
    period_s = stride_period_s(forward, times_s)
    if not np.isfinite(period_s) or finite.size == 0:
        return np.empty(0), np.empty(0)
    frame_s = float(np.median(np.diff(times_s)))
    spread = float(np.percentile(finite, 95) - np.percentile(finite, 5))
    kw = {"distance": max(1, int(0.6 * period_s / frame_s)), "prominence": PEAK_PROMINENCE_FRACTION * spread}
    ahead, _ = find_peaks(np.where(np.isfinite(forward), forward, -np.inf), **kw)
    behind, _ = find_peaks(np.where(np.isfinite(forward), -forward, -np.inf), **kw)
    backward_speed = -np.gradient(forward, times_s)
    strikes, toe_offs = [], []
    for a in ahead:
        later = behind[behind > a]
        if later.size == 0 or not np.all(np.isfinite(forward[a : later[0] + 1])):
            continue
        seg_t, seg_v = times_s[a : later[0] + 1], backward_speed[a : later[0] + 1]
        if not np.all(np.isfinite(seg_v)):  # a missing neighbour of the stretch's first or last sample
            continue
        level = SPEED_FRACTION * float(seg_v.max())
        fast = np.flatnonzero(seg_v >= level)
        if level <= 0 or fast.size == 0 or fast[0] == 0 or fast[-1] == seg_v.size - 1:
            continue
        strikes.append(_level_crossing(seg_t, seg_v, int(fast[0]) - 1, level))
        toe_offs.append(_level_crossing(seg_t, seg_v, int(fast[-1]), level))
    return np.asarray(strikes, dtype=np.float64), np.asarray(toe_offs, dtype=np.float64)


def foot_forward(series: KeypointSeries, /, side: Side, *, forward_sign: float | None = None) -> FloatArray:
    """Fore-aft position of one foot (heel, else ankle) ahead of the hip midpoint, in the runner's direction.

    ``forward_sign``: +1 when the runner faces image +x, -1 for -x; None decides it from the series
    (``glutemed.core.facing``), +1 when undetermined.
    """
    x = upright_positions(series)[..., 0]
    hips = 0.5 * (x[:, series.index("left_hip")] + x[:, series.index("right_hip")])
    foot = x[:, series.index(f"{side}_ankle")]
    if f"{side}_heel" in series.names and np.isfinite(series.xyz(f"{side}_heel")).any():
        heel = x[:, series.index(f"{side}_heel")]
        foot = np.where(np.isfinite(heel), heel, foot)
    sign = decide_facing(series).sign_or(1.0) if forward_sign is None else forward_sign
    return np.asarray(sign * (foot - hips), dtype=np.float64)


def cadence_from_events(event_times_s: list[FloatArray]) -> float:
    """Steps per minute from one least-squares stride period shared by several once-per-stride event series.

    Each series (for example left strikes, right strikes, left toe offs, right toe offs) keeps its own offset;
    strides missed in a series are bridged by rounding each gap to a whole number of strides.
    """
    all_strikes = [s for s in event_times_s if s.size >= 2]
    if not all_strikes:
        return float("nan")
    rough = float(np.median(np.concatenate([np.diff(s) for s in all_strikes])))
    num = den = 0.0
    for s in all_strikes:
        k = np.concatenate([[0.0], np.cumsum(np.maximum(np.round(np.diff(s) / rough), 1.0))])
        kc, tc = k - k.mean(), s - s.mean()
        num += float(np.sum(kc * tc))
        den += float(np.sum(kc * kc))
    if den <= 0 or num <= 0:
        return float("nan")
    return 2.0 * 60.0 / (num / den)


def _frame(times_s: FloatArray, t: float) -> int:
    return int(np.argmin(np.abs(times_s - t))) if np.isfinite(t) else -1


def _next_after(values: FloatArray, t: float) -> float:
    later = values[values > t]
    return float(later.min()) if later.size else float("nan")


def _agree(a: dict[Side, FloatArray], b: dict[Side, FloatArray], tolerance_s: float) -> bool:
    """Whether two strike sets match: median distance from each strike in ``a`` to ``b``'s same-side nearest."""
    gaps = [np.min(np.abs(b[s] - t)) for s in SIDES if b[s].size for t in a[s]]
    return bool(gaps) and float(np.median(gaps)) <= tolerance_s


def frontal_events(series: KeypointSeries, /) -> tuple[dict[Side, FloatArray], dict[Side, FloatArray], str]:
    """Strikes and toe offs of a rear or front view, and which signal gave them ("feet" or "pelvis").

    The feet give the sharper landing where a grounded foot stands still in the image; when their strikes
    disagree with the pelvis's by more than ``FEET_PELVIS_AGREE_S`` the foot is sliding in the image (a camera
    above the ground looking along the belt) and the pelvis's free-fall timing is used instead.
    """
    times = series.times_s
    feet = {side: contact_events(foot_height(series, side), times) for side in SIDES}
    foot_strikes = {side: feet[side][0] for side in SIDES}
    foot_offs = {side: feet[side][1] for side in SIDES}
    pelvis = _pelvis_events(series)
    if pelvis is None or _agree(foot_strikes, pelvis[0], FEET_PELVIS_AGREE_S):
        return foot_strikes, foot_offs, "feet"
    return pelvis[0], pelvis[1], "pelvis"


def detect_events(series: KeypointSeries, /, *, view: View, forward_sign: float | None = None) -> GaitEvents:
    """Foot strikes, toe offs and stances of both feet, plus cadence, for a 2-D rear, front or side view.

    ``forward_sign`` (side view): the runner's direction in the image, see ``foot_forward``. With the wrong
    sign, swing is taken for stance: strikes land near toe offs, contact times come out wrong.
    """
    times = series.times_s
    if view is View.SIDE:
        if forward_sign is None:
            forward_sign = decide_facing(series).sign_or(1.0)
        found = {
            side: fore_aft_contact_events(foot_forward(series, side, forward_sign=forward_sign), times)
            for side in SIDES
        }
        strikes = {side: found[side][0] for side in SIDES}
        toe_offs = {side: found[side][1] for side in SIDES}
        method = "feet"
    else:
        strikes, toe_offs, method = frontal_events(series)
    stances: list[Stance] = []
    for side in SIDES:
        other: Side = "right" if side == "left" else "left"
        for fs, to in zip(strikes[side], toe_offs[side], strict=True):
            nxt = _next_after(strikes[side], fs)
            stances.append(
                Stance(
                    side=side,
                    strike_time_s=float(fs),
                    toe_off_time_s=float(to),
                    next_strike_time_s=nxt,
                    next_contra_strike_time_s=_next_after(strikes[other], fs),
                    strike_frame=_frame(times, fs),
                    toe_off_frame=_frame(times, to),
                    next_strike_frame=_frame(times, nxt),
                )
            )
    stances.sort(key=lambda s: s.strike_time_s)
    cadence = cadence_from_events([*strikes.values(), *toe_offs.values()])
    return GaitEvents(strikes, toe_offs, tuple(stances), cadence, method)
