"""Shared helpers for the video and pose tests: the real clip and small videos written on the fly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from glutemed.core.series import KeypointSeries

CLIP = Path(__file__).resolve().parents[1] / "data" / "video" / "male_side_treadmill" / "male_side.mp4"


def write_video(path: Path, frames: list[np.ndarray], fps_hz: float) -> Path:
    """Write BGR frames with OpenCV (mp4v for .mp4, MJPG for .avi)."""
    fourcc = cv2.VideoWriter_fourcc(*("MJPG" if path.suffix == ".avi" else "mp4v"))
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), fourcc, fps_hz, (width, height))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def blank_frames(n: int, width: int = 320, height: int = 240) -> list[np.ndarray]:
    return [np.full((height, width, 3), 128, np.uint8) for _ in range(n)]


def clip_frames(n: int, step: int = 1) -> list[np.ndarray]:
    """The first ``n`` frames of the real clip (every ``step``-th), decoded."""
    cap = cv2.VideoCapture(str(CLIP))
    frames = []
    index = 0
    while len(frames) < n:
        ok, frame = cap.read()
        assert ok
        if index % step == 0:
            frames.append(frame)
        index += 1
    cap.release()
    return frames


@pytest.fixture(scope="session")
def clip() -> Path:
    return CLIP


@pytest.fixture(scope="session")
def clip_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The keypoint cache folder of :func:`default_clip_series`."""
    return tmp_path_factory.mktemp("clip-cache")


@pytest.fixture(scope="session")
def default_clip_series(clip_cache: Path) -> KeypointSeries:
    """The whole real clip through ``video_to_keypoints`` with every default, once per test session (slow)."""
    from glutemed.services.video import video_to_keypoints

    return video_to_keypoints(CLIP, cache_dir=clip_cache)


@pytest.fixture(scope="session")
def make_video() -> Callable[[Path, list[np.ndarray], float], Path]:
    return write_video


@pytest.fixture(scope="session")
def real_frames() -> Callable[..., list[np.ndarray]]:
    return clip_frames


@pytest.fixture
def blank_video(tmp_path: Path) -> Path:
    """Twenty frames of an empty grey scene at 30 fps: a video with nobody in it."""
    return write_video(tmp_path / "blank.mp4", blank_frames(20), 30.0)
