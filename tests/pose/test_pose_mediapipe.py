"""MediaPipe Pose on the real side-view treadmill clip (first 90 frames, to keep the test short)."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import numpy as np
import pytest

from glutemed.core.series import KEYPOINTS
from glutemed.pose import PoseEstimator
from glutemed.pose.mediapipe_backend import BLAZEPOSE_INDEX, MediaPipePose, PoseBackendError
from glutemed.pose.video import VideoReader

N_FRAMES = 90


@pytest.fixture(scope="module")
def first_poses(clip: Path) -> tuple[list, int, int]:
    estimator = MediaPipePose()
    with VideoReader(clip) as video:
        frames = (frame for _, frame in islice(video.frames(), N_FRAMES))
        poses = list(estimator.estimate(frames))
        return poses, video.info.width_px, video.info.height_px


def test_backend_is_a_pose_estimator_with_canonical_names() -> None:
    estimator = MediaPipePose()
    assert isinstance(estimator, PoseEstimator)
    assert estimator.names == KEYPOINTS
    assert set(BLAZEPOSE_INDEX) == set(KEYPOINTS)
    assert BLAZEPOSE_INDEX["left_heel"] == 29
    assert BLAZEPOSE_INDEX["right_toe"] == 32
    assert "0.10.21" in estimator.model_id
    assert "c1" in estimator.model_id


def test_models_that_would_download_are_refused() -> None:
    with pytest.raises(PoseBackendError, match="not bundled"):
        MediaPipePose(model_complexity=2)


def test_every_frame_has_the_runner_with_plausible_pixels(first_poses: tuple[list, int, int]) -> None:
    poses, width_px, height_px = first_poses
    assert len(poses) == N_FRAMES
    assert all(p.detected for p in poses)
    positions = np.stack([p.positions_px for p in poses])
    confidence = np.stack([p.confidence for p in poses])
    assert positions.shape == (N_FRAMES, len(KEYPOINTS), 2)
    assert np.all((confidence >= 0) & (confidence <= 1))
    assert np.isfinite(positions).all()
    median = {name: np.median(positions[:, i, :], axis=0) for i, name in enumerate(KEYPOINTS)}
    for x, y in median.values():
        assert 0 <= x <= width_px
        assert 0 <= y <= height_px
    # pixel y grows down the image: head above shoulders above hips above knees above ankles
    for side in ("left", "right"):
        ys = [
            median[n][1] for n in ("nose", f"{side}_shoulder", f"{side}_hip", f"{side}_knee", f"{side}_ankle")
        ]
        assert ys == sorted(ys)
    # the near (left) leg is seen well; the far leg is partly hidden by the treadmill console
    near = confidence[:, KEYPOINTS.index("left_knee")].mean()
    far = confidence[:, KEYPOINTS.index("right_knee")].mean()
    assert near > 0.8
    assert far < near
