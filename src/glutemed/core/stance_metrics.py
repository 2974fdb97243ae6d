"""Per-stance, per-leg running metrics from a cleaned 2-D series and its gait events.

Rear and front views give the frontal-plane metrics, side views the sagittal ones; the timing metrics come
from the events in any view. A metric the view cannot measure is NaN, so every stance row has every column;
so is every direction-dependent metric of a side view whose direction of travel is undetermined.
Angles are sampled at event times by linear interpolation between frames ("at strike"), peaks are taken over
the frames from strike to toe off, and "midstance" is the time halfway between strike and toe off.
Lengths in centimetres need a scale (metres per series unit): metric series carry their own, pixel series
need ``scale_m_per_unit``, otherwise those metrics are NaN.
Pelvic obliquity gets a second, lower low-pass (``obliquity_cutoff_hz``), and its stance peak and midstance
value are read from a fit of the leg's average stance shape (``glutemed.core.stance_template``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from functools import partial

import numpy as np

from glutemed.core import kinematics as kin
from glutemed.core.events import GaitEvents, Side, Stance
from glutemed.core.filters import lowpass_signal
from glutemed.core.series import FloatArray, KeypointSeries
from glutemed.core.stance_template import NoiseModel, StanceRise, fit_stance_rises, white_noise_sd
from glutemed.core.view import View

UNIT_TO_M = {"m": 1.0, "mm": 0.001}
# Pelvic obliquity swings once per stride and is mirrored from one step to the next, so its power sits at the
# odd harmonics of the stride frequency (cadence / 120 Hz). In the Fukuchi 2017 validation trial (RBDS001,
# 171 steps/min, docs/validation.md) the 1st harmonic holds 85 % of the power, the 3rd 13 %, the 2nd and 4th
# under 0.3 % each and everything above the 4th under 1 %. Hip keypoints about 54 px apart turn 1.5-2 px of
# pixel noise into 2-3 deg of hip-line tilt per frame, spread evenly up to the Nyquist frequency, so a peak
# taken through the 10 Hz keypoint filter picks up noise. A drop confined to the stance phase has more high
# harmonics: the synthetic runs of tests/core (a squared half-sine over a 0.24 s contact) lose 8 % of their
# peak with a cut-off at the 4th stride harmonic and under 1 % at the 6th. The cut-off is the 6th harmonic
# (3x the step frequency, 8.6 Hz at 171 steps/min): the 3rd harmonic keeps over 99 % of its amplitude, the 2nd
# (where a left/right difference in drop shows) passes untouched, and noise above it is removed.
OBLIQUITY_CUTOFF_STRIDE_HARMONIC = 6.0


@dataclass(frozen=True)
class StanceMetrics:
    side: Side
    strike_time_s: float
    toe_off_time_s: float
    # rear / front view
    pelvic_drop_peak_deg: float
    pelvic_drop_midstance_deg: float
    hip_adduction_peak_deg: float
    knee_fppa_peak_deg: float
    step_width_cm: float
    step_width_pelvis_ratio: float
    crossover: bool | None  # None where the view cannot tell (side)
    trunk_lean_lateral_deg: float
    # side view
    knee_flexion_strike_deg: float
    knee_flexion_peak_stance_deg: float
    shank_angle_strike_deg: float
    foot_ahead_of_hip_strike_leg_ratio: float
    trunk_lean_forward_deg: float
    vertical_oscillation_cm: float
    # timing, any view
    contact_time_s: float
    flight_time_s: float
    step_time_s: float


METRIC_NAMES: tuple[str, ...] = tuple(
    f.name for f in fields(StanceMetrics) if f.name not in ("side", "strike_time_s", "toe_off_time_s")
)
FRONTAL_METRICS: tuple[str, ...] = (
    "pelvic_drop_peak_deg",
    "pelvic_drop_midstance_deg",
    "hip_adduction_peak_deg",
    "knee_fppa_peak_deg",
    "step_width_cm",
    "step_width_pelvis_ratio",
    "trunk_lean_lateral_deg",
)
SAGITTAL_METRICS: tuple[str, ...] = (
    "knee_flexion_strike_deg",
    "knee_flexion_peak_stance_deg",
    "shank_angle_strike_deg",
    "foot_ahead_of_hip_strike_leg_ratio",
    "trunk_lean_forward_deg",
    "vertical_oscillation_cm",
)
# Side-view metrics that need the direction of travel: all sagittal ones (signed by it, or sampled at events
# that tell stance from swing by it) and the contact phase. Step time and cadence only need the period.
DIRECTION_DEPENDENT_METRICS: tuple[str, ...] = (*SAGITTAL_METRICS, "contact_time_s", "flight_time_s")


@dataclass(frozen=True)
class GaitMetrics:
    view: View
    stances: tuple[StanceMetrics, ...]
    cadence_spm: float
    obliquity_cutoff_hz: float = float("nan")  # low-pass applied to pelvic obliquity; NaN = none
    # per leg: white noise on the unfiltered obliquity (deg per frame), and the share of the stance-to-stance
    # spread of pelvic drop kept as real (1 = none pooled; glutemed.core.stance_template)
    obliquity_noise_deg: dict[str, float] = field(default_factory=dict)
    pelvic_drop_spread_kept: dict[str, float] = field(default_factory=dict)

    def rows(self) -> list[dict[str, object]]:
        """One dict per stance, ready for a CSV writer or a data frame."""
        return [asdict(s) for s in self.stances]

    def values(self, metric: str, side: Side) -> FloatArray:
        """All stances' values of one metric for one leg (crossover as 0/1, unknown as NaN)."""
        raw = [getattr(s, metric) for s in self.stances if s.side == side]
        return np.asarray([np.nan if v is None else float(v) for v in raw], dtype=np.float64)


