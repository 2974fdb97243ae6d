"""Stick figures of each exercise's key positions (knowledge/data/figures.yaml), split from models.py.

Validated like the rest of the knowledge base; the renderer is glutemed.reports.exercise_figures.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from glutemed.knowledge.models import Equipment, Id, Strict

# ------------------------------------------------------------------------------------------ exercise figures
# Stick figures of each exercise's key positions (figures.yaml). Angles are absolute segment directions in the
# drawing plane, in degrees, measured from straight down and turning towards the right of the picture:
# 0 = pointing at the floor, 90 = pointing right, 180 = pointing up, 270 (or -90) = pointing left. A segment
# runs from its proximal to its distal end (trunk: mid-hip to mid-shoulder; head: mid-shoulder to head centre).


class FigureOrientation(StrEnum):
    STANDING = "standing"
    SIDE_LYING = "side-lying"
    SUPINE = "supine"
    PRONE = "prone"
    QUADRUPED = "quadruped"
    KNEELING = "kneeling"
    SEATED = "seated"
    SIDE_PLANK = "side-plank"
    FRONT_PLANK = "front-plank"


class FigureView(StrEnum):
    FRONT = "front"  # the drawing plane is the body's frontal plane
    SIDE = "side"  # the drawing plane is the body's sagittal plane


class BodySide(StrEnum):
    LEFT = "left"
    RIGHT = "right"


LIMB_JOINTS = ("hip", "knee", "ankle", "toe", "shoulder", "elbow", "hand")
FigureJoint = Annotated[
    str,
    StringConstraints(pattern=r"^(pelvis|neck|head|(left|right)\.(hip|knee|ankle|toe|shoulder|elbow|hand))$"),
]
AngleDeg = Annotated[float, Field(ge=-360, le=360)]


class SegmentAngle(Strict):
    """One segment's direction; ``out_deg`` tilts it out of the drawing plane, so it is drawn shorter."""

    deg: AngleDeg
    out_deg: float = Field(default=0, ge=0, le=80)


SegmentSpec = AngleDeg | SegmentAngle


def _as_segment(value: SegmentSpec | None) -> SegmentAngle | None:
    if value is None or isinstance(value, SegmentAngle):
        return value
    return SegmentAngle(deg=value)


class LimbAngles(Strict):
    """One side's segments; every field is needed in a base pose, any may be left out in an override."""

    thigh: SegmentSpec | None = None
    shank: SegmentSpec | None = None
    foot: SegmentSpec | None = None
    upper_arm: SegmentSpec | None = None
    forearm: SegmentSpec | None = None

    def segment(self, name: str) -> SegmentAngle | None:
        return _as_segment(getattr(self, name))


LIMB_SEGMENTS = ("thigh", "shank", "foot", "upper_arm", "forearm")


class PoseAngles(Strict):
    trunk: SegmentSpec | None = None
    head: SegmentSpec | None = None
    left: LimbAngles | None = None
    right: LimbAngles | None = None
    # front views: the hip line's tilt away from square to the trunk; + lifts the body's left hip (hip hike)
    pelvis_tilt_deg: float | None = Field(default=None, ge=-30, le=30)

    def segment(self, name: str) -> SegmentAngle | None:
        """``trunk``, ``head`` or ``left.thigh`` style names."""
        if "." not in name:
            return _as_segment(getattr(self, name))
        side, part = name.split(".")
        limb: LimbAngles | None = getattr(self, side)
        return None if limb is None else limb.segment(part)


SEGMENT_NAMES: tuple[str, ...] = (
    "trunk",
    "head",
    *(f"{side}.{part}" for side in ("left", "right") for part in LIMB_SEGMENTS),
)


class BodyPose(Strict):
    """A complete pose: every segment's angle, keyed ``trunk``, ``head``, ``left.thigh`` ... ``right.forearm``."""

    segments: dict[str, SegmentAngle]
    pelvis_tilt_deg: float = Field(default=0.0, ge=-30, le=30)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        missing = [name for name in SEGMENT_NAMES if name not in self.segments]
        unknown = [name for name in self.segments if name not in SEGMENT_NAMES]
        if missing or unknown:
            raise ValueError(f"pose: missing segments {missing}, unknown segments {unknown}")
        return self


class PropKind(StrEnum):
    MAT = "mat"
    BAND = "band"  # mini-band or long band: a coloured loop between ``at`` and ``to``, or to an anchor
    STRAP = "strap"  # belt around both thighs
    DUMBBELL = "dumbbell"
    KETTLEBELL = "kettlebell"
    ANKLE_WEIGHT = "ankle-weight"
    PLATE = "plate"
    VEST = "vest"
    STEP = "step"
    BENCH = "bench"
    CHAIR = "chair"
    MACHINE = "machine"  # a pad at ``at`` and a frame
    WALL = "wall"
    MIRROR = "mirror"
    CABLE = "cable"  # a line from ``at`` to a pulley at (x_cm, height_cm)
    FOAM_ROLLER = "foam-roller"
    BALL = "ball"
    TREADMILL = "treadmill"


_PROP_NEEDS: dict[PropKind, tuple[str, ...]] = {
    PropKind.BAND: ("at",),
    PropKind.STRAP: ("at", "to"),
    PropKind.DUMBBELL: ("at",),
    PropKind.KETTLEBELL: ("at",),
    PropKind.ANKLE_WEIGHT: ("at",),
    PropKind.PLATE: ("at",),
    PropKind.STEP: ("at", "height_cm"),
    PropKind.BENCH: ("at", "height_cm"),
    PropKind.CHAIR: ("at", "height_cm"),
    PropKind.MACHINE: ("at",),
    PropKind.WALL: ("x_cm",),
    PropKind.MIRROR: ("x_cm",),
    PropKind.CABLE: ("at", "x_cm", "height_cm"),
    PropKind.FOAM_ROLLER: ("at",),
    PropKind.BALL: ("at",),
}


class FigureProp(Strict):
    """Equipment drawn with the figure.

    ``x_cm`` (+ = right of the picture): for a wall, mirror, cable pulley or band anchor, where it stands measured
    from the figure's anchor joint (it stays put while the body moves); for anything else, a shift from ``at``.
    ``height_cm``: the top of a step, bench or chair seat; a pulley's or band anchor's height; a ball's centre.
    """

    kind: PropKind
    at: FigureJoint | None = None  # held in, strapped to, resting on or pressed by this joint
    to: FigureJoint | None = None  # the other end of a band or strap
    x_cm: float | None = Field(default=None, ge=-150, le=150)
    height_cm: float | None = Field(default=None, ge=0, le=200)

    @model_validator(mode="after")
    def _has_what_it_needs(self) -> Self:
        missing = [name for name in _PROP_NEEDS.get(self.kind, ()) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"prop {self.kind}: needs {', '.join(missing)}")
        if self.kind is PropKind.BAND and (self.to is None) == (self.x_cm is None):
            raise ValueError(
                "prop band: give either 'to' (a loop between joints) or x_cm and height_cm (an anchor)"
            )
        return self


class RestOn(Strict):
    """Pin a joint at a height above the floor (standing on a step); otherwise the lowest point touches it."""

    joint: FigureJoint
    height_cm: float = Field(ge=0, le=150)


class FigurePositionSpec(PoseAngles):
    """A key position as stored: a named base pose and the segments that differ from it."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=24)]
    base: Id
    rest_on: RestOn | None = None
    note: str | None = None  # what the position shows, for the caption


class FigurePosition(Strict):
    name: str
    pose: BodyPose
    rest_on: RestOn | None = None
    note: str | None = None


class FigureSpec(Strict):
    """One exercise's figures as stored in figures.yaml."""

    id: Id
    orientation: FigureOrientation
    view: FigureView
    working_side: BodySide | None = None  # the highlighted leg; None when both legs work alike
    anchor: FigureJoint = "pelvis"  # the joint that stays in place from one position to the next
    props: list[FigureProp] = Field(default_factory=list)
    positions: list[FigurePositionSpec] = Field(min_length=2)

    @model_validator(mode="after")
    def _start_and_end(self) -> Self:
        names = [p.name for p in self.positions]
        if names[:1] != ["start"] or "end" not in names or len(set(names)) != len(names):
            raise ValueError(
                f"figure {self.id}: positions must start with 'start', include 'end', no repeats"
            )
        return self


class ExerciseFigure(Strict):
    """One exercise's figures with every position resolved to a complete pose."""

    id: Id
    orientation: FigureOrientation
    view: FigureView
    working_side: BodySide | None
    anchor: str
    props: list[FigureProp]
    positions: list[FigurePosition]

    def position(self, name: str) -> FigurePosition:
        for position in self.positions:
            if position.name == name:
                return position
        raise KeyError(f"figure {self.id}: no position '{name}'")


def _resolve_pose(base: PoseAngles, override: PoseAngles) -> BodyPose:
    segments: dict[str, SegmentAngle] = {}
    for name in SEGMENT_NAMES:
        angle = override.segment(name) or base.segment(name)
        if angle is not None:
            segments[name] = angle
    tilts = (override.pelvis_tilt_deg, base.pelvis_tilt_deg, 0.0)
    return BodyPose(segments=segments, pelvis_tilt_deg=next(t for t in tilts if t is not None))


class FigureBook(Strict):
    """figures.yaml: base poses, and per exercise the positions as overrides of a base pose."""

    base_poses: dict[Id, PoseAngles]
    figures: list[FigureSpec]

    @model_validator(mode="after")
    def _bases_resolve(self) -> Self:
        for spec in self.figures:
            for position in spec.positions:
                if position.base not in self.base_poses:
                    raise ValueError(
                        f"figure {spec.id}: position {position.name}: unknown base '{position.base}'"
                    )
                try:
                    _resolve_pose(self.base_poses[position.base], position)
                except ValueError as exc:
                    raise ValueError(f"figure {spec.id}: position {position.name}: {exc}") from exc
        return self

    def resolved(self) -> list[ExerciseFigure]:
        out = []
        for spec in self.figures:
            positions = [
                FigurePosition(
                    name=p.name,
                    pose=_resolve_pose(self.base_poses[p.base], p),
                    rest_on=p.rest_on,
                    note=p.note,
                )
                for p in spec.positions
            ]
            fields = spec.model_dump(exclude={"positions", "props"})
            out.append(ExerciseFigure(**fields, props=spec.props, positions=positions))
        return out


# The prop that shows each piece of catalogue equipment in a figure; None: nothing to draw (a metronome).
EQUIPMENT_PROP: dict[Equipment, PropKind | None] = {
    Equipment.NONE: None,
    Equipment.MAT: PropKind.MAT,
    Equipment.WALL: PropKind.WALL,
    Equipment.CHAIR: PropKind.CHAIR,
    Equipment.STEP: PropKind.STEP,
    Equipment.BENCH: PropKind.BENCH,
    Equipment.MINI_BAND: PropKind.BAND,
    Equipment.LONG_BAND: PropKind.BAND,
    Equipment.DUMBBELL: PropKind.DUMBBELL,
    Equipment.KETTLEBELL: PropKind.KETTLEBELL,
    Equipment.BARBELL: None,
    Equipment.CABLE: PropKind.CABLE,
    Equipment.MACHINE: PropKind.MACHINE,
    Equipment.ANKLE_WEIGHT: PropKind.ANKLE_WEIGHT,
    Equipment.WEIGHT_PLATE: PropKind.PLATE,
    Equipment.WEIGHT_VEST: PropKind.VEST,
    Equipment.SLIDER: None,
    Equipment.FOAM_ROLLER: PropKind.FOAM_ROLLER,
    Equipment.MASSAGE_BALL: PropKind.BALL,
    Equipment.STRAP: PropKind.STRAP,
    Equipment.TREADMILL: PropKind.TREADMILL,
    Equipment.METRONOME: None,
    Equipment.MIRROR: PropKind.MIRROR,
}
