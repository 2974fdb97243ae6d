"""The interface a pose backend implements, and the per-frame result it yields.

A backend turns decoded video frames (BGR ``uint8`` arrays of shape (height, width, 3), as OpenCV decodes
them) into the canonical keypoints of :data:`glutemed.core.series.KEYPOINTS` in pixel coordinates of that
frame (x to the right, y DOWN), each with a confidence in 0..1. A frame without a person gives NaN positions
and confidence 0, so the gait engine treats it as a gap. Backends are generators, so long videos stream
through without holding every frame in memory and the caller can report progress per frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from glutemed.core.series import KEYPOINTS

FloatArray = NDArray[np.float64]
Frame = NDArray[np.uint8]


@dataclass(frozen=True)
class FramePose:
    """One frame's pose: ``positions_px`` (keypoints, 2) and ``confidence`` (keypoints,) in KEYPOINTS order."""

    positions_px: FloatArray
    confidence: FloatArray
    detected: bool

    @classmethod
    def missing(cls, n_keypoints: int = len(KEYPOINTS)) -> FramePose:
        """No person in this frame: NaN positions, confidence 0."""
        return cls(np.full((n_keypoints, 2), np.nan), np.zeros(n_keypoints), detected=False)


@runtime_checkable
class PoseEstimator(Protocol):
    """A 2-D pose backend.

    ``name`` is a short human name ("mediapipe-pose"); ``model_id`` identifies the model and every setting
    that changes its output (library version, model variant), so a keypoint cache made by one model is never
    reused for another. ``names`` are the canonical keypoint names the backend fills, in column order.
    """

    name: str
    model_id: str
    names: tuple[str, ...]

    def estimate(self, frames: Iterable[Frame]) -> Iterator[FramePose]:
        """Yield one :class:`FramePose` per frame, in order, for consecutive frames of one video."""
        ...
