"""Which way a runner in a 2-D side view travels: towards image +x or -x, or "undetermined".

Every sagittal metric needs it (shank angle and trunk lean are signed by it, and the side-view contact
events tell stance from swing by the foot's backward drift), yet many tracks lack the keypoints that give it
away at once. Each cue below reads the direction from one piece of anatomy or mechanics and casts a vote in
-1..+1 (+1: all its frames say the runner faces +x; the size is how consistent the frames are, the mean of
their signs, unless said otherwise):

- ``toe_heel``: the toe lies ahead of the heel.
- ``nose``: the nose lies ahead of the ears (where tracked), else of the shoulders, else of the hips.
- ``knee_bend``: a bent knee points forwards: the knee lies ahead of the hip-ankle line whenever it is
  flexed by at least ``BENT_KNEE_DEG``.
- ``heel_ankle``: the heel lies behind the ankle.
- ``foot_drift``: swing against stance. While a foot is on the ground it drifts backwards relative to the hip
  midpoint at running speed, on a treadmill and over ground alike; in swing it is carried forwards. The
  ground frames are the foot's lowest ``GROUND_SHARE`` after removing the tilt of the line its lowest points
  lie on (a rolled camera tilts the belt), and the vote is the speed-weighted mean of the signs, so the slow
  turning points at strike and toe off count little. Speed alone, without knowing which frames are on the
  ground, does not decide: on the two motion-capture runners and the real video the ankle moves backwards
  relative to the hips in 51-55 % of the frames, and its 98th-percentile backward speed is 0.78-1.11 times
  the forward one, so neither the time share nor the peak speed tells swing from stance
  (docs/validation.md).
- ``hips_travel``: over ground with a fixed camera the hips cross the image in the direction of travel. On a
  treadmill, or with a camera that follows the runner, they stay put and this cue abstains (under
  ``HIPS_TRAVEL_LEGS`` leg lengths of travel); its vote grows from 0 there to 1 one leg length further.

A cue that cannot be read (keypoints missing, too few frames, hips that do not travel) gets weight 0.
The decision is the weighted mean of the votes; it stands only when no decisive cue (|vote| at least
``DECISIVE_VOTE``) contradicts it and its size (the confidence) reaches ``MIN_CONFIDENCE``. Otherwise the
direction is undetermined, and the caller must not produce direction-dependent (sagittal) results from a
guess. The thresholds are engineering choices checked on real data (tests/core/test_facing.py,
docs/validation.md), not literature values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from glutemed.core.kinematics import knee_flexion_deg, upright_positions
from glutemed.core.series import FloatArray, KeypointSeries

SIDES = ("left", "right")
MIN_FRAMES = 10
BENT_KNEE_DEG = 15.0
GROUND_SHARE = 0.2
HIPS_TRAVEL_LEGS = 1.0  # hips must cross at least this many leg lengths before ``hips_travel`` votes
DECISIVE_VOTE = 0.5
MIN_CONFIDENCE = 0.5
# how much each cue counts when it can be read; the nose is a head keypoint that turns with the gaze
CUE_WEIGHTS = {
    "toe_heel": 1.0,
    "nose": 0.5,
    "knee_bend": 1.0,
    "heel_ankle": 1.0,
    "foot_drift": 1.0,
    "hips_travel": 1.0,
}


@dataclass(frozen=True)
class CueVote:
    name: str
    vote: float  # -1..+1, +1 = faces image +x; NaN when the cue could not be read
    weight: float  # 0 when the cue could not be read
    n_frames: int  # frames that voted
    note: str = ""  # why the cue could not be read, empty when it was

    @property
    def used(self) -> bool:
        return self.weight > 0 and bool(np.isfinite(self.vote))


@dataclass(frozen=True)
class FacingDecision:
    sign: float  # +1 faces image +x, -1 faces -x, 0 undetermined
    confidence: float  # |weighted mean vote| of the cues used, 0..1
    cues: tuple[CueVote, ...]
    agree: bool  # no decisive cue votes against the weighted mean
    reason: str = ""  # why the direction is undetermined; empty when decided

    @property
    def decided(self) -> bool:
        return self.sign != 0

    @property
    def label(self) -> str | None:
        """Image direction: "+x", "-x", or None when undetermined."""
        return None if not self.decided else ("+x" if self.sign > 0 else "-x")

    def sign_or(self, default: float) -> float:
        return self.sign if self.decided else default


class _Tracks:
    """Upright 2-D keypoint tracks, looked up by name; None where the series lacks a usable track."""

    def __init__(self, series: KeypointSeries) -> None:
        self.series = series
        self.up = upright_positions(series)
        self.t = series.times_s

    def __call__(self, name: str) -> FloatArray | None:
        if name not in self.series.names:
            return None
        track = np.asarray(self.up[:, self.series.index(name), :2], dtype=np.float64)
        return track if int(np.isfinite(track).all(axis=1).sum()) >= MIN_FRAMES else None

    def mid(self, a: str, b: str) -> FloatArray | None:
        pa, pb = self(a), self(b)
        return None if pa is None or pb is None else np.asarray(0.5 * (pa + pb), dtype=np.float64)


def _sign_vote(name: str, values: list[FloatArray], missing: str, *, by_size: bool = False) -> CueVote:
    """Mean sign of the finite, non-zero values pooled over ``values`` (one array per side).

    ``by_size``: each value's sign counts in proportion to its size (sum of values / sum of their sizes).
    """
    pooled = np.concatenate(values) if values else np.empty(0)
    pooled = pooled[np.isfinite(pooled) & (pooled != 0)]
    if pooled.size < MIN_FRAMES:
        return CueVote(name, float("nan"), 0.0, int(pooled.size), missing if not values else "too few frames")
    vote = np.sum(pooled) / np.sum(np.abs(pooled)) if by_size else np.mean(np.sign(pooled))
    return CueVote(name, float(vote), CUE_WEIGHTS[name], int(pooled.size))


def toe_heel_cue(tr: _Tracks) -> CueVote:
    pairs = [(tr(f"{s}_toe"), tr(f"{s}_heel")) for s in SIDES]
    values = [toe[:, 0] - heel[:, 0] for toe, heel in pairs if toe is not None and heel is not None]
    return _sign_vote("toe_heel", values, "no toe and heel keypoints")


def nose_cue(tr: _Tracks) -> CueVote:
    nose = tr("nose")
    ref = tr.mid("left_ear", "right_ear")
    for a, b in (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip")):
        ref = ref if ref is not None else tr.mid(a, b)
    values = [] if nose is None or ref is None else [nose[:, 0] - ref[:, 0]]
    return _sign_vote("nose", values, "no nose keypoint")


def knee_bend_cue(tr: _Tracks) -> CueVote:
    """Sign of (ankle - hip) x (knee - hip): positive when the knee lies on the +x side of the hip-ankle line."""
    values = []
    for s in SIDES:
        hip, knee, ankle = tr(f"{s}_hip"), tr(f"{s}_knee"), tr(f"{s}_ankle")
        if hip is None or knee is None or ankle is None:
            continue
        leg, thigh = ankle - hip, knee - hip
        cross = leg[:, 0] * thigh[:, 1] - leg[:, 1] * thigh[:, 0]
        bent = knee_flexion_deg(hip, knee, ankle) >= BENT_KNEE_DEG
        values.append(np.where(bent, cross, np.nan))
    return _sign_vote("knee_bend", values, "no hip, knee and ankle keypoints")


def heel_ankle_cue(tr: _Tracks) -> CueVote:
    pairs = [(tr(f"{s}_ankle"), tr(f"{s}_heel")) for s in SIDES]
    values = [ankle[:, 0] - heel[:, 0] for ankle, heel in pairs if ankle is not None and heel is not None]
    return _sign_vote("heel_ankle", values, "no heel keypoints")


def _lowest_foot(tr: _Tracks, side: str) -> tuple[FloatArray, FloatArray] | None:
    """Fore-aft position (heel, else ankle) and height (lowest of heel, toe, ankle) of one foot, per frame."""
    ankle = tr(f"{side}_ankle")
    if ankle is None:
        return None
    heel, toe = tr(f"{side}_heel"), tr(f"{side}_toe")
    x = ankle[:, 0] if heel is None else np.where(np.isfinite(heel[:, 0]), heel[:, 0], ankle[:, 0])
    heights = np.stack([p[:, 1] for p in (ankle, heel, toe) if p is not None], axis=1)
    finite = np.isfinite(heights).any(axis=1)
    low = np.where(finite, np.nanmin(np.where(np.isfinite(heights), heights, np.inf), axis=1), np.nan)
    return np.asarray(x, dtype=np.float64), np.asarray(low, dtype=np.float64)


def foot_drift_cue(tr: _Tracks) -> CueVote:
    """Minus the sign of the foot's fore-aft speed relative to the hips while the foot is on the ground."""
    hips = tr.mid("left_hip", "right_hip")
    values = []
    for s in SIDES:
        foot = _lowest_foot(tr, s)
        if hips is None or foot is None:
            continue
        x, height = foot
        speed = np.gradient(x - hips[:, 0], tr.t)
        ok = np.isfinite(height) & np.isfinite(speed) & np.isfinite(x)
        if ok.sum() < MIN_FRAMES:
            continue
        low = ok & (height <= np.percentile(height[ok], 100.0 * GROUND_SHARE))
        above_ground = height
        if np.ptp(x[low]) > 0:
            slope, offset = np.polyfit(x[low], height[low], 1)
            above_ground = height - (offset + slope * x)
        ground = ok & (above_ground <= np.percentile(above_ground[ok], 100.0 * GROUND_SHARE))
        values.append(-speed[ground])
    return _sign_vote("foot_drift", values, "no hip and ankle keypoints", by_size=True)