def scale_for(series: KeypointSeries, scale_m_per_unit: float | None) -> float:
    """Metres per series unit: the caller's value, else the unit's own (m, mm), else NaN."""
    if scale_m_per_unit is not None:
        return float(scale_m_per_unit)
    return UNIT_TO_M.get(series.units, float("nan"))


def default_obliquity_cutoff_hz(cadence_spm: float, fps_hz: float) -> float:
    """Low-pass cut-off for pelvic obliquity: the 6th stride harmonic (cadence / 20 Hz, 3x step frequency).

    NaN (no extra filter) when the cadence is unknown or the cut-off would not lie below the Nyquist frequency.
    """
    cutoff_hz = OBLIQUITY_CUTOFF_STRIDE_HARMONIC * cadence_spm / 120.0
    return cutoff_hz if np.isfinite(cutoff_hz) and 0 < cutoff_hz < fps_hz / 2.0 else float("nan")


def _at(signal: FloatArray, times_s: FloatArray, t: float) -> float:
    ok = np.isfinite(signal)
    if not np.isfinite(t) or ok.sum() < 2:
        return float("nan")
    return float(np.interp(t, times_s[ok], signal[ok], left=np.nan, right=np.nan))


def _peak(signal: FloatArray, stance: Stance) -> float:
    seg = signal[stance.strike_frame : stance.toe_off_frame + 1]
    return float(np.nanmax(seg)) if np.isfinite(seg).any() else float("nan")


