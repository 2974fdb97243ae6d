"""Shared helpers of the readers: keypoint-name mapping and careful JSON loading.

Name mapping: the keypoint and marker names used by pose tools map onto the canonical KEYPOINTS.

Sports2D and HALPE write ``RHip``/``LBigToe``, OpenPose BODY_25 writes ``RHip``/``LBigToe`` too, GaitLab writes
``r_hip``/``l_big_toe``, OpenSim marker sets often write ``R.Hip`` or ``right_hip``. Matching ignores case and
separators, takes a left/right prefix (``l``, ``r``, ``left``, ``right``) and looks the rest up in a small table.
Names that match nothing (``Neck``, ``LEar``, ``LSmallToe``) are ignored by the readers and listed in the
series meta, so no information silently changes meaning.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from glutemed.core.series import KEYPOINTS
from glutemed.io.safe_read import read_json

_PART = {
    "hip": "hip",
    "hjc": "hip",
    "hipjointcentre": "hip",
    "hipjointcenter": "hip",
    "knee": "knee",
    "kjc": "knee",
    "ankle": "ankle",
    "ajc": "ankle",
    "heel": "heel",
    "calc": "heel",
    "bigtoe": "toe",
    "toe": "toe",
    "shoulder": "shoulder",
}


def canonical_name(raw: str) -> str | None:
    """Canonical keypoint name for a tool's keypoint name, or None when it has no canonical counterpart."""
    key = re.sub(r"[^a-z0-9]", "", raw.lower())
    if key == "nose":
        return "nose"
    for prefix, side in (("left", "left"), ("right", "right"), ("l", "left"), ("r", "right")):
        if key.startswith(prefix) and key[len(prefix) :] in _PART:
            name = f"{side}_{_PART[key[len(prefix) :]]}"
            return name if name in KEYPOINTS else None
    return None


def map_names(raw_names: list[str]) -> tuple[dict[str, int], list[str]]:
    """Return {canonical name: column index} (first occurrence wins) and the raw names left unmapped."""
    mapping: dict[str, int] = {}
    unmapped: list[str] = []
    for i, raw in enumerate(raw_names):
        name = canonical_name(raw)
        if name is None:
            unmapped.append(raw)
        elif name not in mapping:
            mapping[name] = i
    return mapping, unmapped


def ordered(mapping: dict[str, int]) -> tuple[str, ...]:
    """Canonical names present in ``mapping``, in the order of KEYPOINTS."""
    return tuple(k for k in KEYPOINTS if k in mapping)


def load_json(path: Path, what: str, kind: str = "keypoints") -> Any:
    """Parse a JSON file with the guards of :mod:`glutemed.io.safe_read`; failures name the file."""
    return read_json(path, kind, what)
