"""Read GaitLab pose JSON (schema ``gaitlab.pose/v1``).

The file holds ``fps``, ``width``, ``height``, ``view`` (side-left, side-right, rear, front), ``source`` (the
pose model), ``keypoint_names`` (``l_hip``, ``r_big_toe``, ...), ``frames`` (per frame, per keypoint
``[x, y, confidence]`` in pixels, y down) and optionally ``timestamps`` in seconds. Timestamps that are only a
rounded constant-rate grid are replaced by that grid. A frame without a detection
is written as zeros; those samples become NaN with confidence 0. RTMPose scores can exceed 1 slightly; they are
clipped to 1 and the largest raw score is kept in ``meta["max_raw_score"]``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np
from numpy.typing import NDArray

from glutemed.core.series import KeypointSeries, SeriesError
from glutemed.io._common import load_json, map_names, ordered
from glutemed.io.errors import InputFileError
from glutemed.io.safe_read import short

SCHEMA = "gaitlab.pose/v1"
# GaitLab rounds timestamps to 0.1 ms; stamps within this of a constant-rate grid are put back on the grid,
# otherwise the rounding biases the frame rate (30.03 instead of 30 fps) and every duration with it.
SNAP_TOLERANCE_S = 2e-4

FloatArray = NDArray[np.float64]


def _frames_array(path: Path, frames: Any, n_kp: int) -> FloatArray:
    if not isinstance(frames, list) or len(frames) < 2:
        raise InputFileError(path, "'frames' must be a list of at least 2 frames")
    out = np.zeros((len(frames), n_kp, 3))
    for i, frame in enumerate(frames):
        if frame is None or frame == []:
            continue  # no detection: stays zero -> NaN below
        try:
            arr = np.asarray(frame, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputFileError(path, f"frame {i} is not a list of [x, y, confidence] numbers") from None
        if arr.ndim != 2 or arr.shape[0] != n_kp or arr.shape[1] < 2:
            raise InputFileError(path, f"frame {i} has shape {arr.shape}, expected ({n_kp}, 3)")
        out[i, :, : min(3, arr.shape[1])] = arr[:, :3]
        if arr.shape[1] == 2:
            out[i, :, 2] = 1.0
    if not np.all(np.isfinite(out)):
        raise InputFileError(path, "frames contain non-finite numbers")
    return out


def _is_number(value: Any) -> TypeGuard[float]:
    """A JSON number; ``true``/``false`` are not numbers (Python would read ``true`` as 1 fps)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def _times(path: Path, doc: dict[str, Any], n_frames: int) -> FloatArray:
    stamps = doc.get("timestamps")
    if stamps is not None:
        if not isinstance(stamps, list) or len(stamps) != n_frames:
            raise InputFileError(path, f"'timestamps' must list one time per frame ({n_frames})")
        if not all(_is_number(t) for t in stamps):
            bad = next(t for t in stamps if not _is_number(t))
            raise InputFileError(path, f"'timestamps' must hold numbers of seconds, found {short(bad)}")
        times = np.asarray(stamps, dtype=np.float64)
        if not np.all(np.isfinite(times)):
            raise InputFileError(path, "'timestamps' hold non-finite numbers")
        fps = doc.get("fps")
        if _is_number(fps) and math.isfinite(fps) and fps > 0 and n_frames > 1:
            regular: FloatArray = times[0] + np.arange(n_frames, dtype=np.float64) / float(fps)
            if np.max(np.abs(times - regular)) <= SNAP_TOLERANCE_S:
                return regular  # constant rate, stamps only rounded: keep the exact rate
        return times
    fps = doc.get("fps")
    if not _is_number(fps) or not math.isfinite(fps) or fps <= 0:
        raise InputFileError(
            path, f"'fps' must be a positive number when there are no timestamps, got {short(fps)}"
        )
    return np.asarray(np.arange(n_frames) / float(fps), dtype=np.float64)


def read_gaitlab_json(path: str | Path) -> KeypointSeries:
    """Read a GaitLab pose file into canonical pixel keypoints with the model's confidence."""
    path = Path(path)
    doc = load_json(path, "GaitLab pose JSON")
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InputFileError(path, f"not a GaitLab pose file (schema {short(found)}, expected {SCHEMA!r})")
    raw_names = doc.get("keypoint_names")
    if not isinstance(raw_names, list) or not all(isinstance(n, str) for n in raw_names):
        raise InputFileError(path, "'keypoint_names' must be a list of strings")
    mapping, unmapped = map_names(raw_names)
    if not mapping:
        found = ", ".join(short(n, 30) for n in raw_names[:8])
        raise InputFileError(path, f"no keypoint name maps to a known keypoint (found {found})")
    data = _frames_array(path, doc.get("frames"), len(raw_names))
    names = ordered(mapping)
    cols = [mapping[n] for n in names]
    xy = data[:, cols, :2].copy()
    raw_conf = data[:, cols, 2]
    missing = (raw_conf <= 0) | np.all(xy == 0, axis=2)
    xy[missing] = np.nan
    conf = np.where(missing, 0.0, np.clip(raw_conf, 0.0, 1.0))
    meta = {
        "format": SCHEMA,
        "model": str(doc.get("source", "unknown")),
        "view": str(doc.get("view", "")),
        "width_px": str(doc.get("width", "")),
        "height_px": str(doc.get("height", "")),
        "max_raw_score": f"{float(np.max(raw_conf)):.3f}",
        "ignored_keypoints": ",".join(unmapped),
    }
    try:
        series = KeypointSeries(_times(path, doc, data.shape[0]), xy, conf, names, "pixel", str(path), meta)
    except SeriesError as exc:
        raise InputFileError(path, str(exc).split(": ", 1)[-1]) from None
    return series