class _Body:
    """Upright keypoint tracks of one series, looked up by name."""

    def __init__(self, series: KeypointSeries, obliquity_cutoff_hz: float = float("nan")) -> None:
        self.series = series
        self.obliquity_cutoff_hz = obliquity_cutoff_hz
        self.up = kin.upright_positions(series)
        self.t = series.times_s
        self._memo: dict[str, FloatArray] = {}

    def memo(self, key: str, compute: Callable[[], FloatArray]) -> FloatArray:
        """A whole-recording track, computed once and reused for every stance."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def __call__(self, name: str) -> FloatArray:
        """One keypoint's upright track; all NaN when the input lacks it (e.g. mocap without trunk markers)."""
        if name not in self.series.names:
            return np.full(self.up.shape[::2], np.nan)
        return np.asarray(self.up[:, self.series.index(name)], dtype=np.float64)

    def obliquity(self, side: Side) -> FloatArray:
        """Pelvic obliquity for stances of ``side`` (positive = other hip lower), low-passed when a cut-off is set."""
        raw = kin.pelvic_obliquity_deg(self(f"{side}_hip"), self(f"{_other(side)}_hip"))
        if not np.isfinite(self.obliquity_cutoff_hz):
            return raw
        return lowpass_signal(raw, fps_hz=self.series.fps_hz, cutoff_hz=self.obliquity_cutoff_hz)

    def mid(self, a: str, b: str) -> FloatArray:
        return self.memo(f"mid_{a}_{b}", lambda: np.asarray(0.5 * (self(a) + self(b)), dtype=np.float64))

    def foot(self, side: Side) -> FloatArray:
        if f"{side}_heel" in self.series.names:
            heel = self(f"{side}_heel")
            return np.asarray(np.where(np.isfinite(heel), heel, self(f"{side}_ankle")), dtype=np.float64)
        return self(f"{side}_ankle")


def _other(side: Side) -> Side:
    return "right" if side == "left" else "left"


def _frontal(
    b: _Body, st: Stance, events: GaitEvents, scale_m: float, rise: StanceRise | None
) -> dict[str, float | bool | None]:
    side, other = st.side, _other(st.side)
    hip, contra = b(f"{side}_hip"), b(f"{other}_hip")
    knee, ankle = b(f"{side}_knee"), b(f"{side}_ankle")
    mid_hip = b.mid("left_hip", "right_hip")
    obliquity = b.memo(f"obliquity_{side}", lambda: b.obliquity(side))
    adduction = b.memo(f"adduction_{side}", lambda: kin.hip_adduction_deg(hip, contra, knee))
    fppa = b.memo(f"fppa_{side}", lambda: kin.knee_fppa_deg(hip, contra, knee, ankle))
    shoulders = b.mid("left_shoulder", "right_shoulder")
    trunk = b.memo(
        f"trunk_lateral_{side}", lambda: kin.trunk_lean_lateral_deg(shoulders, mid_hip, hip, contra)
    )
    pelvis = b.memo("pelvis_width", lambda: np.linalg.norm(hip - contra, axis=-1))
    # lateral coordinate growing towards the runner's left (image x, flipped when the left hip is image-left)
    toward_left = float(np.sign(np.nanmedian(b("left_hip")[:, 0] - b("right_hip")[:, 0])))
    lat = {
        "left": b.memo("lat_left", lambda: toward_left * b.foot("left")[:, 0]),
        "right": b.memo("lat_right", lambda: toward_left * b.foot("right")[:, 0]),
    }
    lat_mid = toward_left * mid_hip[:, 0]
    prev_other = events.strikes_s[other][events.strikes_s[other] < st.strike_time_s]
    t_prev = float(prev_other.max()) if prev_other.size else float("nan")
    t_fs, mid_t = st.strike_time_s, 0.5 * (st.strike_time_s + st.toe_off_time_s)
    if side == "left":
        width = _at(lat["left"], b.t, t_fs) - _at(lat["right"], b.t, t_prev)
        foot_off_mid = _at(lat["left"] - lat_mid, b.t, t_fs)
    else:
        width = _at(lat["left"], b.t, t_prev) - _at(lat["right"], b.t, t_fs)
        foot_off_mid = _at(lat_mid - lat["right"], b.t, t_fs)
    pelvis_width = _at(pelvis, b.t, t_fs)
    at_strike = _at(obliquity, b.t, t_fs)
    return {
        "pelvic_drop_peak_deg": rise.peak if rise else _peak(obliquity, st) - at_strike,
        "pelvic_drop_midstance_deg": rise.midstance if rise else _at(obliquity, b.t, mid_t) - at_strike,
        "hip_adduction_peak_deg": _peak(adduction, st),
        "knee_fppa_peak_deg": _peak(fppa, st),
        "step_width_cm": width * scale_m * 100.0,
        "step_width_pelvis_ratio": width / pelvis_width if pelvis_width > 0 else float("nan"),
        "crossover": bool(foot_off_mid < 0) if np.isfinite(foot_off_mid) else None,
        "trunk_lean_lateral_deg": _at(trunk, b.t, mid_t),
    }


