"""Forward kinematics of the exercise stick figures: segment angles in, 2-D joint positions out.

Pure maths on the resolved poses of ``figures.yaml``. Coordinates are centimetres with y pointing up. A segment
angle is its direction from the proximal to the distal end, in degrees from straight down, turning towards
the right of the picture (0 down, 90 right, 180 up, 270 left); ``out_deg`` tilts a segment out of the drawing
plane, which shortens it by cos(out_deg) but leaves its drawn direction unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from glutemed.knowledge.figure_models import BodyPose, FigureView, RestOn, SegmentAngle

Point = tuple[float, float]

SEGMENT_LENGTH_CM: Mapping[str, float] = {
    "trunk": 52.0,  # mid-hip to mid-shoulder
    "head": 19.0,  # mid-shoulder to the centre of the head
    "thigh": 44.0,
    "shank": 43.0,
    "foot": 17.0,  # ankle to toe
    "upper_arm": 30.0,
    "forearm": 28.0,  # elbow to hand
}
HEAD_RADIUS_CM = 10.0
HIP_HALF_WIDTH_CM = 9.0  # drawn only in a front view
SHOULDER_HALF_WIDTH_CM = 18.0
FRONT_VIEW_FOOT_OUT_DEG = 60.0  # seen from the front the feet point at the viewer: drawn short
# How far the body's surface lies below a joint, so a lying trunk rests on the floor and not its midline.
_SURFACE_BELOW_CM: Mapping[str, float] = {
    "pelvis": 9.0,
    "neck": 8.0,
    "hip": 8.0,
    "shoulder": 6.0,
    "knee": 4.0,
    "elbow": 3.0,
}
# segment -> (proximal joint, distal joint) for one side
_LIMB_CHAIN = (
    ("thigh", "hip", "knee"),
    ("shank", "knee", "ankle"),
    ("foot", "ankle", "toe"),
    ("upper_arm", "shoulder", "elbow"),
    ("forearm", "elbow", "hand"),
)


@dataclass(frozen=True)
class Skeleton:
    """Joint positions (cm, y up) and which segment joins which joints."""

    joints: dict[str, Point]
    bones: dict[str, tuple[str, str]]  # segment name -> (proximal joint, distal joint)

    def shifted(self, dx: float, dy: float) -> Skeleton:
        moved = {name: (x + dx, y + dy) for name, (x, y) in self.joints.items()}
        return Skeleton(joints=moved, bones=self.bones)


def direction(angle_deg: float) -> Point:
    """Unit vector of a segment angle (0 = down, 90 = right), y up."""
    rad = math.radians(angle_deg)
    return (math.sin(rad), -math.cos(rad))


def angle_of(start: Point, end: Point) -> float:
    """The inverse of :func:`direction`: the angle of the vector start -> end, in [0, 360)."""
    dx, dy = end[0] - start[0], end[1] - start[1]
    return math.degrees(math.atan2(dx, -dy)) % 360.0


def _step(start: Point, angle: SegmentAngle, length_cm: float) -> Point:
    ux, uy = direction(angle.deg)
    drawn = length_cm * math.cos(math.radians(angle.out_deg))
    return (start[0] + ux * drawn, start[1] + uy * drawn)


def _foot_angle(angle: SegmentAngle, view: FigureView) -> SegmentAngle:
    if view is FigureView.FRONT and angle.out_deg == 0:
        return SegmentAngle(deg=angle.deg, out_deg=FRONT_VIEW_FOOT_OUT_DEG)
    return angle


def forward_kinematics(pose: BodyPose, view: FigureView) -> Skeleton:
    """Joint positions with the mid-hip point ("pelvis") at the origin."""
    seg = pose.segments
    pelvis: Point = (0.0, 0.0)
    neck = _step(pelvis, seg["trunk"], SEGMENT_LENGTH_CM["trunk"])
    joints: dict[str, Point] = {"pelvis": pelvis, "neck": neck}
    joints["head"] = _step(neck, seg["head"], SEGMENT_LENGTH_CM["head"])
    bones: dict[str, tuple[str, str]] = {"trunk": ("pelvis", "neck"), "head": ("neck", "head")}
    # the body's left lies clockwise of the trunk's direction: a front view shows the figure facing the viewer
    tx, ty = direction(seg["trunk"].deg)
    lateral = (ty, -tx) if view is FigureView.FRONT else (0.0, 0.0)
    tilt = math.radians(pose.pelvis_tilt_deg)
    hip_line = (
        lateral[0] * math.cos(tilt) - lateral[1] * math.sin(tilt),
        lateral[0] * math.sin(tilt) + lateral[1] * math.cos(tilt),
    )
    for side, sign in (("left", 1.0), ("right", -1.0)):
        joints[f"{side}.hip"] = (
            sign * hip_line[0] * HIP_HALF_WIDTH_CM,
            sign * hip_line[1] * HIP_HALF_WIDTH_CM,
        )
        joints[f"{side}.shoulder"] = (
            neck[0] + sign * lateral[0] * SHOULDER_HALF_WIDTH_CM,
            neck[1] + sign * lateral[1] * SHOULDER_HALF_WIDTH_CM,
        )
        for part, proximal, distal in _LIMB_CHAIN:
            angle = seg[f"{side}.{part}"]
            if part == "foot":
                angle = _foot_angle(angle, view)
            start = joints[f"{side}.{proximal}"]
            joints[f"{side}.{distal}"] = _step(start, angle, SEGMENT_LENGTH_CM[part])
            bones[f"{side}.{part}"] = (f"{side}.{proximal}", f"{side}.{distal}")
    return Skeleton(joints=joints, bones=bones)


def lowest_surface_cm(skeleton: Skeleton) -> float:
    """The lowest point of the body: joints less the flesh below them, and the bottom of the head."""
    lows = [skeleton.joints["head"][1] - HEAD_RADIUS_CM]
    for name, (_x, y) in skeleton.joints.items():
        if name == "head":
            continue
        lows.append(y - _SURFACE_BELOW_CM.get(name.split(".")[-1], 0.0))
    return min(lows)


def rest_on_floor(skeleton: Skeleton, rest_on: RestOn | None) -> Skeleton:
    """Move the figure up or down: the named joint to its height, or else the lowest point onto the floor."""
    if rest_on is not None:
        return skeleton.shifted(0.0, rest_on.height_cm - skeleton.joints[rest_on.joint][1])
    return skeleton.shifted(0.0, -lowest_surface_cm(skeleton))


def bounds(points: Iterable[Point]) -> tuple[float, float, float, float]:
    """(min x, min y, max x, max y) of some points."""
    xs, ys = zip(*points, strict=True)
    return (min(xs), min(ys), max(xs), max(ys))


def segment_angles(skeleton: Skeleton) -> dict[str, float]:
    """Every segment's drawn angle, measured back from the joint positions."""
    return {name: angle_of(skeleton.joints[a], skeleton.joints[b]) for name, (a, b) in skeleton.bones.items()}
