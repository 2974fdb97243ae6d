"""Assembling per-frame poses: missing frames, nobody at all, and a jump to another person."""

from __future__ import annotations

import numpy as np
import pytest

from glutemed.core.series import KEYPOINTS
from glutemed.io import InputFileError
from glutemed.pose.base import FramePose
from glutemed.pose.tracking import NoPersonError, assemble, find_jumps

K = len(KEYPOINTS)


def standing(x_px: float, torso_px: float = 100.0) -> FramePose:
    """A crude upright body: shoulders ``torso_px`` above the hips, centred at ``x_px``."""
    positions = np.zeros((K, 2))
    for name, y in (("shoulder", 300.0), ("hip", 300.0 + torso_px)):
        positions[KEYPOINTS.index(f"left_{name}")] = (x_px - 10, y)
        positions[KEYPOINTS.index(f"right_{name}")] = (x_px + 10, y)
    return FramePose(positions, np.full(K, 0.9), detected=True)


def test_frames_without_a_person_become_gaps() -> None:
    poses = [standing(200), FramePose.missing(), standing(202)]
    track = assemble(poses, KEYPOINTS, "clip.mp4")
    assert np.isnan(track.positions_px[1]).all()
    assert (track.confidence[1] == 0).all()
    assert track.detected.tolist() == [True, False, True]
    assert track.detected_fraction == pytest.approx(2 / 3)
    assert track.n_lost == 1
    assert track.jump_frames == ()


def test_nobody_in_any_frame_is_a_clear_error() -> None:
    with pytest.raises(NoPersonError, match=r"clip\.mp4: no person found in any of its 3 frames"):
        assemble([FramePose.missing()] * 3, KEYPOINTS, "clip.mp4")
    assert issubclass(NoPersonError, InputFileError)


def test_a_jump_to_another_person_is_flagged() -> None:
    poses = [standing(200 + i) for i in range(5)] + [standing(600 + i) for i in range(5)]
    track = assemble(poses, KEYPOINTS, "clip.mp4")
    assert track.jump_frames == (5,)


def test_a_sudden_change_of_size_is_flagged() -> None:
    poses = [standing(200, 100.0)] * 3 + [standing(200, 40.0)] * 3
    positions = np.stack([p.positions_px for p in poses])
    assert find_jumps(positions, np.ones(6, bool), KEYPOINTS) == (3,)


def test_steady_running_motion_is_not_flagged() -> None:
    # a third of a torso length per frame: a runner crossing the image fast
    poses = [standing(200 + 33 * i) for i in range(10)]
    assert assemble(poses, KEYPOINTS, "clip.mp4").jump_frames == ()