def _sagittal(b: _Body, st: Stance, scale_m: float, fwd: float) -> dict[str, float | bool | None]:
    side = st.side
    hip, knee, ankle = b(f"{side}_hip"), b(f"{side}_knee"), b(f"{side}_ankle")
    mid_hip = b.mid("left_hip", "right_hip")
    flexion = b.memo(f"flexion_{side}", lambda: kin.knee_flexion_deg(hip, knee, ankle))
    shank = b.memo(f"shank_{side}", lambda: kin.shank_angle_deg(knee, ankle, fwd))
    ahead = b.memo(f"ahead_{side}", lambda: fwd * (b.foot(side)[:, 0] - mid_hip[:, 0]))
    shoulders = b.mid("left_shoulder", "right_shoulder")
    trunk = b.memo("trunk_forward", lambda: kin.trunk_lean_forward_deg(shoulders, mid_hip, fwd))
    leg_track = b.memo(
        f"leg_{side}", lambda: np.linalg.norm(knee - hip, axis=-1) + np.linalg.norm(ankle - knee, axis=-1)
    )
    leg = float(b.memo(f"leg_median_{side}", lambda: np.array([np.nanmedian(leg_track)]))[0])
    mid_t = 0.5 * (st.strike_time_s + st.toe_off_time_s)
    osc = float("nan")
    if np.isfinite(st.next_contra_strike_time_s):
        height = mid_hip[st.strike_frame : _frame(b.t, st.next_contra_strike_time_s) + 1, -1]
        osc = float(np.nanmax(height) - np.nanmin(height)) if np.isfinite(height).any() else osc
    return {
        "knee_flexion_strike_deg": _at(flexion, b.t, st.strike_time_s),
        "knee_flexion_peak_stance_deg": _peak(flexion, st),
        "shank_angle_strike_deg": _at(shank, b.t, st.strike_time_s),
        "foot_ahead_of_hip_strike_leg_ratio": _at(ahead, b.t, st.strike_time_s) / leg if leg > 0 else np.nan,
        "trunk_lean_forward_deg": _at(trunk, b.t, mid_t),
        "vertical_oscillation_cm": osc * scale_m * 100.0,
    }


def _frame(times_s: FloatArray, t: float) -> int:
    return int(np.argmin(np.abs(times_s - t))) if np.isfinite(t) else -1


def _row(st: Stance, measured: dict[str, float | bool | None] | None) -> StanceMetrics:
    """One stance's metrics: ``measured`` for the view's own metrics, NaN for the rest.

    ``measured`` None: a side view whose direction of travel is undetermined, where the contact phase and
    every sagittal metric are NaN too (``DIRECTION_DEPENDENT_METRICS``).
    """
    values: dict[str, float | bool | None] = dict.fromkeys(FRONTAL_METRICS + SAGITTAL_METRICS, float("nan"))
    values |= {
        "crossover": None,
        "contact_time_s": st.contact_time_s,
        "flight_time_s": st.next_contra_strike_time_s - st.toe_off_time_s,
    }
    values |= dict.fromkeys(DIRECTION_DEPENDENT_METRICS, float("nan")) if measured is None else measured
    return StanceMetrics(
        side=st.side,
        strike_time_s=st.strike_time_s,
        toe_off_time_s=st.toe_off_time_s,
        step_time_s=st.next_contra_strike_time_s - st.strike_time_s,
        **values,  # type: ignore[arg-type]
    )


