"""Leg checks on hand-made tracks: a point that spikes for one frame is dropped, a stretched shank is discounted.

The real-clip side of these checks (the far leg flagged more than the near one, cadence and knee peaks against
the clip's references) is in test_pose_modes.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from glutemed.core.series import KEYPOINTS
from glutemed.pose.base import FramePose
from glutemed.pose.legs import (
    MAX_COLLAPSE_SHANKS,
    MAX_SPIKE_SHANKS,
    OFF_LENGTH_CONFIDENCE_FACTOR,
    check_legs,
    spike_frames,
)
from glutemed.pose.tracking import assemble

K = len(KEYPOINTS)
N = 30


def walking_legs(n: int = N) -> np.ndarray:
    """Both legs straight down from the hips, 60 px apart (thigh and shank 100 px), moving 5 px a frame."""
    positions = np.zeros((n, K, 2))
    for t in range(n):
        x = 100.0 + 5.0 * t
        for side, dx in (("left", -30.0), ("right", 30.0)):
            for part, y in (("shoulder", 100.0), ("hip", 300.0), ("knee", 400.0), ("ankle", 500.0)):
                positions[t, KEYPOINTS.index(f"{side}_{part}")] = (x + dx, y)
            positions[t, KEYPOINTS.index(f"{side}_heel")] = (x + dx - 10, 510.0)
            positions[t, KEYPOINTS.index(f"{side}_toe")] = (x + dx + 30, 510.0)
    positions[:, KEYPOINTS.index("nose")] = positions[:, KEYPOINTS.index("left_shoulder")] - (0, 50)
    return positions


def test_a_clean_track_keeps_every_confidence() -> None:
    confidence = np.full((N, K), 0.9)
    checked = check_legs(walking_legs(), confidence, KEYPOINTS)
    assert np.array_equal(checked.confidence, confidence)
    assert np.array_equal(checked.positions, walking_legs())
    assert checked.implausible("left") == checked.implausible("right") == ()


def test_a_far_knee_spiking_for_one_frame_is_dropped_and_listed() -> None:
    positions = walking_legs()
    knee = KEYPOINTS.index("right_knee")
    positions[12, knee] += (0.0, -1.2 * 100.0)  # 120 px up for one frame: onto the thigh, past the limit
    confidence = np.full((N, K), 0.9)
    checked = check_legs(positions, confidence, KEYPOINTS)
    assert checked.spikes["right"] == (12,)
    assert checked.confidence[12, knee] == 0.0
    assert np.isnan(checked.positions[12, knee]).all()
    assert checked.spikes["left"] == ()
    # the neighbours are not blamed, and the input is not changed
    assert checked.confidence[11, knee] == checked.confidence[13, knee] == 0.9
    assert confidence[12, knee] == 0.9
    assert np.isfinite(positions).all()
    # the removed knee no longer makes the thigh and shank lengths look wrong
    assert checked.off_length["right"] == ()
    assert checked.implausible("right") == (12,)


def test_a_stretched_shank_lowers_the_legs_confidence_but_not_the_hips() -> None:
    positions = walking_legs()
    positions[5:8, KEYPOINTS.index("left_ankle")] += (0.0, 40.0)  # shank 140 px for three frames, no spike
    positions[5:8, KEYPOINTS.index("left_heel")] += (0.0, 40.0)
    positions[5:8, KEYPOINTS.index("left_toe")] += (0.0, 40.0)
    confidence = np.full((N, K), 0.8)
    checked = check_legs(positions, confidence, KEYPOINTS)
    assert checked.off_length["left"] == (5, 6, 7)
    assert checked.spikes["left"] == ()
    for part in ("knee", "ankle", "heel", "toe"):
        col = KEYPOINTS.index(f"left_{part}")
        assert checked.confidence[5:8, col] == pytest.approx(0.8 * OFF_LENGTH_CONFIDENCE_FACTOR)
    assert np.all(checked.confidence[:, KEYPOINTS.index("left_hip")] == 0.8)
    assert np.all(checked.confidence[:, KEYPOINTS.index("right_knee")] == 0.8)


def test_spikes_weigh_uneven_frame_timing() -> None:
    # A point moving at constant speed, sampled unevenly: no spike, though the middle frame is far from the
    # plain midpoint of its neighbours.
    times = np.array([0.0, 0.1, 0.12, 0.3])
    track = np.stack([times * 1000.0, np.zeros(4)], axis=1)
    assert not spike_frames(track, times, 10.0).any()
    assert spike_frames(track, np.arange(4.0), 10.0)[1:3].any()
    assert MAX_SPIKE_SHANKS > 0


def test_assemble_carries_the_leg_check() -> None:
    positions = walking_legs()
    positions[20, KEYPOINTS.index("left_ankle")] += (80.0, 0.0)
    poses = [FramePose(positions[t], np.full(K, 0.9), detected=True) for t in range(N)]
    track = assemble(poses, KEYPOINTS, "clip.mp4")
    assert track.implausible["left"] == (20,)
    assert track.implausible["right"] == ()
    assert track.confidence[20, KEYPOINTS.index("left_ankle")] == 0.0
    assert np.isnan(track.positions_px[20, KEYPOINTS.index("left_ankle")]).all()


def test_a_leg_laid_onto_the_other_is_removed_from_the_weaker_one() -> None:
    positions = walking_legs()
    confidence = np.full((N, K), 0.9)
    for part in ("knee", "ankle", "heel", "toe"):
        left, right = KEYPOINTS.index(f"left_{part}"), KEYPOINTS.index(f"right_{part}")
        positions[9, right] = positions[9, left] + (3.0, 2.0)  # the far leg drawn on the near one
        confidence[9, right] = 0.4
    checked = check_legs(positions, confidence, KEYPOINTS)
    assert checked.collapsed == {"left": (), "right": (9,)}
    right_leg = [KEYPOINTS.index(f"right_{p}") for p in ("knee", "ankle", "heel", "toe")]
    assert np.isnan(checked.positions[9, right_leg]).all()
    assert (checked.confidence[9, right_leg] == 0.0).all()
    assert np.isfinite(checked.positions[9, KEYPOINTS.index("left_knee")]).all()
    assert checked.implausible("right") == (9,)
    # legs apart by less than the limit at every point count as one laid on the other
    close = walking_legs()
    for part in ("knee", "ankle", "heel", "toe"):
        close[:, KEYPOINTS.index(f"right_{part}")] = close[:, KEYPOINTS.index(f"left_{part}")] + (
            0.9 * MAX_COLLAPSE_SHANKS * 100.0,
            0.0,
        )
    assert (
        len(check_legs(close, np.full((N, K), 0.9), KEYPOINTS).collapsed["right"]) == N
    )  # a tie: right goes
