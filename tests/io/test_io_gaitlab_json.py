from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glutemed.io import InputFileError, read_keypoints
from glutemed.io.gaitlab_json import read_gaitlab_json


@pytest.fixture
def pose_file(data_dir: Path) -> Path:
    return data_dir / "video" / "male_side_treadmill" / "male_side.pose.json"


def test_reads_real_rtmpose_file(pose_file: Path) -> None:
    s = read_gaitlab_json(pose_file)
    assert s.n_frames == 360
    assert s.fps_hz == pytest.approx(30.0, rel=1e-3)
    assert s.units == "pixel"
    assert s.meta["model"] == "rtmpose-halpe26"
    assert s.meta["view"] == "side-left"
    assert set(s.names) >= {"left_hip", "right_hip", "left_heel", "right_toe", "left_knee", "nose"}
    assert np.all((s.confidence >= 0) & (s.confidence <= 1))
    assert float(s.meta["max_raw_score"]) > 1.0  # RTMPose overshoots; clipped but recorded
    # image y down: heels below hips
    assert np.nanmedian(s.xyz("left_heel")[:, 1]) > np.nanmedian(s.xyz("left_hip")[:, 1])
    assert read_keypoints(pose_file).names == s.names


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "pose.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_zero_frames_become_missing(tmp_path: Path) -> None:
    frame = [[10.0, 20.0, 0.9], [12.0, 22.0, 0.8]]
    doc = {
        "schema": "gaitlab.pose/v1",
        "fps": 30,
        "keypoint_names": ["l_hip", "neck"],
        "frames": [frame, [[0, 0, 0]] * 2, frame],
    }
    s = read_gaitlab_json(_write(tmp_path, doc))
    assert s.names == ("left_hip",)
    assert np.isnan(s.positions[1]).all()
    assert s.confidence[1, 0] == 0.0
    assert s.meta["ignored_keypoints"] == "neck"


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"schema": "other"}, "not a GaitLab pose file"),
        (
            {"schema": "gaitlab.pose/v1", "fps": 30, "keypoint_names": ["foo", "bar"], "frames": []},
            "no keypoint name maps",
        ),
        (
            {"schema": "gaitlab.pose/v1", "fps": 30, "keypoint_names": ["l_hip"], "frames": [[[1, 2, 1]]]},
            "at least 2 frames",
        ),
        (
            {"schema": "gaitlab.pose/v1", "fps": 0, "keypoint_names": ["l_hip"], "frames": [[[1, 2, 1]]] * 3},
            "'fps' must be",
        ),
        (
            {
                "schema": "gaitlab.pose/v1",
                "fps": 30,
                "keypoint_names": ["l_hip"],
                "frames": [[[1, 2, 1]], [[1]]],
            },
            "frame 1 has shape",
        ),
    ],
)
def test_broken_documents(tmp_path: Path, doc: object, message: str) -> None:
    with pytest.raises(InputFileError, match=message) as err:
        read_gaitlab_json(_write(tmp_path, doc))
    assert "pose.json" in str(err.value)


def test_empty_and_truncated(tmp_path: Path, pose_file: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"empty\.json: file is empty"):
        read_gaitlab_json(empty)
    cut = tmp_path / "cut.json"
    cut.write_text(pose_file.read_text(encoding="utf-8")[:5000], encoding="utf-8")
    with pytest.raises(InputFileError, match=r"cut\.json: not valid JSON"):
        read_gaitlab_json(cut)
