"""How far a gait verdict can be trusted: a score in 0..1 from four separately exposed factors.

    score = confidence_factor * stance_factor * fps_factor * tilt_factor

- confidence_factor: per leg, the confidence of its weakest joint (:func:`leg_confidence`: the median over
  frames of each of LEG_KEYPOINTS, its hip, knee, ankle and heel, and the lowest of those), mapped linearly from
  CONF_FLOOR (factor 0) to CONF_FULL (factor 1). Every leg metric needs the whole hip-knee-ankle chain, so the
  weakest joint bounds it. Each leg has its own, because one leg can be seen far worse than the other: in a
  side view the far leg is half hidden (on the bundled clip MediaPipe's median confidence was about 0.97 for
  the near leg's knee and 0.52 for the far leg's), and the pose stage lowers a leg's confidence on frames where
  its thigh or shank had an impossible length (glutemed.pose.tracking). ``median_confidence`` and ``confidence_factor`` are those of
  both legs pooled, for the report's filming advice.
- stance_factor: 0 below MIN_STANCES stances on that leg (no verdict at all then); from MIN_STANCES it rises
  linearly from 0.7 to 1 at FULL_STANCES. The minimum of 7 follows Dingenen et al. 2018 (Phys Ther Sport
  33:40-47, key ``dingenen2018a``): about 6.3 steps were needed for a stable mean, so at least 7 per side.
- fps_factor: 1 at FULL_FPS_HZ (60 fps) and above, linear down to 0.6 at LOW_FPS_HZ (25 fps), and 0.25 below
  that; slower cameras see only a few frames of a ~0.25 s stance, so peaks and event times blur.
- tilt_factor: 1 up to TILT_OK_DEG of camera roll, falling linearly to 0.5 at TILT_BAD_DEG and staying there;
  relative measures (pelvic drop from foot strike) survive a constant roll, absolute angles do not. An
  unknown tilt (side views) counts as 1.

Apart from the minimum of 7 stances, these break points are engineering choices of this project, not
published values; they rank recordings, they do not turn into measurement error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from glutemed.core.events import Side
from glutemed.core.series import FloatArray, KeypointSeries

CONF_FLOOR = 0.3
CONF_FULL = 0.8
MIN_STANCES = 7
FULL_STANCES = 15
STANCE_FACTOR_AT_MIN = 0.7
FULL_FPS_HZ = 60.0
LOW_FPS_HZ = 25.0
FPS_FACTOR_AT_LOW = 0.6
FPS_FACTOR_BELOW_LOW = 0.25
TILT_OK_DEG = 2.0
TILT_BAD_DEG = 10.0
TILT_FACTOR_MIN = 0.5
METRIC_KEYPOINTS = ("hip", "knee", "ankle", "heel", "shoulder")
LEG_KEYPOINTS = ("hip", "knee", "ankle", "heel")


def confidence_factor(median_confidence: float) -> float:
    if not np.isfinite(median_confidence):
        return 0.0
    return float(np.clip((median_confidence - CONF_FLOOR) / (CONF_FULL - CONF_FLOOR), 0.0, 1.0))


def stance_factor(n_stances: int) -> float:
    if n_stances < MIN_STANCES:
        return 0.0
    frac = min(1.0, (n_stances - MIN_STANCES) / (FULL_STANCES - MIN_STANCES))
    return STANCE_FACTOR_AT_MIN + (1.0 - STANCE_FACTOR_AT_MIN) * frac


def fps_factor(fps_hz: float) -> float:
    if fps_hz >= FULL_FPS_HZ:
        return 1.0
    if fps_hz < LOW_FPS_HZ:
        return FPS_FACTOR_BELOW_LOW
    frac = (fps_hz - LOW_FPS_HZ) / (FULL_FPS_HZ - LOW_FPS_HZ)
    return FPS_FACTOR_AT_LOW + (1.0 - FPS_FACTOR_AT_LOW) * frac


def tilt_factor(camera_roll_deg: float) -> float:
    if not np.isfinite(camera_roll_deg):
        return 1.0
    excess = (abs(camera_roll_deg) - TILT_OK_DEG) / (TILT_BAD_DEG - TILT_OK_DEG)
    return float(1.0 - (1.0 - TILT_FACTOR_MIN) * np.clip(excess, 0.0, 1.0))


SIDES: tuple[Side, Side] = ("left", "right")


def median_keypoint_confidence(series: KeypointSeries, /) -> float:
    """Median confidence over frames of the left/right joints the metrics use (those the series has)."""
    cols = [
        series.index(f"{side}_{part}")
        for part in METRIC_KEYPOINTS
        for side in SIDES
        if f"{side}_{part}" in series.names
    ]
    conf = series.confidence[:, cols] if cols else series.confidence
    return float(np.median(conf)) if conf.size else float("nan")


def leg_confidence(confidence: FloatArray, names: tuple[str, ...], side: Side, /) -> float:
    """The confidence of one leg's weakest joint: the lowest per-joint median over frames of its LEG_KEYPOINTS.

    ``confidence`` is (frames, keypoints) in the order of ``names``; joints the names lack are skipped; NaN when
    the leg has none or there are no frames.
    """
    cols = [names.index(f"{side}_{part}") for part in LEG_KEYPOINTS if f"{side}_{part}" in names]
    if not cols or confidence.shape[0] == 0:
        return float("nan")
    return float(np.min(np.median(confidence[:, cols], axis=0)))


@dataclass(frozen=True)
class QualityReport:
    median_confidence: float
    fps_hz: float
    camera_roll_deg: float
    n_stances: dict[Side, int]
    confidence_factor: float
    fps_factor: float
    tilt_factor: float
    leg_confidence: dict[Side, float] = field(default_factory=dict)
    confidence_factor_by_side: dict[Side, float] = field(default_factory=dict)

    def stance_factor(self, side: Side) -> float:
        return stance_factor(self.n_stances.get(side, 0))

    def side_confidence_factor(self, side: Side) -> float:
        """The confidence factor of one leg (the pooled one when the leg's own is not known)."""
        return self.confidence_factor_by_side.get(side, self.confidence_factor)

    def score(self, side: Side) -> float:
        """The combined score for one leg's verdicts."""
        return (
            self.side_confidence_factor(side) * self.stance_factor(side) * self.fps_factor * self.tilt_factor
        )

    @property
    def overall(self) -> float:
        """The score of the weaker leg."""
        return min(self.score("left"), self.score("right"))


def assess_quality(
    series: KeypointSeries, /, *, n_stances: dict[Side, int], camera_roll_deg: float = float("nan")
) -> QualityReport:
    median_conf = median_keypoint_confidence(series)
    by_side = {side: leg_confidence(series.confidence, series.names, side) for side in SIDES}
    return QualityReport(
        median_confidence=median_conf,
        fps_hz=series.fps_hz,
        camera_roll_deg=camera_roll_deg,
        n_stances=dict(n_stances),
        confidence_factor=confidence_factor(median_conf),
        fps_factor=fps_factor(series.fps_hz),
        tilt_factor=tilt_factor(camera_roll_deg),
        leg_confidence=by_side,
        confidence_factor_by_side={side: confidence_factor(c) for side, c in by_side.items()},
    )
