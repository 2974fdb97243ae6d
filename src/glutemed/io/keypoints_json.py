"""The project's own keypoint file, schema ``glutemed.keypoints/v1``.

One JSON object:

- ``schema``: ``"glutemed.keypoints/v1"``.
- ``source``: free text naming where the keypoints came from (a file, a pose model, a virtual camera).
- ``origin_sha256``: SHA-256 hex digest of the file the keypoints were made from, or ``null``.
- ``units``: ``"pixel"`` (2-D image, x right, y DOWN), ``"m"`` or ``"mm"`` (3-D lab frame, z UP) or
  ``"normalized"``.
- ``names``: keypoint names, canonical (``left_hip``, ``right_heel``, ...), in column order.
- ``times_s``: one timestamp per frame in seconds, strictly increasing (variable frame rate is kept).
- ``positions``: per frame, per keypoint, a list of 2 or 3 coordinates; ``null`` marks a missing coordinate.
- ``confidence``: per frame, per keypoint, a number in 0..1 (1 for motion capture).
- ``meta``: an object of string values (view, model, notes).

Numbers are written with Python's shortest round-trip representation, so write then read gives back
exactly the same arrays. Writing is atomic (a temporary file renamed into place).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glutemed.core.series import KEYPOINTS, KeypointSeries, SeriesError
from glutemed.io._common import load_json
from glutemed.io.atomic import atomic_write_text
from glutemed.io.errors import InputFileError
from glutemed.io.safe_read import short

SCHEMA = "glutemed.keypoints/v1"
_UNITS = ("pixel", "m", "mm", "normalized")

FloatArray = NDArray[np.float64]


def _num(v: float) -> float | None:
    return float(v) if math.isfinite(v) else None


def to_document(series: KeypointSeries, *, origin_sha256: str | None = None) -> dict[str, Any]:
    """The JSON-ready document for ``series``."""
    return {
        "schema": SCHEMA,
        "source": series.source,
        "origin_sha256": origin_sha256,
        "units": series.units,
        "names": list(series.names),
        "times_s": [float(t) for t in series.times_s],
        "positions": [[[_num(v) for v in kp] for kp in frame] for frame in series.positions],
        "confidence": [[float(c) for c in frame] for frame in series.confidence],
        "meta": dict(series.meta),
    }


def write_keypoints_json(
    series: KeypointSeries, path: str | Path, *, origin_sha256: str | None = None
) -> Path:
    """Write ``series`` to ``path`` in the ``glutemed.keypoints/v1`` format."""
    path = Path(path)
    return atomic_write_text(path, json.dumps(to_document(series, origin_sha256=origin_sha256)))


def _array(path: Path, doc: dict[str, Any], key: str) -> FloatArray:
    try:
        arr = np.array(doc[key], dtype=np.float64)  # null -> nan
    except KeyError:
        raise InputFileError(path, f"missing field {key!r}") from None
    except (TypeError, ValueError):
        raise InputFileError(path, f"field {key!r} is ragged or holds non-numbers") from None
    return arr


def read_keypoints_json(path: str | Path) -> KeypointSeries:
    """Read a ``glutemed.keypoints/v1`` file."""
    path = Path(path)
    doc = load_json(path, "glutemed keypoint file")
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        found = doc.get("schema") if isinstance(doc, dict) else type(doc).__name__
        raise InputFileError(
            path, f"not a glutemed keypoint file (schema {short(found)}, expected {SCHEMA!r})"
        )
    names = doc.get("names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise InputFileError(path, "'names' must be a non-empty list of strings")
    unknown = [n for n in names if n not in KEYPOINTS]
    if unknown:
        listed = ", ".join(short(n, 30) for n in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        raise InputFileError(path, f"unknown keypoint names {listed}; expected names from {KEYPOINTS}")
    units = doc.get("units")
    if units not in _UNITS:
        raise InputFileError(path, f"'units' must be one of {_UNITS}, got {short(units)}")
    meta = doc.get("meta") or {}
    if not isinstance(meta, dict):
        raise InputFileError(path, "'meta' must be an object")
    meta = {str(k): str(v) for k, v in meta.items()}
    if doc.get("origin_sha256"):
        meta["origin_sha256"] = str(doc["origin_sha256"])
    try:
        return KeypointSeries(
            _array(path, doc, "times_s"),
            _array(path, doc, "positions"),
            _array(path, doc, "confidence"),
            tuple(names),
            units,
            str(doc.get("source", "")),
            meta,
        )
    except SeriesError as exc:
        raise InputFileError(path, str(exc).split(": ", 1)[-1]) from None
