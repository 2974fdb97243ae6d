"""Camera study, part 3: the error statistics and the camera settings they are grouped by (split out of
``validation/camera_study.py``, the entry point)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from validation.study_scoring import (
    ErrorRow,
    Recording,
)
from validation.study_setup import (
    CameraDraw,
    FloatArray,
)


@dataclass(frozen=True)
class ErrorStats:
    n: int
    median_abs: float
    p90_abs: float
    worst_abs: float
    median_signed: float


def error_stats(errors: Sequence[float] | FloatArray) -> ErrorStats:
    """Median, 90th percentile and largest of the absolute errors, and the signed median (finite values)."""
    arr = np.asarray(errors, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        nan = float("nan")
        return ErrorStats(0, nan, nan, nan, nan)
    mag = np.abs(arr)
    return ErrorStats(
        int(arr.size),
        float(np.median(mag)),
        float(np.percentile(mag, 90)),
        float(np.max(mag)),
        float(np.median(arr)),
    )


def share_explained(values: Sequence[float] | FloatArray, groups: Sequence[str]) -> float:
    """Share (0-1) of the spread of ``values`` that lies between the groups' means (eta squared)."""
    arr = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(arr)
    arr = arr[keep]
    labels = [g for g, k in zip(groups, keep, strict=True) if k]
    total = float(np.sum((arr - arr.mean()) ** 2)) if arr.size else 0.0
    if total <= 0:
        return 0.0
    between = 0.0
    for g in set(labels):
        part = arr[[lab == g for lab in labels]]
        between += part.size * float((part.mean() - arr.mean()) ** 2)
    return between / total


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"


def _bin(value: float, edges: Sequence[float], unit: str) -> str:
    """The label of the bin holding ``value``: lower edge included, upper excluded (the last one included)."""
    pairs = list(itertools.pairwise(edges))
    for i, (lo, hi) in enumerate(pairs):
        if lo <= value < hi or (i == len(pairs) - 1 and value == hi):
            return f"{lo:g}+ {unit}" if math.isinf(hi) else f"{lo:g}-{hi:g} {unit}"
    return f"outside {edges[0]:g}-{edges[-1]:g} {unit}"


def camera_settings(rec_cam: CameraDraw, leg_px: float) -> dict[str, str]:
    """Each camera setting of a recording, binned, for the grouped tables."""
    return {
        "placement": rec_cam.placement,
        "off-axis angle": _bin(abs(rec_cam.off_axis_deg), [0, 5, 10, 15, 20, 25], "deg"),
        "distance": _bin(rec_cam.distance_m, [2.5, 4, 5.5, 7, 8], "m"),
        "height": _bin(rec_cam.height_m, [0.4, 0.7, 1.0, 1.3, 1.6], "m"),
        "aiming roll": _bin(abs(rec_cam.roll_deg), [0, 2.5, 5], "deg"),
        "aiming pitch/yaw": _bin(max(abs(rec_cam.pitch_deg), abs(rec_cam.yaw_deg)), [0, 2.5, 5], "deg"),
        "frame rate": f"{rec_cam.fps_hz:g} fps",
        "pixel noise": _bin(rec_cam.noise_px, [0, 1, 2, 3], "px"),
        "dropped frames": _bin(100 * rec_cam.drop_fraction, [0, 3, 6, 10], "%"),
        "runner on screen": _bin(leg_px, [0, 200, 300, 400, 600, math.inf], "px"),
        "orientation": "portrait" if rec_cam.portrait else "landscape",
    }


FACTORS = (
    "placement", "off-axis angle", "distance", "height", "aiming roll", "aiming pitch/yaw", "frame rate",
    "pixel noise", "dropped frames", "runner on screen", "orientation",
)  # fmt: skip


def _settings_of(recordings: Sequence[Recording]) -> dict[tuple[str, int], dict[str, str]]:
    return {(r.trial.name, r.cam.camera_id): camera_settings(r.cam, r.leg_px) for r in recordings}


def _group_of(e: ErrorRow, factor: str, settings: dict[tuple[str, int], dict[str, str]]) -> str:
    return e.trial if factor == "runner" else settings[(e.trial, e.camera_id)][factor]


MIN_GROUP = 10  # values per group for a setting to be ranked


@dataclass(frozen=True)
class Ranked:
    factor: str
    share: float  # of the spread of the absolute errors, between the factor's groups
    best: str
    best_p90: float
    worst: str
    worst_p90: float


def rank_settings(rows: Sequence[ErrorRow], settings: dict[tuple[str, int], dict[str, str]]) -> list[Ranked]:
    """Settings (and the runner) by the share of the absolute errors' spread they explain, each with its
    best and worst group by the group's 90th percentile. Groups of fewer than ``MIN_GROUP`` values are left out."""
    finite = [e for e in rows if math.isfinite(e.error)]
    ranked = []
    for factor in (*FACTORS, "runner"):
        labels = [_group_of(e, factor, settings) for e in finite]
        big = {
            g for g in labels if labels.count(g) >= MIN_GROUP
        }  # a handful of values would inflate the share
        if len(big) < 2:
            continue
        groups = [g for g in labels if g in big]
        mags = np.abs([e.error for e, g in zip(finite, labels, strict=True) if g in big])
        p90s = {g: float(np.percentile(mags[[x == g for x in groups]], 90)) for g in sorted(set(groups))}
        best, worst = min(p90s, key=p90s.__getitem__), max(p90s, key=p90s.__getitem__)
        ranked.append(Ranked(factor, share_explained(mags, groups), best, p90s[best], worst, p90s[worst]))
    ranked.sort(key=lambda r: -r.share)
    return ranked
