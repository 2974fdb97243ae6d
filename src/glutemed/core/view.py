"""Which way the camera looks at the runner: from behind, from the front, or from the side.

Two cues, both scale-free (divided by the body's height in the image, shoulders to ankles):
- hip width: the two hip keypoints sit apart in a rear or front view and almost on top of each other in a side
  view;
- fore-aft ankle travel: in a side view the feet sweep far forwards and backwards across the image, in a rear
  or front view they stay close to the body's vertical line.
Rear and front differ in where the runner's left side appears: image-left from behind, image-right from the
front. The cut-offs below are engineering choices tuned on synthetic and real keypoints, not literature values.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from glutemed.core.series import FloatArray, KeypointSeries, SeriesError

HIP_WIDTH_SPLIT = 0.10  # hip width / body height: below -> side, above -> rear/front
HIP_WIDTH_SCALE = 0.06
ANKLE_TRAVEL_SPLIT = 0.30  # fore-aft ankle range / body height: above -> side
ANKLE_TRAVEL_SCALE = 0.15


class View(StrEnum):
    REAR = "rear"
    FRONT = "front"
    SIDE = "side"


@dataclass(frozen=True)
class ViewDetection:
    view: View
    confidence: float  # 0.5 = a coin toss between side and rear/front, 1.0 = both cues agree strongly
    hip_width_ratio: float
    ankle_travel_ratio: float


def _nanmedian(x: FloatArray) -> float:
    finite = x[np.isfinite(x)]
    return float(np.median(finite)) if finite.size else float("nan")


def _mid(series: KeypointSeries, a: str, b: str) -> FloatArray:
    return np.asarray(0.5 * (series.xyz(a) + series.xyz(b)), dtype=np.float64)


def _range(x: FloatArray) -> float:
    finite = x[np.isfinite(x)]
    return float(np.percentile(finite, 95) - np.percentile(finite, 5)) if finite.size else float("nan")


def detect_view(series: KeypointSeries, /) -> ViewDetection:
    """Classify a 2-D series as rear, front or side view, with a confidence in 0.5..1."""
    needed = ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "left_ankle", "right_ankle")
    if not series.has(*needed):
        raise SeriesError(f"{series.source or 'series'}: view detection needs shoulders, hips and ankles")
    if series.dims != 2:
        raise SeriesError(f"{series.source or 'series'}: view detection works on 2-D image keypoints")
    shoulders = _mid(series, "left_shoulder", "right_shoulder")
    hips = _mid(series, "left_hip", "right_hip")
    ankles = _mid(series, "left_ankle", "right_ankle")
    height = _nanmedian(np.abs(shoulders[:, 1] - ankles[:, 1]))
    hip_dx = series.xyz("left_hip")[:, 0] - series.xyz("right_hip")[:, 0]
    hip_ratio = _nanmedian(np.abs(hip_dx)) / height
    travel = [_range(series.xyz(f"{s}_ankle")[:, 0] - hips[:, 0]) for s in ("left", "right")]
    travel_ratio = float(np.nanmean(travel)) / height
    if not (np.isfinite(hip_ratio) and np.isfinite(travel_ratio)) or height <= 0:
        raise SeriesError(f"{series.source or 'series'}: too few complete frames to detect the view")
    side_by_width = float(np.clip((HIP_WIDTH_SPLIT - hip_ratio) / HIP_WIDTH_SCALE, -1.0, 1.0))
    side_by_travel = float(np.clip((travel_ratio - ANKLE_TRAVEL_SPLIT) / ANKLE_TRAVEL_SCALE, -1.0, 1.0))
    evidence = 0.5 * (side_by_width + side_by_travel)
    confidence = 0.5 + 0.5 * abs(evidence)
    if evidence > 0:
        view = View.SIDE
    else:
        sh_dx = series.xyz("left_shoulder")[:, 0] - series.xyz("right_shoulder")[:, 0]
        left_on_image_left = _nanmedian(np.concatenate([hip_dx, sh_dx])) < 0
        view = View.REAR if left_on_image_left else View.FRONT
    return ViewDetection(view, confidence, hip_ratio, travel_ratio)


def project_to_view(series: KeypointSeries, /, view: View) -> KeypointSeries:
    """Orthographic projection of 3-D lab keypoints (x forward, y left, z up) onto a 2-D view, y up.

    Rear: image x = -y (the runner's left on the image left); front: image x = y; side: image x = x (the
    runner faces image +x). Units stay metric, so the result has y pointing up.
    """
    if series.dims != 3:
        return series
    p = series.positions
    horizontal = {View.REAR: -p[..., 1], View.FRONT: p[..., 1], View.SIDE: p[..., 0]}[view]
    flat = np.stack([horizontal, p[..., 2]], axis=-1)
    return series.with_positions(np.asarray(flat, dtype=np.float64))