def hips_travel_cue(tr: _Tracks) -> CueVote:
    """Net fore-aft travel of the hip midpoint across the image, in leg lengths (hip to ankle)."""
    hips = tr.mid("left_hip", "right_hip")
    legs = [tr(f"{s}_ankle") for s in SIDES]
    if hips is None or any(a is None for a in legs):
        return CueVote("hips_travel", float("nan"), 0.0, 0, "no hip and ankle keypoints")
    leg = float(np.nanmedian([np.nanmedian(np.linalg.norm(a - hips, axis=1)) for a in legs if a is not None]))
    ok = np.flatnonzero(np.isfinite(hips[:, 0]))
    if ok.size < MIN_FRAMES:
        return CueVote("hips_travel", float("nan"), 0.0, int(ok.size), "too few frames")
    tenth = max(1, ok.size // 10)
    travel = float(np.median(hips[ok[-tenth:], 0]) - np.median(hips[ok[:tenth], 0]))
    legs_crossed = abs(travel) / leg if leg > 0 else 0.0
    if not legs_crossed >= HIPS_TRAVEL_LEGS:
        return CueVote(
            "hips_travel", float("nan"), 0.0, int(ok.size), "hips stay in place (treadmill or panning)"
        )
    strength = float(np.clip(legs_crossed - HIPS_TRAVEL_LEGS, 0.0, 1.0))
    return CueVote("hips_travel", float(np.sign(travel)) * strength, CUE_WEIGHTS["hips_travel"], int(ok.size))


CUES: tuple[Callable[[_Tracks], CueVote], ...] = (
    toe_heel_cue,
    nose_cue,
    knee_bend_cue,
    heel_ankle_cue,
    foot_drift_cue,
    hips_travel_cue,
)


def combine(cues: tuple[CueVote, ...], /) -> FacingDecision:
    """The decision from a set of cue votes (see the module docstring)."""
    used = [c for c in cues if c.used]
    if not used:
        return FacingDecision(0.0, 0.0, cues, True, "no cue could be read")
    score = sum(c.weight * c.vote for c in used) / sum(c.weight for c in used)
    decisive = [c for c in used if abs(c.vote) >= DECISIVE_VOTE]
    agree = len({np.sign(c.vote) for c in decisive}) <= 1
    confidence = abs(float(score))
    if not agree:
        said = ", ".join(f"{c.name} says {'+x' if c.vote > 0 else '-x'}" for c in decisive)
        return FacingDecision(0.0, confidence, cues, False, f"the cues disagree ({said})")
    if confidence < MIN_CONFIDENCE:
        names = ", ".join(c.name for c in used)
        reason = f"the cues are too weak (confidence {confidence:.2f} < {MIN_CONFIDENCE:g}; used {names})"
        return FacingDecision(0.0, confidence, cues, True, reason)
    return FacingDecision(float(np.sign(score)), confidence, cues, True)


def decide_facing(series: KeypointSeries, /) -> FacingDecision:
    """Direction of travel of a 2-D side-view series from every cue it holds."""
    if series.dims != 2:
        raise ValueError(f"{series.source or 'series'}: facing needs 2-D keypoints, got {series.dims}-D")
    tracks = _Tracks(series)
    return combine(tuple(cue(tracks) for cue in CUES))
