from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glutemed.io import InputFileError, read_keypoints
from glutemed.io.openpose import BODY_25, read_openpose_folder


def _person(scale: float, offset: float = 0.0) -> dict[str, list[float]]:
    flat: list[float] = []
    for i in range(len(BODY_25)):
        flat += [offset + scale * (i % 5), offset + scale * i, 0.8]
    return {"pose_keypoints_2d": flat}


def _folder(tmp_path: Path, frames: list[list[dict[str, list[float]]]]) -> Path:
    folder = tmp_path / "op"
    folder.mkdir()
    for i, people in enumerate(frames):
        (folder / f"clip_{i:012d}_keypoints.json").write_text(
            json.dumps({"version": 1.3, "people": people}), "utf-8"
        )
    return folder


def test_largest_person_is_chosen(tmp_path: Path) -> None:
    folder = _folder(tmp_path, [[_person(1.0), _person(10.0, 5.0)], [_person(10.0, 5.0)], []])
    s = read_openpose_folder(folder, fps_hz=50.0)
    assert s.n_frames == 3
    assert s.fps_hz == pytest.approx(50.0)
    assert s.meta["frames_with_several_people"] == "1"
    assert s.meta["frames_without_person"] == "1"
    r_hip = BODY_25.index("RHip")
    assert s.xyz("right_hip")[0, 1] == 5.0 + 10.0 * r_hip
    assert np.isnan(s.xyz("right_hip")[2]).all()
    assert set(s.names) >= {"left_heel", "right_toe", "left_ankle"}
    assert read_keypoints(folder, fps_hz=50.0).names == s.names


def test_needs_fps_and_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path, [[_person(1.0)], [_person(1.0)]])
    with pytest.raises(InputFileError, match="give fps_hz"):
        read_openpose_folder(folder, fps_hz=0.0)
    with pytest.raises(InputFileError, match="give it with --fps"):
        read_keypoints(folder)
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(InputFileError, match="found 0"):
        read_openpose_folder(empty, fps_hz=30.0)


def test_broken_frame_names_the_frame_file(tmp_path: Path) -> None:
    folder = _folder(tmp_path, [[_person(1.0)], [_person(1.0)]])
    bad = folder / "clip_000000000001_keypoints.json"
    bad.write_text('{"people": [{"pose_keypoints_2d": [1, 2', encoding="utf-8")
    with pytest.raises(InputFileError, match="not valid JSON") as err:
        read_openpose_folder(folder, fps_hz=30.0)
    assert str(bad) in str(err.value)
    bad.write_text(json.dumps({"people": [{"pose_keypoints_2d": [1.0] * 54}]}), encoding="utf-8")
    with pytest.raises(InputFileError, match="BODY_25 needs 75"):
        read_openpose_folder(folder, fps_hz=30.0)
    bad.write_text(json.dumps({"persons": []}), encoding="utf-8")
    with pytest.raises(InputFileError, match="not an OpenPose keypoint file"):
        read_openpose_folder(folder, fps_hz=30.0)