def compute_stance_metrics(
    series: KeypointSeries,
    events: GaitEvents,
    /,
    *,
    view: View,
    scale_m_per_unit: float | None = None,
    obliquity_cutoff_hz: float | None = None,
    unfiltered: KeypointSeries | None = None,
    keypoint_cutoff_hz: float | None = None,
    filter_order: int = 4,
    forward_sign: float | None = 1.0,
) -> GaitMetrics:
    """Every metric of every stance (NaN where the view cannot measure it), plus the recording's cadence.

    ``forward_sign`` (side view): +1 when the runner faces image +x, -1 for -x (``glutemed.core.facing``);
    None when the direction is undetermined: the ``DIRECTION_DEPENDENT_METRICS`` are then NaN.

    ``obliquity_cutoff_hz`` low-passes pelvic obliquity before its peak is taken; None derives it from the
    cadence (``default_obliquity_cutoff_hz``), NaN switches the extra filter off. ``unfiltered`` (the series
    before the ``keypoint_cutoff_hz`` low-pass) lets the pelvic-drop fit measure the keypoint noise and pool
    noisy stances towards the leg's usual drop (``glutemed.core.stance_template``).
    """
    if obliquity_cutoff_hz is None:
        obliquity_cutoff_hz = default_obliquity_cutoff_hz(events.cadence_spm, series.fps_hz)
    body = _Body(series, obliquity_cutoff_hz)
    scale_m = scale_for(series, scale_m_per_unit)
    rises: dict[int, StanceRise | None] = {}
    noise_deg: dict[str, float] = {}
    kept: dict[str, float] = {}
    if view is not View.SIDE:
        smooth = _smoothing(series.fps_hz, keypoint_cutoff_hz, filter_order, obliquity_cutoff_hz)
        raw_body = _Body(unfiltered) if unfiltered is not None and smooth is not None else None
        for side in ("left", "right"):
            idx = [i for i, st in enumerate(events.stances) if st.side == side]
            windows = [(events.stances[i].strike_time_s, events.stances[i].toe_off_time_s) for i in idx]
            obliquity = body.memo(f"obliquity_{side}", partial(body.obliquity, side))
            noise = None
            if raw_body is not None and smooth is not None:
                noise = NoiseModel(white_noise_sd(raw_body.obliquity(side), smooth), smooth)
                noise_deg[side] = noise.sd
            fitted = fit_stance_rises(obliquity, body.t, windows, noise=noise)
            rises.update(zip(idx, fitted, strict=True))
            kept[side] = next((r.kept for r in fitted if r is not None), float("nan"))
    out = []
    for i, st in enumerate(events.stances):
        measured: dict[str, float | bool | None] | None
        if view is not View.SIDE:
            measured = _frontal(body, st, events, scale_m, rises.get(i))
        else:
            measured = None if forward_sign is None else _sagittal(body, st, scale_m, forward_sign)
        out.append(_row(st, measured))
    return GaitMetrics(
        view=view,
        stances=tuple(out),
        cadence_spm=events.cadence_spm,
        obliquity_cutoff_hz=obliquity_cutoff_hz,
        obliquity_noise_deg=noise_deg,
        pelvic_drop_spread_kept=kept,
    )


def _smoothing(
    fps_hz: float, keypoint_cutoff_hz: float | None, order: int, obliquity_cutoff_hz: float
) -> Callable[[FloatArray], FloatArray] | None:
    """The filtering an obliquity track goes through (keypoint low-pass, then the obliquity low-pass)."""
    if keypoint_cutoff_hz is None or not 0 < keypoint_cutoff_hz < fps_hz / 2:
        return None

    def smooth(x: FloatArray) -> FloatArray:
        y = lowpass_signal(x, fps_hz=fps_hz, cutoff_hz=keypoint_cutoff_hz, order=order)
        if np.isfinite(obliquity_cutoff_hz):
            y = lowpass_signal(y, fps_hz=fps_hz, cutoff_hz=obliquity_cutoff_hz)
        return y

    return smooth
