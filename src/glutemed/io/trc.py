"""Read and write TRC marker files (Motion Analysis format, as OpenSim, Pose2Sim and Sports2D use it).

Layout: three header lines (``PathFileType``; the ``DataRate ... Units ...`` keys; their values), a line with
``Frame#``, ``Time`` and one name per marker (each followed by empty cells), a line with ``X1 Y1 Z1 ...``, then
tab-separated rows (an empty line may come first). Empty cells are missing samples.

Read conventions:
- 3-D files (``m`` or ``mm``) keep their axes; pass ``vertical_axis="y"`` for OpenSim files (Y up) to rotate
  them into the project's z-up frame (x forward, y left).
- 2-D pixel files (units ``px``/``pixel``, Z column all zero, as Sports2D writes them): y is made to point DOWN
  the image. Sports2D stores y pointing up (negated pixels); a file whose y values are all negative is flipped
  back, and the flip is recorded in ``meta["y_flipped"]``.
- Marker names map to canonical KEYPOINTS case-insensitively (``RHip``, ``r_hip``, ``R.Hip`` -> right_hip);
  unmapped names are listed in ``meta["ignored_markers"]``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from glutemed.core.series import KeypointSeries, SeriesError, Units
from glutemed.io._common import map_names, ordered
from glutemed.io.atomic import atomic_write_text
from glutemed.io.errors import InputFileError
from glutemed.io.safe_read import read_text, short

_PIXEL_UNITS = {"px", "pixel", "pixels"}
_METRIC_UNITS = {"m": "m", "mm": "mm", "meters": "m", "millimeters": "mm"}
# OpenSim/TRC frame (x forward, y up, z right) -> project frame (x forward, y left, z up).
_Y_UP_TO_Z_UP = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])

FloatArray = NDArray[np.float64]


def _parse_header(path: Path, lines: list[str]) -> tuple[float, str, list[str], int | None]:
    if len(lines) < 5:
        raise InputFileError(path, f"TRC header needs 5 lines, file has {len(lines)}")
    if not lines[0].startswith("PathFileType"):
        raise InputFileError(path, "not a TRC file (first line does not start with 'PathFileType')")
    keys = lines[1].split("\t")
    values = lines[2].split("\t")
    header = {k.strip(): v.strip() for k, v in zip(keys, values, strict=False)}
    try:
        rate_hz = float(header.get("DataRate") or header["CameraRate"])
    except (KeyError, ValueError):
        raise InputFileError(path, "TRC header has no readable DataRate") from None
    if not math.isfinite(rate_hz) or rate_hz <= 0:
        raise InputFileError(path, f"TRC DataRate must be > 0, got {rate_hz}")
    units = header.get("Units", "").lower()
    names = [c.strip() for c in lines[3].split("\t")[2:] if c.strip()]
    if not names:
        raise InputFileError(path, "TRC marker-name line (line 4) lists no markers")
    try:
        n_frames: int | None = int(header["NumFrames"])
    except (KeyError, ValueError):
        n_frames = None
    return rate_hz, units, names, n_frames


def _parse_rows(
    path: Path, lines: list[str], n_markers: int, n_frames: int | None
) -> tuple[FloatArray, FloatArray]:
    rows = [ln for ln in lines[5:] if ln.strip()]
    if n_frames is not None and len(rows) < n_frames:
        raise InputFileError(path, f"header promises {n_frames} frames, file holds {len(rows)} (truncated?)")
    if len(rows) < 2:
        raise InputFileError(path, f"TRC file holds {len(rows)} data rows; at least 2 frames are needed")
    n_cols = 2 + 3 * n_markers
    if len(rows) * n_cols > sum(len(row) + 1 for row in rows) + 4 * n_cols:
        # Every cell takes at least its tab: a header naming more markers than the rows can hold would only
        # make a huge array of missing values.
        raise InputFileError(
            path, f"the header names {n_markers} markers but the data rows are far too short for them"
        )
    data = np.full((len(rows), n_cols), np.nan)
    for r, row in enumerate(rows):
        cells = row.rstrip("\r\n").split("\t")
        if len(cells) < 2 or len(cells) > n_cols + 1:
            raise InputFileError(path, f"data row {r + 1} has {len(cells)} columns, expected {n_cols}")
        for c, cell in enumerate(cells[:n_cols]):
            if cell.strip():
                try:
                    data[r, c] = float(cell)
                except ValueError:
                    raise InputFileError(
                        path, f"data row {r + 1}, column {c + 1}: {short(cell)} is not a number"
                    ) from None
    if np.any(np.isnan(data[:, 1])):
        raise InputFileError(path, "a data row has no time value (file truncated?)")
    if len(rows[-1].split("\t")) < n_cols:
        raise InputFileError(path, f"last data row has fewer than {n_cols} columns (file truncated?)")
    return data[:, 1], data[:, 2:].reshape(len(rows), n_markers, 3)


def _pixel_y_down(xyz: FloatArray, meta: dict[str, str]) -> FloatArray:
    xy = xyz[:, :, :2].copy()
    finite_y = xy[:, :, 1][np.isfinite(xy[:, :, 1])]
    if finite_y.size and np.all(finite_y <= 0):
        xy[:, :, 1] = -xy[:, :, 1]
        meta["y_flipped"] = "yes (file stored y up, as Sports2D does)"
    return xy


def read_trc(path: str | Path, *, vertical_axis: str = "auto") -> KeypointSeries:
    """Read a TRC file into a KeypointSeries of canonical keypoints.

    ``vertical_axis``: ``"z"`` (file already z up), ``"y"`` (OpenSim: y up; rotated to z up) or ``"auto"``
    (y up when the file's y spread exceeds its z spread, as for a standing or running person).
    """
    path = Path(path)
    text = read_text(path, "keypoints", "TRC file")
    if not text.strip():
        raise InputFileError(path, "file is empty")
    lines = text.splitlines()
    rate_hz, units_raw, raw_names, n_frames = _parse_header(path, lines)
    times_s, xyz = _parse_rows(path, lines, len(raw_names), n_frames)
    mapping, unmapped = map_names(raw_names)
    if not mapping:
        raise InputFileError(
            path,
            f"no marker name maps to a known keypoint (found {', '.join(short(n, 30) for n in raw_names[:8])}...)",
        )
    names = ordered(mapping)
    xyz = xyz[:, [mapping[n] for n in names], :]
    meta = {"format": "trc", "rate_hz": f"{rate_hz:g}", "ignored_markers": ",".join(unmapped)}
    z_all_zero = bool(np.all(np.nan_to_num(xyz[:, :, 2]) == 0.0))
    units: Units
    if units_raw in _PIXEL_UNITS or (z_all_zero and units_raw not in _METRIC_UNITS):
        units, positions = "pixel", _pixel_y_down(xyz, meta)
    elif units_raw in _METRIC_UNITS:
        units = "m" if _METRIC_UNITS[units_raw] == "m" else "mm"
        positions = _to_z_up(xyz, vertical_axis, meta) if not z_all_zero else _pixel_y_down(xyz, meta)
    else:
        raise InputFileError(path, f"TRC Units {short(units_raw)} not understood (use m, mm or px)")
    try:
        series = KeypointSeries.from_arrays(positions, names, times_s=times_s, units=units, source=str(path))
    except SeriesError as exc:
        raise InputFileError(path, str(exc).split(": ", 1)[-1]) from None
    return replace(series, meta=meta)


def _to_z_up(xyz: FloatArray, vertical_axis: str, meta: dict[str, str]) -> FloatArray:
    if vertical_axis == "auto":
        spread = np.nanmedian(np.nanmax(xyz, axis=1) - np.nanmin(xyz, axis=1), axis=0)
        vertical_axis = "y" if spread[1] > spread[2] else "z"
    meta["source_vertical_axis"] = vertical_axis
    if vertical_axis == "y":
        return np.asarray(xyz @ _Y_UP_TO_Z_UP.T)
    if vertical_axis == "z":
        return xyz
    raise ValueError(f"vertical_axis must be 'auto', 'y' or 'z', got {vertical_axis!r}")


def trc_text(series: KeypointSeries, *, file_name: str = "keypoints.trc", y_up: bool = True) -> str:
    """TRC text for ``series``; 3-D series leave in OpenSim's y-up frame when ``y_up`` (the default)."""
    pos = series.positions
    if series.dims == 2:
        pos = np.concatenate([pos, np.zeros((*pos.shape[:2], 1))], axis=2)
    elif y_up:
        pos = pos @ _Y_UP_TO_Z_UP  # inverse of the y-up -> z-up rotation
    units = "px" if series.units == "pixel" else series.units
    rate = f"{series.fps_hz:.6g}"
    n_f, n_k = series.n_frames, len(series.names)
    head = [
        f"PathFileType\t4\t(X/Y/Z)\t{file_name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames",
        f"{rate}\t{rate}\t{n_f}\t{n_k}\t{units}\t{rate}\t1\t{n_f}",
        "Frame#\tTime\t" + "\t\t\t".join(series.names) + "\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, n_k + 1)),
        "",
    ]
    body = []
    for f in range(n_f):
        cells = ["" if not math.isfinite(v) else repr(float(v)) for v in pos[f].ravel()]
        body.append(f"{f + 1}\t{series.times_s[f]!r}\t" + "\t".join(cells))
    return "\n".join(head + body) + "\n"


def write_trc(series: KeypointSeries, path: str | Path, *, y_up: bool = True) -> Path:
    """Write ``series`` as TRC for OpenSim (atomically: a temporary file renamed into place)."""
    path = Path(path)
    return atomic_write_text(path, trc_text(series, file_name=path.name, y_up=y_up))
