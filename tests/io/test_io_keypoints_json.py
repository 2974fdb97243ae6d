from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from glutemed.core.series import KeypointSeries
from glutemed.io import InputFileError, read_keypoints
from glutemed.io.keypoints_json import SCHEMA, read_keypoints_json, write_keypoints_json


def _series() -> KeypointSeries:
    rng = np.random.default_rng(7)
    pos = rng.normal(500.0, 80.0, size=(12, 3, 2))
    pos[4, 2] = np.nan
    conf = rng.uniform(0, 1, size=(12, 3))
    times = np.cumsum(rng.uniform(0.015, 0.02, size=12))  # variable frame rate
    return KeypointSeries(
        times, pos, conf, ("left_hip", "right_hip", "left_heel"), "pixel", "cam.mp4", {"view": "rear"}
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    s = _series()
    path = write_keypoints_json(s, tmp_path / "k.json", origin_sha256="ab" * 32)
    back = read_keypoints_json(path)
    np.testing.assert_array_equal(back.positions, s.positions)
    np.testing.assert_array_equal(back.confidence, s.confidence)
    np.testing.assert_array_equal(back.times_s, s.times_s)
    assert (back.names, back.units, back.source) == (s.names, s.units, s.source)
    assert back.meta["view"] == "rear"
    assert back.meta["origin_sha256"] == "ab" * 32
    assert read_keypoints(path).names == s.names
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == SCHEMA
    assert doc["positions"][4][2] == [None, None]
    assert not (tmp_path / "k.json.part").exists()


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="x"), "not a glutemed keypoint file"),
        (lambda d: d.update(names=["left_hip", "right_hip", "elbow"]), "unknown keypoint names"),
        (lambda d: d.update(units="inch"), "'units' must be one of"),
        (lambda d: d["positions"][3].pop(), "ragged"),
        (lambda d: d.pop("confidence"), "missing field 'confidence'"),
        (lambda d: d["times_s"].reverse(), "strictly increasing"),
    ],
)
def test_broken_documents(tmp_path: Path, mutate: object, message: str) -> None:
    doc = json.loads(write_keypoints_json(_series(), tmp_path / "k.json").read_text(encoding="utf-8"))
    mutate(doc)  # type: ignore[operator]
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputFileError, match=message) as err:
        read_keypoints_json(path)
    assert "broken.json" in str(err.value)


def test_empty_truncated_and_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    text = write_keypoints_json(_series(), path).read_text(encoding="utf-8")
    path.write_text(text[:100], encoding="utf-8")
    with pytest.raises(InputFileError, match="not valid JSON"):
        read_keypoints_json(path)
    path.write_text("  ", encoding="utf-8")
    with pytest.raises(InputFileError, match="file is empty"):
        read_keypoints_json(path)
    other = tmp_path / "k.csv"
    other.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="unknown keypoint file type"):
        read_keypoints(other)
