"""File formats in and out: keypoint tracks (TRC, GaitLab JSON, OpenPose, own JSON) and motion capture (C3D)."""

from __future__ import annotations

from pathlib import Path

from glutemed.core.series import KeypointSeries
from glutemed.io.errors import InputFileError
from glutemed.io.gaitlab_json import read_gaitlab_json
from glutemed.io.keypoints_json import read_keypoints_json, write_keypoints_json
from glutemed.io.openpose import read_openpose_folder
from glutemed.io.safe_read import check_regular, short
from glutemed.io.trc import read_trc, write_trc

__all__ = [
    "InputFileError",
    "read_gaitlab_json",
    "read_keypoints",
    "read_keypoints_json",
    "read_openpose_folder",
    "read_trc",
    "write_keypoints_json",
    "write_trc",
]


def read_keypoints(path: str | Path, *, fps_hz: float | None = None) -> KeypointSeries:
    """Read any supported keypoint file, chosen by its extension or (for JSON) its ``schema`` field.

    A folder is read as OpenPose output and needs ``fps_hz``. C3D needs a static trial as well, so it is read
    with :func:`glutemed.io.c3d_mocap.load_mocap` instead.
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "no such file or folder")
    if path.is_dir():
        if fps_hz is None:
            raise InputFileError(
                path, "an OpenPose folder carries no frame rate; give it with --fps (fps_hz in Python)"
            )
        return read_openpose_folder(path, fps_hz=fps_hz)
    check_regular(path, "keypoint file")  # a device or FIFO is refused before it is opened
    suffix = path.suffix.lower()
    if suffix == ".trc":
        return read_trc(path)
    if suffix == ".json":
        with path.open("rb") as handle:  # only the head; the reader checks the size itself
            head = handle.read(4096).decode("utf-8", errors="replace")
        if "gaitlab.pose/v1" in head:
            return read_gaitlab_json(path)
        return read_keypoints_json(path)
    if suffix == ".c3d":
        raise InputFileError(
            path, "read C3D with glutemed.io.c3d_mocap.load_mocap (it needs the static trial)"
        )
    raise InputFileError(
        path, f"unknown keypoint file type {short(suffix)} (expected .trc, .json or a folder)"
    )
