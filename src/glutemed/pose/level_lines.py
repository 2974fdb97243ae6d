"""Camera roll from the straight edges of a still picture: the still-frame calibration for rear and front views.

A rear or front camera that is rolled about its lens axis tilts everything in the picture by the same angle.
Edges that are level or plumb in the room (a door frame, a wall corner, the far edge of a treadmill deck, a
window sill, a shelf) then lean by that angle, and so they measure it without any body keypoint. This module
finds long straight edges (OpenCV's Canny edge detector and probabilistic Hough transform), keeps those within
``max_tilt_deg`` of horizontal or vertical, and takes the length-weighted median of their tilts.

Limits, said in the output: edges that recede from the camera (the long sides of a treadmill, seen from behind)
converge towards a vanishing point and are not level in the picture, so a floor or wall edge across the view,
or plumb verticals, are what to aim at; a tilted camera (pitch) makes verticals away from the picture's centre
lean symmetrically, which the median absorbs when they are on both sides. The spread of the angles says how
much the edges agree. The estimate is a help: a phone's level app held against the phone gives the roll too.

Sign (as ``glutemed.core.filters.estimate_camera_roll_deg``): positive when a level line rises towards the
image's right-hand side (picture content turned anticlockwise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from glutemed.io.errors import InputFileError
from glutemed.pose import is_video

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})
MAX_TILT_DEG = 15.0  # edges further than this from level or plumb are not used
MIN_LENGTH_FRACTION = 0.12  # of the picture's shorter side; shorter segments are texture, not structure
WORK_WIDTH_PX = 960  # pictures are scaled to this width before edge detection (speed, steadier thresholds)
MIN_SEGMENTS = 2

Image = NDArray[np.uint8]


class LevelError(ValueError):
    """No roll can be measured from this picture."""


@dataclass(frozen=True)
class EdgeSegment:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str  # "horizontal" or "vertical"
    tilt_deg: float  # this edge's reading of the roll

    @property
    def length_px(self) -> float:
        return math.hypot(self.x2 - self.x1, self.y2 - self.y1)


@dataclass(frozen=True)
class LevelEstimate:
    roll_deg: float  # length-weighted median tilt of all edges used
    spread_deg: float  # half the length-weighted interquartile range of the tilts
    horizontal_deg: float  # the same median over near-horizontal edges only (NaN if none)
    vertical_deg: float  # and over near-vertical edges only (NaN if none)
    segments: tuple[EdgeSegment, ...]
    width_px: int
    height_px: int

    @property
    def n_horizontal(self) -> int:
        return sum(s.kind == "horizontal" for s in self.segments)

    @property
    def n_vertical(self) -> int:
        return sum(s.kind == "vertical" for s in self.segments)

    def to_dict(self) -> dict[str, object]:
        def num(value: float) -> float | None:
            return round(value, 3) if math.isfinite(value) else None

        return {
            "roll_deg": num(self.roll_deg),
            "spread_deg": num(self.spread_deg),
            "horizontal_deg": num(self.horizontal_deg),
            "vertical_deg": num(self.vertical_deg),
            "n_horizontal": self.n_horizontal,
            "n_vertical": self.n_vertical,
            "image_size_px": [self.width_px, self.height_px],
        }


def _weighted_quantile(values: NDArray[np.float64], weights: NDArray[np.float64], q: float) -> float:
    if values.size == 0:
        return float("nan")
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w) - 0.5 * w
    return float(np.interp(q * w.sum(), cum, v))


def _classify(x1: float, y1: float, x2: float, y2: float, max_tilt_deg: float) -> EdgeSegment | None:
    dx, dy_up = x2 - x1, -(y2 - y1)  # image y grows downwards; work with y up
    if abs(dx) >= abs(dy_up):
        if dx < 0:
            dx, dy_up = -dx, -dy_up
        tilt, kind = math.degrees(math.atan2(dy_up, dx)), "horizontal"
    else:
        if dy_up < 0:
            dx, dy_up = -dx, -dy_up
        # a plumb line in a picture turned anticlockwise by r points up and to the left: (-sin r, cos r)
        tilt, kind = math.degrees(math.atan2(-dx, dy_up)), "vertical"
    if abs(tilt) > max_tilt_deg:
        return None
    return EdgeSegment(x1, y1, x2, y2, kind, tilt)


def _refine(
    segment: NDArray[np.float64], edge_xy: NDArray[np.float64], band_px: float = 2.0, max_gap_px: float = 12.0
) -> NDArray[np.float64]:
    """The Hough segment grown along its edge and re-fitted through the edge pixels (total least squares).

    A slightly tilted edge is drawn in pixel steps, and the probabilistic Hough transform often returns one
    step (exactly level) instead of the edge. So the segment is grown along its line over every edge pixel
    within ``band_px`` of it, as long as no gap exceeds ``max_gap_px``, and a line is fitted through them; three
    rounds let the fit follow the true tilt out of the step. The fit reads a drawn edge's tilt to a few
    hundredths of a degree.
    """
    p1, p2 = segment[:2], segment[2:]
    for _ in range(3):
        length = float(np.hypot(*(p2 - p1)))
        if length == 0:
            break
        u = (p2 - p1) / length
        rel = edge_xy - p1
        along, across = rel @ u, rel @ np.array([-u[1], u[0]])
        on = np.abs(across) <= band_px
        positions = np.sort(along[on])
        if positions.size < 10:
            break
        runs = np.split(positions, np.flatnonzero(np.diff(positions) > max_gap_px) + 1)
        touching = [r for r in runs if r[-1] >= 0 and r[0] <= length]
        if not touching:
            break
        lo, hi = touching[0][0], touching[-1][-1]
        pts = edge_xy[on & (along >= lo) & (along <= hi)]
        centre = pts.mean(axis=0)
        _, _, vt = np.linalg.svd(pts - centre, full_matrices=False)
        direction = vt[0] if vt[0] @ u >= 0 else -vt[0]
        proj = (pts - centre) @ direction
        p1, p2 = centre + proj.min() * direction, centre + proj.max() * direction
    return np.concatenate([p1, p2])


def _distinct(segments: list[EdgeSegment]) -> list[EdgeSegment]:
    """Drop segments that grew into the same edge as a longer one (same kind, tilt and line, overlapping)."""
    kept: list[EdgeSegment] = []
    for seg in sorted(segments, key=lambda s: -s.length_px):
        mid = np.array([(seg.x1 + seg.x2) / 2, (seg.y1 + seg.y2) / 2])
        duplicate = False
        for other in kept:
            if other.kind != seg.kind or abs(other.tilt_deg - seg.tilt_deg) > 0.3:
                continue
            a, b = np.array([other.x1, other.y1]), np.array([other.x2, other.y2])
            u = (b - a) / other.length_px
            rel = mid - a
            if abs(rel @ np.array([-u[1], u[0]])) <= 3.0 and -3.0 <= rel @ u <= other.length_px + 3.0:
                duplicate = True
                break
        if not duplicate:
            kept.append(seg)
    return kept


def estimate_roll_from_image(image: Image, *, max_tilt_deg: float = MAX_TILT_DEG) -> LevelEstimate:
    """Roll of the camera that took ``image`` (BGR or grey), from its long level and plumb edges."""
    if image.ndim not in (2, 3) or image.shape[0] < 16 or image.shape[1] < 16:
        raise LevelError(f"not a picture of usable size (shape {image.shape})")
    height, width = image.shape[:2]
    grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    scale = min(1.0, WORK_WIDTH_PX / width)
    if scale < 1.0:
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = cv2.GaussianBlur(grey, (5, 5), 0)
    median = float(np.median(grey))
    edges = cv2.Canny(grey, max(10.0, 0.66 * median), max(30.0, min(255.0, 1.33 * median)))
    min_length = MIN_LENGTH_FRACTION * min(grey.shape)
    found = cv2.HoughLinesP(
        edges, 1, math.pi / 1440, threshold=40, minLineLength=min_length, maxLineGap=max(3.0, min_length / 20)
    )
    edge_xy = np.argwhere(edges > 0)[:, ::-1].astype(np.float64)
    segments: list[EdgeSegment] = []
    for raw in [] if found is None else found.reshape(-1, 4).astype(np.float64):
        x1, y1, x2, y2 = _refine(raw, edge_xy) / scale
        seg = _classify(float(x1), float(y1), float(x2), float(y2), max_tilt_deg)
        if seg is not None:
            segments.append(seg)
    segments = _distinct(segments)
    if len(segments) < MIN_SEGMENTS:
        raise LevelError(
            f"found {len(segments)} long straight edge(s) within {max_tilt_deg:g} deg of level or plumb; "
            f"at least {MIN_SEGMENTS} are needed (film a still frame showing a door frame, a wall corner or a "
            "floor edge across the view, or measure the roll with a phone level app)"
        )
    tilts = np.array([s.tilt_deg for s in segments])
    lengths = np.array([s.length_px for s in segments])

    def median_of(kind: str) -> float:
        pick = np.array([s.kind == kind for s in segments])
        return _weighted_quantile(tilts[pick], lengths[pick], 0.5)

    return LevelEstimate(
        roll_deg=_weighted_quantile(tilts, lengths, 0.5),
        spread_deg=0.5
        * (_weighted_quantile(tilts, lengths, 0.75) - _weighted_quantile(tilts, lengths, 0.25)),
        horizontal_deg=median_of("horizontal"),
        vertical_deg=median_of("vertical"),
        segments=tuple(segments),
        width_px=width,
        height_px=height,
    )


def read_still(path: str | Path, *, at_s: float = 0.0) -> Image:
    """A picture file, or the upright frame of a video at ``at_s`` seconds (the first frame at or after it)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(path, "no such file")
    if is_video(path):
        from glutemed.pose.video import VideoReader

        with VideoReader(path) as video:
            for time_s, frame in video.frames():
                if time_s >= at_s - 1e-6:
                    return frame
        raise InputFileError(path, f"the video ends before {at_s:g} s")
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        known = ", ".join(sorted(IMAGE_SUFFIXES))
        raise InputFileError(path, f"not a picture or video glutemed reads (pictures: {known})")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise InputFileError(path, "cannot be read as a picture (empty, damaged or not an image)")
    return np.asarray(image, dtype=np.uint8)


def draw_estimate(image: Image, estimate: LevelEstimate) -> Image:
    """A copy of ``image`` with the edges used drawn (horizontal orange, vertical cyan) and the reading."""
    out = np.asarray(
        image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR), dtype=np.uint8
    )
    thick = max(2, round(min(out.shape[:2]) / 300))
    for s in estimate.segments:
        colour = (0, 140, 255) if s.kind == "horizontal" else (255, 200, 0)
        p1, p2 = (round(s.x1), round(s.y1)), (round(s.x2), round(s.y2))
        cv2.line(out, p1, p2, colour, thick, cv2.LINE_AA)
    text = f"roll {estimate.roll_deg:+.1f} deg (spread {estimate.spread_deg:.1f}, {len(estimate.segments)} edges)"
    scale = max(0.6, min(out.shape[:2]) / 900)
    org = (12, round(36 * scale))
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
    cv2.putText(out, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
    return out
