"""Read an OpenPose BODY_25 output folder (one ``*_keypoints.json`` per frame).

Each file holds ``people``, each with ``pose_keypoints_2d`` = 25 x (x, y, confidence) in pixels (y down);
an undetected keypoint is (0, 0, 0). OpenPose files carry no time, so the caller gives the video's frame rate.
When several people are detected in a frame, the one with the largest keypoint bounding box is taken (the
runner nearest the camera); ``meta["frames_with_several_people"]`` counts how often that choice was made.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glutemed.core.series import KeypointSeries, SeriesError
from glutemed.io._common import load_json, map_names, ordered
from glutemed.io.errors import InputFileError

BODY_25: tuple[str, ...] = (
    "Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
    "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
    "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel",
)  # fmt: skip

FloatArray = NDArray[np.float64]


def _person_array(path: Path, person: Any) -> FloatArray:
    flat = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
    if not isinstance(flat, list) or len(flat) != 3 * len(BODY_25):
        size = len(flat) if isinstance(flat, list) else "no"
        raise InputFileError(path, f"pose_keypoints_2d has {size} values, BODY_25 needs {3 * len(BODY_25)}")
    try:
        return np.asarray(flat, dtype=np.float64).reshape(len(BODY_25), 3)
    except (TypeError, ValueError):
        raise InputFileError(path, "pose_keypoints_2d holds values that are not numbers") from None


def _bbox_area(kp: FloatArray) -> float:
    seen = kp[kp[:, 2] > 0]
    if seen.shape[0] < 2:
        return 0.0
    span = seen[:, :2].max(axis=0) - seen[:, :2].min(axis=0)
    return float(span[0] * span[1])


def _largest_person(path: Path, doc: Any) -> tuple[FloatArray | None, int]:
    if not isinstance(doc, dict) or not isinstance(doc.get("people"), list):
        raise InputFileError(path, "not an OpenPose keypoint file (no 'people' list)")
    people = [_person_array(path, p) for p in doc["people"]]
    if not people:
        return None, 0
    return max(people, key=_bbox_area), len(people)


def read_openpose_folder(folder: str | Path, *, fps_hz: float) -> KeypointSeries:
    """Read every ``*_keypoints.json`` in ``folder`` (sorted by name) as one frame each."""
    folder = Path(folder)
    if not math.isfinite(fps_hz) or fps_hz <= 0:
        raise InputFileError(folder, f"OpenPose output has no timing; give fps_hz > 0 (got {fps_hz})")
    if not folder.is_dir():
        raise InputFileError(folder, "OpenPose input must be a folder of *_keypoints.json files")
    files = sorted(p for p in folder.glob("*_keypoints.json") if p.is_file())
    if len(files) < 2:
        raise InputFileError(
            folder, f"found {len(files)} *_keypoints.json files; at least 2 frames are needed"
        )
    data = np.zeros((len(files), len(BODY_25), 3))
    several = empty = 0
    for i, file in enumerate(files):
        person, count = _largest_person(file, load_json(file, "OpenPose keypoint file", kind="openpose"))
        several += count > 1
        if person is None:
            empty += 1
        else:
            data[i] = person
    if empty == len(files):
        raise InputFileError(folder, "no person detected in any frame")
    mapping, unmapped = map_names(list(BODY_25))
    names = ordered(mapping)
    cols = [mapping[n] for n in names]
    conf = np.clip(data[:, cols, 2], 0.0, 1.0)
    xy = data[:, cols, :2].copy()
    xy[conf <= 0] = np.nan
    meta = {
        "format": "openpose-body25",
        "person_selection": "largest keypoint bounding box in each frame",
        "frames_with_several_people": str(several),
        "frames_without_person": str(empty),
        "ignored_keypoints": ",".join(unmapped),
    }
    times_s = np.arange(len(files)) / fps_hz
    try:
        return KeypointSeries(times_s, xy, conf, names, "pixel", str(folder), meta)
    except SeriesError as exc:
        raise InputFileError(folder, str(exc).split(": ", 1)[-1]) from None
