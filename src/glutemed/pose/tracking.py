"""Assemble per-frame poses into arrays and say how well one runner was followed.

MediaPipe's legacy Pose solution finds ONE person: it detects the most prominent person, then tracks that
person from frame to frame and only searches again when the track is lost. It cannot list several people.
glutemed therefore scans for people itself (:mod:`glutemed.pose.people`): with several in view it picks the
runner (the largest, steadiest person) and runs the pose model on a crop around them. What is still checked
here is whether the followed body suddenly moves or changes size between consecutive frames, which a runner
does not do and a switch to another person does (for instance when someone walks into the crop). Those frames
are flagged (``jump_frames``) so the result can say the clip needs a look.

The two thresholds below are engineering choices of this module, not published values: between two
consecutive frames the body centre (mean of hips and shoulders) may move at most one torso length, and the
torso length may change by at most a factor 1.5. A runner crossing the image at 5 m/s with a 0.5 m torso
moves about a third of a torso length per frame at 30 fps, well under the first limit.

Each leg is also checked on its own (:mod:`glutemed.pose.legs`): points that spike away for one frame and limbs
with an impossible length lose confidence, and the frames are listed per leg (``implausible``).

Frames with no person found keep NaN positions and confidence 0 (the gait engine treats them as gaps; the
runner leaving the frame shows up as such gaps). A clip with no person in any frame is refused with
:class:`NoPersonError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from glutemed.io.errors import InputFileError
from glutemed.pose.base import FloatArray, FramePose
from glutemed.pose.legs import SIDES, LegCheck, check_legs

MAX_CENTRE_JUMP_TORSO = 1.0
MAX_TORSO_SCALE_CHANGE = 1.5
TRACKING_NOTE = (
    "MediaPipe Pose (legacy) follows a single person; glutemed first scans sampled frames for people and, when "
    "several are seen, runs the pose on a crop around the largest, steadiest one (see people_note). Frames "
    "where the followed body jumps or changes size are flagged."
)
_TORSO = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")


class NoPersonError(InputFileError):
    """The pose model found nobody in any frame of the video."""


@dataclass(frozen=True)
class Track:
    """The assembled poses: positions (frames, keypoints, 2), confidence (frames, keypoints), and checks."""

    positions_px: FloatArray
    confidence: FloatArray
    detected: NDArray[np.bool_]
    jump_frames: tuple[int, ...]
    legs: LegCheck  # per leg: frames with a spiking point or an impossible thigh or shank

    @property
    def implausible(self) -> dict[str, tuple[int, ...]]:
        """Per leg ("left", "right"), the frames where something about it was implausible."""
        return {side: self.legs.implausible(side) for side in SIDES}

    @property
    def detected_fraction(self) -> float:
        return float(self.detected.mean()) if self.detected.size else 0.0

    @property
    def n_lost(self) -> int:
        """How many times the person was lost after having been found (each gap counts once)."""
        d = self.detected.astype(np.int8)
        return int(np.sum(np.diff(d) == -1))


def assemble(
    poses: Sequence[FramePose], names: tuple[str, ...], path: str | Path, times_s: FloatArray | None = None
) -> Track:
    """Stack per-frame poses and check the legs; raise :class:`NoPersonError` (naming ``path``) when nobody was
    ever found. ``times_s`` (one per pose) lets the leg checks weigh uneven frame timing."""
    if not poses:
        raise InputFileError(path, "no video frame could be decoded")
    detected = np.array([p.detected for p in poses], dtype=bool)
    if not detected.any():
        raise NoPersonError(
            path,
            f"no person found in any of its {len(poses)} frames; film the whole runner, head to feet, "
            "in good light",
        )
    positions = np.stack([p.positions_px for p in poses]).astype(np.float64)
    confidence = np.stack([p.confidence for p in poses]).astype(np.float64)
    positions[~detected] = np.nan
    confidence[~detected] = 0.0
    legs = check_legs(positions, confidence, names, times_s)
    jumps = find_jumps(positions, detected, names)
    return Track(legs.positions, legs.confidence, detected, jumps, legs)


def find_jumps(positions: FloatArray, detected: NDArray[np.bool_], names: tuple[str, ...]) -> tuple[int, ...]:
    """Frames (indices) whose body centre or size jumps from the frame before (both frames detected)."""
    idx = [names.index(n) for n in _TORSO if n in names]
    if len(idx) < len(_TORSO):
        return ()
    torso = positions[:, idx, :]
    centre = torso.mean(axis=1)
    shoulders = torso[:, :2, :].mean(axis=1)
    hips = torso[:, 2:, :].mean(axis=1)
    length = np.linalg.norm(shoulders - hips, axis=1)
    both = detected[1:] & detected[:-1]
    typical = float(np.nanmedian(length[detected])) if detected.any() else float("nan")
    if not np.isfinite(typical) or typical <= 0:
        return ()
    step = np.linalg.norm(np.diff(centre, axis=0), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = length[1:] / length[:-1]
    jumped = (step > MAX_CENTRE_JUMP_TORSO * typical) | (ratio > MAX_TORSO_SCALE_CHANGE)
    jumped |= ratio < 1.0 / MAX_TORSO_SCALE_CHANGE
    return tuple(int(i) + 1 for i in np.flatnonzero(both & jumped))
