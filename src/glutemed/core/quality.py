"""How far a gait verdict can be trusted: a score in 0..1 from four separately exposed factors.

    score = confidence_factor * stance_factor * fps_factor * tilt_factor

- confidence_factor: median keypoint confidence of the joints the metrics use, mapped linearly from
  CONF_FLOOR (factor 0) to CONF_FULL (factor 1).
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

from dataclasses import dataclass

import numpy as np

from glutemed.core.events import Side
from glutemed.core.series import KeypointSeries

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


def median_keypoint_confidence(series: KeypointSeries, /) -> float:
    """Median confidence over frames of the left/right joints the metrics use (those the series has)."""
    cols = [
        series.index(f"{side}_{part}")
        for part in METRIC_KEYPOINTS
        for side in ("left", "right")
        if f"{side}_{part}" in series.names
    ]
    conf = series.confidence[:, cols] if cols else series.confidence
    return float(np.median(conf)) if conf.size else float("nan")


@dataclass(frozen=True)
class QualityReport:
    median_confidence: float
    fps_hz: float
    camera_roll_deg: float
    n_stances: dict[Side, int]
    confidence_factor: float
    fps_factor: float
    tilt_factor: float

    def stance_factor(self, side: Side) -> float:
        return stance_factor(self.n_stances.get(side, 0))

    def score(self, side: Side) -> float:
        """The combined score for one leg's verdicts."""
        return self.confidence_factor * self.stance_factor(side) * self.fps_factor * self.tilt_factor

    @property
    def overall(self) -> float:
        """The score of the weaker leg."""
        return min(self.score("left"), self.score("right"))


def assess_quality(
    series: KeypointSeries, /, *, n_stances: dict[Side, int], camera_roll_deg: float = float("nan")
) -> QualityReport:
    median_conf = median_keypoint_confidence(series)
    return QualityReport(
        median_confidence=median_conf,
        fps_hz=series.fps_hz,
        camera_roll_deg=camera_roll_deg,
        n_stances=dict(n_stances),
        confidence_factor=confidence_factor(median_conf),
        fps_factor=fps_factor(series.fps_hz),
        tilt_factor=tilt_factor(camera_roll_deg),
    )
