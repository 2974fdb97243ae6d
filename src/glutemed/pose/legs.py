"""Check each leg of a pose track on its own, and discount the points that cannot be right.

In a side view the far leg is half hidden behind the near one, and it is the one the pose model gets wrong:
a knee or foot point that leaps away for a single frame, or a whole leg laid onto the other one. Such points
matter beyond their own frame: the analysis' left/right repair follows the points from frame to frame, and on
the bundled clip and its frame-dropped copy (tests/data/video/vfr) MediaPipe's static mode made it exchange the
legs for dozens of frames, so that the copy's cadence came out about 3 steps/min high, until these checks
removed the points. Three checks:

- Collapsed legs: a frame where the two legs' knees, ankles, heels and toes all lie within MAX_COLLAPSE_SHANKS
  median shank lengths (knee to ankle) of their twins. Running legs never overlap entirely (the knees pass
  each other while one foot is in the air, the feet while the knees are apart); the RTMPose keypoints of the
  bundled clip have no such frame. The leg with the lower summed confidence of the four points is the copy:
  its four points are removed (NaN, confidence 0).
- Spikes, per leg: a knee, ankle, heel or toe point more than MAX_SPIKE_SHANKS median shank lengths away from
  where its two neighbouring frames put it (their time-weighted midpoint), and further off than those
  neighbours are from theirs (a spike puts them half as far off). Limbs move smoothly from frame to frame; a
  point that jumps out and back is misplaced. It is removed (NaN, confidence 0) and the analysis bridges it
  like any short gap.
- Lengths, per leg: a thigh (hip to knee) or shank more than MAX_SEGMENT_CHANGE times longer or shorter than
  its own median over the clip. Limbs do not stretch, and in a side view their length in the image hardly
  changes. The leg's knee, ankle, heel and toe keep only OFF_LENGTH_CONFIDENCE_FACTOR of their confidence
  there, so a point the model was unsure of anyway falls below the analysis' confidence floor and a confident
  one stays. A rear view foreshortens the swinging shank, which is why this check only lowers confidence.

The hips are shared by both legs and are left alone. The limits are this module's engineering choices,
measured on the bundled clip (``benchmarks/bench_video.py --modes`` prints what each check found there;
docs/validation.md, "Pose tracking mode") and tested on hand-made tracks (tests/pose/test_pose_legs.py) and
the real clips (tests/pose/test_pose_modes.py, tests/pose/test_video_vfr.py); the frames found are listed per
leg in the keypoints' meta.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from glutemed.pose.base import FloatArray

SIDES = ("left", "right")
MAX_COLLAPSE_SHANKS = 0.25
MAX_SPIKE_SHANKS = 0.5
MAX_SEGMENT_CHANGE = 1.25
OFF_LENGTH_CONFIDENCE_FACTOR = 0.5
LEG_POINTS = ("knee", "ankle", "heel", "toe")  # the points a leg check may discount; hips are shared
_SEGMENTS = (("hip", "knee"), ("knee", "ankle"))


@dataclass(frozen=True)
class LegCheck:
    """The positions and confidences after the checks, and per leg the frames with a spike or an impossible
    length."""

    positions: FloatArray
    confidence: FloatArray
    collapsed: dict[str, tuple[int, ...]]  # frames where this leg lay on the other one and was removed
    spikes: dict[str, tuple[int, ...]]
    off_length: dict[str, tuple[int, ...]]

    def implausible(self, side: str) -> tuple[int, ...]:
        """Frames where anything about this leg was implausible, in order."""
        found = (self.collapsed, self.spikes, self.off_length)
        return tuple(sorted(set().union(*(checks.get(side, ()) for checks in found))))


def check_legs(
    positions: FloatArray,
    confidence: FloatArray,
    names: tuple[str, ...],
    times_s: FloatArray | None = None,
) -> LegCheck:
    """Run both checks on (frames, keypoints, 2) ``positions``; returns new arrays, the input is kept.

    ``times_s`` (one per frame) weighs the neighbours' midpoint for uneven frame timing; frames are taken as
    evenly spaced without it. Frames without a person are NaN and take part in nothing.
    """
    n = positions.shape[0]
    times = np.arange(n, dtype=np.float64) if times_s is None else np.asarray(times_s, dtype=np.float64)
    pos = positions.copy()
    conf = confidence.copy()
    collapsed = remove_collapsed_legs(pos, conf, names)
    spikes: dict[str, tuple[int, ...]] = {}
    off_length: dict[str, tuple[int, ...]] = {}
    for side in SIDES:
        shank = _median_length(pos, names, f"{side}_knee", f"{side}_ankle")
        spiked: set[int] = set()
        if np.isfinite(shank) and shank > 0 and n >= 3:
            for part in LEG_POINTS:
                name = f"{side}_{part}"
                if name not in names:
                    continue
                col = names.index(name)
                frames = np.flatnonzero(spike_frames(pos[:, col], times, MAX_SPIKE_SHANKS * shank))
                pos[frames, col] = np.nan
                conf[frames, col] = 0.0
                spiked.update(int(i) for i in frames)
        off = off_length_frames(pos, names, side)
        cols = np.array(
            [names.index(f"{side}_{p}") for p in LEG_POINTS if f"{side}_{p}" in names], dtype=np.intp
        )
        if off.size and cols.size:
            conf[np.ix_(off, cols)] *= OFF_LENGTH_CONFIDENCE_FACTOR
        spikes[side] = tuple(sorted(spiked))
        off_length[side] = tuple(int(i) for i in off)
    return LegCheck(pos, conf, collapsed, spikes, off_length)


def remove_collapsed_legs(
    positions: FloatArray, confidence: FloatArray, names: tuple[str, ...]
) -> dict[str, tuple[int, ...]]:
    """Remove, in place, the weaker leg of every frame where both legs' LEG_POINTS coincide; returns its frames.

    Coincide: each of the four points within MAX_COLLAPSE_SHANKS median shank lengths (of both legs pooled) of
    its other-side twin. The weaker leg has the lower summed confidence of the four points.
    """
    out: dict[str, tuple[int, ...]] = dict.fromkeys(SIDES, ())
    pairs = [(f"left_{p}", f"right_{p}") for p in LEG_POINTS]
    if not all(a in names and b in names for a, b in pairs):
        return out
    left = np.array([names.index(a) for a, _ in pairs], dtype=np.intp)
    right = np.array([names.index(b) for _, b in pairs], dtype=np.intp)
    shanks = [_median_length(positions, names, f"{side}_knee", f"{side}_ankle") for side in SIDES]
    usable = [v for v in shanks if np.isfinite(v) and v > 0]
    if not usable:
        return out
    shank = float(np.median(usable))
    gap = np.linalg.norm(positions[:, left] - positions[:, right], axis=2)
    with np.errstate(invalid="ignore"):
        frames = np.flatnonzero(np.all(gap < MAX_COLLAPSE_SHANKS * shank, axis=1))
    weaker_left = confidence[np.ix_(frames, left)].sum(axis=1) < confidence[np.ix_(frames, right)].sum(axis=1)
    for side, cols, mine in (("left", left, weaker_left), ("right", right, ~weaker_left)):
        drop = frames[mine]
        positions[np.ix_(drop, cols)] = np.nan
        confidence[np.ix_(drop, cols)] = 0.0
        out[side] = tuple(int(i) for i in drop)
    return out


def spike_frames(track: FloatArray, times_s: FloatArray, limit_px: float) -> NDArray[np.bool_]:
    """Frames where a (frames, 2) point is more than ``limit_px`` from its neighbours' time-weighted midpoint,
    and further from it than either neighbour is from its own."""
    if track.shape[0] < 3:
        return np.zeros(track.shape[0], dtype=bool)
    span = times_s[2:] - times_s[:-2]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(span > 0, (times_s[1:-1] - times_s[:-2]) / span, 0.5)[:, None]
    expected = track[:-2] + w * (track[2:] - track[:-2])
    distance = np.full(track.shape[0], np.nan)
    distance[1:-1] = np.linalg.norm(track[1:-1] - expected, axis=1)
    # a spike of d px puts each neighbour d/2 off its own midpoint: only the frame that stands out most counts
    padded = np.nan_to_num(np.concatenate([[0.0], distance, [0.0]]), nan=0.0)
    peak = (padded[1:-1] >= padded[:-2]) & (padded[1:-1] >= padded[2:])
    spiked: NDArray[np.bool_] = np.isfinite(distance) & (distance > limit_px) & peak
    return spiked


def off_length_frames(positions: FloatArray, names: tuple[str, ...], side: str) -> NDArray[np.intp]:
    """Frames where the ``side`` leg's thigh or shank is MAX_SEGMENT_CHANGE times off its own clip median."""
    bad = np.zeros(positions.shape[0], dtype=bool)
    for top, bottom in _SEGMENTS:
        a, b = f"{side}_{top}", f"{side}_{bottom}"
        if a not in names or b not in names:
            return np.flatnonzero(bad)
        length = np.linalg.norm(positions[:, names.index(a)] - positions[:, names.index(b)], axis=1)
        typical = _median_length(positions, names, a, b)
        if not np.isfinite(typical) or typical <= 0:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            off = np.abs(np.log(length / typical)) > np.log(MAX_SEGMENT_CHANGE)
        bad |= np.isfinite(length) & (length > 0) & off
    return np.flatnonzero(bad)


def _median_length(positions: FloatArray, names: tuple[str, ...], a: str, b: str) -> float:
    """Median over frames of the distance between keypoints ``a`` and ``b`` (NaN when never both seen)."""
    if a not in names or b not in names:
        return float("nan")
    length = np.linalg.norm(positions[:, names.index(a)] - positions[:, names.index(b)], axis=1)
    usable = length[np.isfinite(length) & (length > 0)]
    return float(np.median(usable)) if usable.size else float("nan")
