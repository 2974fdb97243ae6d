"""GaitEngine on real RTMPose keypoints of a side-view treadmill clip (GaitLab ``gaitlab.pose/v1`` JSON).

The clip's cadence was measured from the raw pixels without any pose model: 168.9 +/- 0.5 steps/min
(male_side.groundtruth.json, MIT, from github.com/zzzhushi/running-gait-analysis). The tiny parser below is
local to this test on purpose; the project's reader lives in glutemed.io.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glutemed.core.engine import GaitEngine
from glutemed.core.series import KEYPOINTS, KeypointSeries
from glutemed.core.view import View

_HERE = Path(__file__).resolve()
_CANDIDATES = [
    _HERE.parents[1] / "data" / "video" / "male_side_treadmill",
    Path("/work/shared/data/video/male_side_treadmill"),
]
CLIP = next((p for p in _CANDIDATES if (p / "male_side.pose.json").is_file()), None)
HALPE_NAMES = {
    "nose": "nose",
    "left_shoulder": "l_shoulder",
    "right_shoulder": "r_shoulder",
    "left_hip": "l_hip",
    "right_hip": "r_hip",
    "left_knee": "l_knee",
    "right_knee": "r_knee",
    "left_ankle": "l_ankle",
    "right_ankle": "r_ankle",
    "left_heel": "l_heel",
    "right_heel": "r_heel",
    "left_toe": "l_big_toe",
    "right_toe": "r_big_toe",
}

pytestmark = pytest.mark.skipif(CLIP is None, reason="male_side.pose.json not available")


def _load(folder: Path) -> tuple[KeypointSeries, dict[str, object]]:
    doc = json.loads((folder / "male_side.pose.json").read_text(encoding="utf-8"))
    truth = json.loads((folder / "male_side.groundtruth.json").read_text(encoding="utf-8"))
    assert doc["schema"] == "gaitlab.pose/v1"
    frames = np.asarray(doc["frames"], dtype=np.float64)  # (frames, keypoints, x/y/confidence)
    cols = [doc["keypoint_names"].index(HALPE_NAMES[k]) for k in KEYPOINTS]
    series = KeypointSeries.from_arrays(
        frames[:, cols, :2],
        KEYPOINTS,
        times_s=np.asarray(doc["timestamps"], dtype=np.float64),
        confidence=frames[:, cols, 2],
        source="male_side.pose.json",
    )
    return series, truth


@pytest.fixture(scope="module")
def analysed() -> tuple[GaitEngine, dict[str, object]]:
    assert CLIP is not None
    series, truth = _load(CLIP)
    return GaitEngine().analyze(series), truth


def test_real_clip_cadence_matches_pixel_ground_truth(analysed: tuple[GaitEngine, dict[str, object]]) -> None:
    engine, truth = analysed
    cadence = truth["cadence_spm"]
    assert isinstance(cadence, dict)
    assert engine.summary_.cadence_spm == pytest.approx(cadence["value"], abs=0.5)


def test_real_clip_view_and_contact_time(analysed: tuple[GaitEngine, dict[str, object]]) -> None:
    engine, truth = analysed
    assert engine.view_ is View.SIDE
    bands = truth["physiological_bands"]
    assert isinstance(bands, dict)
    low_ms, high_ms = bands["contact_time_ms"]
    for side in ("left", "right"):
        assert engine.summary_.n_stances[side] >= 14
        assert low_ms / 1000 <= engine.summary_.value("contact_time_s", side) <= high_ms / 1000
