"""MediaPipe Pose (BlazePose) backend, from the ``mediapipe==0.10.21`` wheel, fully offline.

It uses the legacy ``mp.solutions.pose`` API with ``model_complexity=1``: the "full" landmark model and the
person detector, both shipped inside the wheel, so nothing is downloaded (the "lite" and "heavy" models, complexity 0
and 2, are not in the wheel and would be downloaded, so they are refused). The solution runs in video mode: it detects a
person once, then tracks that one person from frame to frame, re-detecting only when the track is lost. It
never returns more than one person (see :mod:`glutemed.pose.tracking`).

Of BlazePose's 33 landmarks, 13 map onto the canonical keypoints: nose 0, shoulders 11/12, hips 23/24,
knees 25/26, ankles 27/28, heels 29/30 and the foot index 31/32 (the tip of the foot), used as ``*_toe``.
MediaPipe returns coordinates normalised to the image; they are scaled to pixels of the (rotated) frame.
The landmark's ``visibility`` (the model's estimate that the point is visible, in 0..1) is kept as the
keypoint's confidence.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

# MediaPipe's C++ logging (glog/absl) prints INFO lines on import and per graph; keep warnings and errors only,
# unless the user asked for more. Set before the import below, which reads it.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import cv2
import mediapipe as mp
import numpy as np

from glutemed.core.series import KEYPOINTS
from glutemed.pose.base import Frame, FramePose

BLAZEPOSE_INDEX: dict[str, int] = {
    "nose": 0,
    "left_shoulder": 11,
    "right_shoulder": 12,
    "left_hip": 23,
    "right_hip": 24,
    "left_knee": 25,
    "right_knee": 26,
    "left_ankle": 27,
    "right_ankle": 28,
    "left_heel": 29,
    "right_heel": 30,
    "left_toe": 31,  # BlazePose "left foot index"
    "right_toe": 32,  # BlazePose "right foot index"
}
_BUNDLED_MODELS = {1: "pose_landmark_full.tflite"}  # lite (0) and heavy (2) would be downloaded


class PoseBackendError(RuntimeError):
    """The pose model cannot run here (model file missing, unsupported setting)."""


def bundled_model_path(model_complexity: int) -> Path:
    """Path of the landmark model inside the installed wheel; refuses settings that would download."""
    if model_complexity not in _BUNDLED_MODELS:
        raise PoseBackendError(
            f"MediaPipe Pose model_complexity={model_complexity} is not bundled in the wheel "
            "(only 1, the full model, is used offline)"
        )
    path = Path(mp.__file__).parent / "modules" / "pose_landmark" / _BUNDLED_MODELS[model_complexity]
    if not path.is_file():
        raise PoseBackendError(
            f"the MediaPipe model {path.name} is missing from {path.parent}; reinstall mediapipe==0.10.21"
        )
    return path


class MediaPipePose:
    """The :class:`~glutemed.pose.base.PoseEstimator` for MediaPipe Pose (BlazePose full, video mode)."""

    name = "mediapipe-pose"
    names: tuple[str, ...] = KEYPOINTS

    def __init__(
        self,
        *,
        model_complexity: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        bundled_model_path(model_complexity)
        self.model_complexity = model_complexity
        self.min_detection_confidence = min_detection_confidence
        self.min_tracking_confidence = min_tracking_confidence
        self.model_id = (
            f"mediapipe-{mp.__version__}-pose-c{model_complexity}"
            f"-det{min_detection_confidence:g}-trk{min_tracking_confidence:g}"
        )
        self._index = np.array([BLAZEPOSE_INDEX[n] for n in self.names])

    def solution(self) -> Any:
        """A fresh legacy ``mp.solutions.pose.Pose`` with this backend's settings (use it as a context manager)."""
        return mp.solutions.pose.Pose(
            static_image_mode=False,
            model_complexity=self.model_complexity,
            smooth_landmarks=True,
            enable_segmentation=False,
            min_detection_confidence=self.min_detection_confidence,
            min_tracking_confidence=self.min_tracking_confidence,
        )

    def estimate(self, frames: Iterable[Frame]) -> Iterator[FramePose]:
        """Yield the pose of each BGR frame; a frame with nobody found gives :meth:`FramePose.missing`."""
        with self.solution() as pose:
            for frame in frames:
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                rgb.flags.writeable = False
                result = pose.process(rgb)
                yield self._to_frame_pose(result, width_px=frame.shape[1], height_px=frame.shape[0])

    def _to_frame_pose(self, result: Any, *, width_px: int, height_px: int) -> FramePose:
        if result.pose_landmarks is None:
            return FramePose.missing(len(self.names))
        landmarks = result.pose_landmarks.landmark
        raw = np.array([(landmarks[i].x, landmarks[i].y, landmarks[i].visibility) for i in self._index])
        positions = raw[:, :2].astype(np.float64) * np.array([width_px, height_px], dtype=np.float64)
        confidence = np.clip(raw[:, 2], 0.0, 1.0)
        return FramePose(positions, confidence, detected=True)
