"""Video and pose estimation: decode a runner's video and turn each frame into canonical 2-D keypoints.

``video`` opens and checks the file, ``base`` defines the :class:`PoseEstimator` interface every backend
follows, ``mediapipe_backend`` is the bundled MediaPipe Pose backend and ``tracking`` assembles the per-frame
poses into arrays, flags frames where the followed person seems to change, and refuses clips with nobody in them.
``people`` scans for everyone in view and, with several people, plans the crop that keeps the pose on the runner;
``level_lines`` reads a camera's roll from straight edges.
The use case that ties them together (with a keypoint cache) is :mod:`glutemed.services.video`.

This package module stays light (no OpenCV, no MediaPipe), so callers can ask :func:`is_video` without paying
for importing either.
"""

from __future__ import annotations

from pathlib import Path

from glutemed.pose.base import FramePose, PoseEstimator

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".avi", ".mkv"})
LONG_CLIP_S = 20.0
"""Our own default: a tracking-mode clip longer than this is posed in chunks over every core when no worker count
is given (:mod:`glutemed.pose.chunked`); a shorter clip gains little, and every split leaves the track a little
different from one unbroken run's."""

__all__ = ["LONG_CLIP_S", "VIDEO_SUFFIXES", "FramePose", "PoseEstimator", "is_video"]


def is_video(path: str | Path) -> bool:
    """True for the video file types glutemed reads (by extension)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES
