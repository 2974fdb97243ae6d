"""Equipment drawn beside the exercise stick figures: simple SVG shapes placed from the figure's joints.

Every function takes world coordinates (cm, y up, the figure's anchor joint at x = 0) and a ``to_svg`` mapping
into the picture; none touches files or fetches anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from glutemed.knowledge.figure_models import FigureProp, PropKind
from glutemed.reports.figure_geometry import Point, Skeleton

ToSvg = Callable[[Point], Point]

BAND_COLOUR = "#2f855a"
STRAP_COLOUR = "#6b46c1"
IRON = "#4a5568"
SUPPORT_FILL = "#e2e8f0"
SUPPORT_EDGE = "#718096"
BEHIND = frozenset(
    {
        PropKind.MAT,
        PropKind.STEP,
        PropKind.BENCH,
        PropKind.CHAIR,
        PropKind.MACHINE,
        PropKind.WALL,
        PropKind.MIRROR,
        PropKind.FOAM_ROLLER,
        PropKind.TREADMILL,
    }
)
_ANCHORED = frozenset({PropKind.WALL, PropKind.MIRROR, PropKind.CABLE, PropKind.BAND})  # x_cm from the anchor
_SUPPORT_HALF_WIDTH_CM = {PropKind.STEP: 18.0, PropKind.BENCH: 22.0, PropKind.CHAIR: 20.0}


def _f(value: float) -> str:
    return f"{value:.2f}"


def _line(a: Point, b: Point, colour: str, width: float, extra: str = ' stroke-linecap="round"') -> str:
    return (
        f'<line x1="{_f(a[0])}" y1="{_f(a[1])}" x2="{_f(b[0])}" y2="{_f(b[1])}" stroke="{colour}" '
        f'stroke-width="{width:g}"{extra}/>'
    )


def _rect(x0: float, y0: float, x1: float, y1: float, *, fill: str, edge: str = SUPPORT_EDGE) -> str:
    """A rectangle between two SVG corners, whichever way round they come."""
    left, top = min(x0, x1), min(y0, y1)
    return (
        f'<rect x="{_f(left)}" y="{_f(top)}" width="{_f(abs(x1 - x0))}" height="{_f(abs(y1 - y0))}" '
        f'rx="1.5" fill="{fill}" stroke="{edge}" stroke-width="1.2"/>'
    )


def _circle(c: Point, r: float, fill: str, edge: str = IRON, width: float = 1.2) -> str:
    return f'<circle cx="{_f(c[0])}" cy="{_f(c[1])}" r="{_f(r)}" fill="{fill}" stroke="{edge}" stroke-width="{width:g}"/>'


def _proximal(joint: str) -> str:
    """The joint above: where a weight's handle is turned across the limb."""
    side, _, part = joint.rpartition(".")
    above = {"hand": "elbow", "elbow": "shoulder", "knee": "hip", "ankle": "knee", "toe": "ankle"}
    return f"{side}.{above[part]}" if side and part in above else "neck" if joint == "pelvis" else "pelvis"


def band_point(skeleton: Skeleton, joint: str) -> Point:
    """Where a band sits: just above a knee (on the thigh), otherwise at the joint itself."""
    x, y = skeleton.joints[joint]
    if joint.endswith(".knee"):
        hx, hy = skeleton.joints[joint.replace("knee", "hip")]
        return (hx + 0.85 * (x - hx), hy + 0.85 * (y - hy))
    return (x, y)


def _loop(a: Point, b: Point, colour: str) -> list[str]:
    """A band seen edge-on: a coloured loop with a light core."""
    return [_line(a, b, colour, 4.5), _line(a, b, "#ffffff", 1.4)]


def _hand_weight(kind: PropKind, at: Point, forearm_from: Point, to_svg: ToSvg) -> list[str]:
    cx, cy = to_svg(at)
    if kind is PropKind.KETTLEBELL:
        return [
            f'<path d="M {_f(cx - 4)} {_f(cy + 3)} Q {_f(cx)} {_f(cy - 4)} {_f(cx + 4)} {_f(cy + 3)}" '
            f'fill="none" stroke="{IRON}" stroke-width="1.8"/>',
            _circle((cx, cy + 8), 6.0, IRON),
        ]
    if kind is PropKind.PLATE:
        return [_circle((cx, cy), 11.0, "#718096"), _circle((cx, cy), 2.5, "#ffffff")]
    fx, fy = to_svg(forearm_from)
    length = math.hypot(cx - fx, cy - fy) or 1.0
    ux, uy = (-(cy - fy) / length, (cx - fx) / length)  # across the forearm
    a, b = (cx - 6 * ux, cy - 6 * uy), (cx + 6 * ux, cy + 6 * uy)
    return [
        _line(a, b, IRON, 2.2),
        _line(a, (a[0] + 0.01, a[1]), IRON, 7.0),
        _line(b, (b[0] + 0.01, b[1]), IRON, 7.0),
    ]


def _support(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    assert prop.at is not None
    assert prop.height_cm is not None
    x = skeleton.joints[prop.at][0] + (prop.x_cm or 0.0)
    half = _SUPPORT_HALF_WIDTH_CM[prop.kind]
    top = prop.height_cm
    if prop.kind is PropKind.STEP:
        (x0, y0), (x1, y1) = to_svg((x - half, 0.0)), to_svg((x + half, top))
        return [_rect(x0, y0, x1, y1, fill=SUPPORT_FILL)]
    (x0, y0), (x1, y1) = to_svg((x - half, top - 4.0)), to_svg((x + half, top))
    shapes = [_rect(x0, y0, x1, y1, fill=SUPPORT_FILL)]
    for leg_x in (x - half + 3, x + half - 3):
        shapes.append(_line(to_svg((leg_x, 0.0)), to_svg((leg_x, top - 4.0)), SUPPORT_EDGE, 2.0))
    if prop.kind is PropKind.CHAIR:
        shapes.append(
            _line(to_svg((x - half + 1, top)), to_svg((x - half - 3, top + 42.0)), SUPPORT_EDGE, 3.0)
        )
    return shapes


def _vertical(x: float, top_cm: float, colour: str, width: float, to_svg: ToSvg) -> str:
    return _line(to_svg((x, 0.0)), to_svg((x, top_cm)), colour, width, ' stroke-linecap="butt"')


def _cable(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg, colour: str) -> list[str]:
    assert prop.at is not None
    assert prop.x_cm is not None
    assert prop.height_cm is not None
    pulley = (prop.x_cm, prop.height_cm)
    shapes = [
        _line(to_svg(pulley), to_svg(band_point(skeleton, prop.at)), colour, 1.6 if colour == IRON else 3.5)
    ]
    if colour == IRON:
        shapes.insert(0, _vertical(prop.x_cm, max(prop.height_cm + 20.0, 120.0), SUPPORT_EDGE, 8.0, to_svg))
        shapes.append(_circle(to_svg(pulley), 3.0, "#ffffff"))
    else:
        shapes.append(_circle(to_svg(pulley), 2.0, colour, colour))
    return shapes


def _mat(skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    near_floor = [x for (x, y) in skeleton.joints.values() if y < 30.0] or [0.0]
    (x0, y0), (x1, y1) = to_svg((min(near_floor) - 12.0, 0.0)), to_svg((max(near_floor) + 12.0, -2.5))
    return [_rect(x0, y0, x1, y1, fill="#bee3f8", edge="#90cdf4")]


def _machine(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    assert prop.at is not None
    x, y = skeleton.joints[prop.at]
    post_x = x + (prop.x_cm or 0.0)
    cx, cy = to_svg((post_x, y))
    return [
        _vertical(post_x, y, SUPPORT_EDGE, 4.0, to_svg),
        _rect(cx - 4.0, cy - 7.0, cx + 4.0, cy + 7.0, fill="#a0aec0", edge=IRON),
    ]


def _band(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    colour = BAND_COLOUR if prop.kind is PropKind.BAND else STRAP_COLOUR
    if prop.to is None:
        return _cable(prop, skeleton, to_svg, colour)
    assert prop.at is not None
    a, b = to_svg(band_point(skeleton, prop.at)), to_svg(band_point(skeleton, prop.to))
    if math.dist(a, b) < 3.0:  # both ends on one point (a side view): the loop seen end-on, as a ring
        return [_circle(a, 4.0, "none", colour, 2.5)]
    return _loop(a, b, colour)


def _held(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    assert prop.at is not None
    joints = skeleton.joints
    return _hand_weight(prop.kind, joints[prop.at], joints[_proximal(prop.at)], to_svg)


def _ankle_weight(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    assert prop.at is not None
    return [_circle(to_svg(skeleton.joints[prop.at]), 4.0, IRON, IRON)]


def _vest(_prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    a, b = to_svg(skeleton.joints["pelvis"]), to_svg(skeleton.joints["neck"])
    return [_line(a, b, IRON, 13.0, ' stroke-linecap="round" opacity="0.35"')]


def _upright(prop: FigureProp, _skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    assert prop.x_cm is not None
    if prop.kind is PropKind.MIRROR:
        return [_vertical(prop.x_cm, 170.0, "#90cdf4", 5.0, to_svg)]
    return [_vertical(prop.x_cm, 200.0, "#a0aec0", 5.0, to_svg)]


def _iron_cable(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    return _cable(prop, skeleton, to_svg, IRON)


def _round_tool(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    """A foam roller on the floor under a joint, or a massage ball (on the floor unless a height is given)."""
    assert prop.at is not None
    x = skeleton.joints[prop.at][0] + (prop.x_cm or 0.0)
    if prop.kind is PropKind.FOAM_ROLLER:
        return [_circle(to_svg((x, 7.5)), 7.5, "#fbd38d", "#c05621")]
    y = prop.height_cm if prop.height_cm is not None else 4.0
    return [_circle(to_svg((x, y)), 4.0, "#f56565", "#c53030")]


def _treadmill(_prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    feet = [skeleton.joints[f"{side}.{part}"][0] for side in ("left", "right") for part in ("ankle", "toe")]
    (x0, y0), (x1, y1) = to_svg((min(feet) - 30.0, 0.0)), to_svg((max(feet) + 30.0, -6.0))
    return [_rect(x0, y0, x1, y1, fill="#cbd5e0", edge=IRON)]


def _mat_prop(_prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    return _mat(skeleton, to_svg)


_DRAW: dict[PropKind, Callable[[FigureProp, Skeleton, ToSvg], list[str]]] = {
    PropKind.MAT: _mat_prop,
    PropKind.BAND: _band,
    PropKind.STRAP: _band,
    PropKind.DUMBBELL: _held,
    PropKind.KETTLEBELL: _held,
    PropKind.PLATE: _held,
    PropKind.ANKLE_WEIGHT: _ankle_weight,
    PropKind.VEST: _vest,
    PropKind.STEP: _support,
    PropKind.BENCH: _support,
    PropKind.CHAIR: _support,
    PropKind.MACHINE: _machine,
    PropKind.WALL: _upright,
    PropKind.MIRROR: _upright,
    PropKind.CABLE: _iron_cable,
    PropKind.FOAM_ROLLER: _round_tool,
    PropKind.BALL: _round_tool,
    PropKind.TREADMILL: _treadmill,
}


def draw_prop(prop: FigureProp, skeleton: Skeleton, to_svg: ToSvg) -> list[str]:
    """SVG elements for one piece of equipment; ``skeleton`` is already in world position."""
    return _DRAW[prop.kind](prop, skeleton, to_svg)


def prop_extent_x(prop: FigureProp, skeleton: Skeleton) -> list[float]:
    """Horizontal extent of a prop (world cm), so the picture can be centred on figure and props together."""
    xs: list[float] = []
    if prop.x_cm is not None and prop.kind in _ANCHORED:
        xs += [prop.x_cm - 5.0, prop.x_cm + 5.0]
    if prop.kind in _SUPPORT_HALF_WIDTH_CM and prop.at is not None:
        x = skeleton.joints[prop.at][0] + (prop.x_cm or 0.0)
        half = _SUPPORT_HALF_WIDTH_CM[prop.kind]
        xs += [x - half - 4.0, x + half]
    return xs
