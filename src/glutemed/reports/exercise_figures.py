"""Start and end figures of every exercise, stretch and release, drawn as SVG from the angles in figures.yaml.

The handout calls :func:`figures_for` (one SVG per key position) or :func:`animated_figure_svg` (start and end
in one picture that cross-fade with CSS, no JavaScript). Every SVG has the same viewBox, so figures line up;
it carries ``<title>`` and ``<desc>``, references nothing outside itself and is the same byte for byte every
time. Each drawn segment is a ``<line data-segment="left.thigh">`` (the head a ``<circle data-segment="head">``)
so tests can measure the angles back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from glutemed.knowledge.figure_models import BodySide, ExerciseFigure, FigurePosition, FigureView
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.reports.figure_geometry import (
    HEAD_RADIUS_CM,
    Point,
    Skeleton,
    forward_kinematics,
    rest_on_floor,
)
from glutemed.reports.figure_props import BEHIND, draw_prop, prop_extent_x

VIEW_WIDTH = 260
VIEW_HEIGHT = 230
FLOOR_Y = 214.0  # the floor line, in picture units (1 unit = 1 cm)
INK = "#2d3748"
FAR_SIDE = "#a0aec0"
WORKING = "#dd6b20"
LIMB_WIDTH = 5.0
_LEG_PARTS = ("thigh", "shank", "foot")
_ARM_PARTS = ("upper_arm", "forearm")


@dataclass(frozen=True)
class PlacedPosition:
    """One key position, moved onto the floor and into the picture (world cm; x = 0 at the figure's anchor)."""

    position: FigurePosition
    skeleton: Skeleton


def place_figure(figure: ExerciseFigure) -> tuple[list[PlacedPosition], float]:
    """Every position on the floor with the anchor joint at x = 0, and the x offset that centres them all."""
    placed: list[PlacedPosition] = []
    xs: list[float] = []
    for position in figure.positions:
        skeleton = rest_on_floor(forward_kinematics(position.pose, figure.view), position.rest_on)
        skeleton = skeleton.shifted(-skeleton.joints[figure.anchor][0], 0.0)
        placed.append(PlacedPosition(position, skeleton))
        xs += [x for x, _y in skeleton.joints.values()]
        head_x = skeleton.joints["head"][0]
        xs += [head_x - HEAD_RADIUS_CM, head_x + HEAD_RADIUS_CM]
        for prop in figure.props:
            xs += prop_extent_x(prop, skeleton)
    offset = VIEW_WIDTH / 2.0 - (min(xs) + max(xs)) / 2.0
    return placed, offset


def _f(value: float) -> str:
    return f"{value:.2f}"


def _segment_line(name: str, a: Point, b: Point, colour: str) -> str:
    return (
        f'<line data-segment="{name}" x1="{_f(a[0])}" y1="{_f(a[1])}" x2="{_f(b[0])}" y2="{_f(b[1])}" '
        f'stroke="{colour}" stroke-width="{LIMB_WIDTH:g}" stroke-linecap="round"/>'
    )


def _side_order(figure: ExerciseFigure) -> tuple[BodySide, BodySide]:
    """(drawn first, drawn last): in a side view the working side is the near one."""
    near = figure.working_side or BodySide.RIGHT
    far = BodySide.LEFT if near is BodySide.RIGHT else BodySide.RIGHT
    return far, near


def _limb_colour(figure: ExerciseFigure, side: BodySide, part: str, far: BodySide) -> str:
    if part in _LEG_PARTS and figure.working_side is side:
        return WORKING
    if figure.view is FigureView.SIDE and side is far:
        return FAR_SIDE
    return INK


def _body(figure: ExerciseFigure, skeleton: Skeleton, offset: float) -> list[str]:
    def to_svg(p: Point) -> Point:
        return (p[0] + offset, FLOOR_Y - p[1])

    j = {name: to_svg(point) for name, point in skeleton.joints.items()}
    far, near = _side_order(figure)
    out: list[str] = []

    def limb(side: BodySide) -> None:
        for part in (*_ARM_PARTS, *_LEG_PARTS):
            a, b = skeleton.bones[f"{side}.{part}"]
            out.append(_segment_line(f"{side}.{part}", j[a], j[b], _limb_colour(figure, side, part, far)))

    limb(far)
    if figure.view is FigureView.FRONT:
        for part in ("hip", "shoulder"):
            (x1, y1), (x2, y2) = j[f"right.{part}"], j[f"left.{part}"]
            out.append(
                f'<line data-part="{part}s" x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" '
                f'stroke="{INK}" stroke-width="{LIMB_WIDTH:g}" stroke-linecap="round"/>'
            )
    out.append(_segment_line("trunk", j["pelvis"], j["neck"], INK))
    (nx, ny), (hx, hy) = j["neck"], j["head"]
    gap = ((hx - nx) ** 2 + (hy - ny) ** 2) ** 0.5 or 1.0
    edge = (hx - (hx - nx) * HEAD_RADIUS_CM / gap, hy - (hy - ny) * HEAD_RADIUS_CM / gap)
    out.append(_segment_line("neck", j["neck"], edge, INK).replace('data-segment="neck"', 'data-part="neck"'))
    out.append(
        f'<circle data-segment="head" cx="{_f(hx)}" cy="{_f(hy)}" r="{HEAD_RADIUS_CM:g}" fill="#ffffff" '
        f'stroke="{INK}" stroke-width="3"/>'
    )
    limb(near)
    return out


def _layer(figure: ExerciseFigure, placed: PlacedPosition, offset: float) -> list[str]:
    def to_svg(p: Point) -> Point:
        return (p[0] + offset, FLOOR_Y - p[1])

    behind = [p for p in figure.props if p.kind in BEHIND]
    front = [p for p in figure.props if p.kind not in BEHIND]
    out: list[str] = []
    for prop in behind:
        out += draw_prop(prop, placed.skeleton, to_svg)
    out += _body(figure, placed.skeleton, offset)
    for prop in front:
        out += draw_prop(prop, placed.skeleton, to_svg)
    return out


def _describe(figure: ExerciseFigure, name: str, position: FigurePosition) -> str:
    view = "from the front" if figure.view is FigureView.FRONT else "from the side"
    works = f" The {figure.working_side} leg, highlighted, does the work." if figure.working_side else ""
    props = sorted({str(p.kind) for p in figure.props})
    kit = f" Equipment: {', '.join(props)}." if props else ""
    note = f" {position.note[:1].upper()}{position.note[1:].rstrip('.')}." if position.note else ""
    return f"{name}, {position.name} position: {figure.orientation}, seen {view}.{note}{works}{kit}"


def _svg(title: str, desc: str, layers: Sequence[str]) -> str:
    floor = (
        f'<line data-part="floor" x1="0" y1="{_f(FLOOR_Y)}" x2="{VIEW_WIDTH}" y2="{_f(FLOOR_Y)}" '
        f'stroke="{INK}" stroke-width="1.5"/>'
    )
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {VIEW_WIDTH} {VIEW_HEIGHT}" '
        f'width="{VIEW_WIDTH}" height="{VIEW_HEIGHT}" role="img" aria-label="{escape(title)}">'
    )
    body = "\n".join([f"<title>{escape(title)}</title>", f"<desc>{escape(desc)}</desc>", floor, *layers])
    return f"{head}\n{body}\n</svg>\n"


def _lookup(exercise_id: str, kb: KnowledgeBase | None) -> tuple[ExerciseFigure, str]:
    base = kb or knowledge_base()
    if exercise_id not in base.figures:
        raise KeyError(f"no figures for exercise '{exercise_id}'")
    exercise = base.exercises.get(exercise_id)
    return base.figures[exercise_id], exercise.name if exercise else exercise_id


def position_title(exercise_name: str, position_name: str) -> str:
    """Caption-friendly title, e.g. 'Clamshell: start position'."""
    return f"{exercise_name}: {position_name} position"


def figures_for(exercise_id: str, *, kb: KnowledgeBase | None = None) -> list[tuple[str, str]]:
    """(position name, SVG text) for every key position of an exercise, stretch or release, start first."""
    figure, name = _lookup(exercise_id, kb)
    placed, offset = place_figure(figure)
    out = []
    for item in placed:
        g = "\n".join(['<g class="gm-figure">', *_layer(figure, item, offset), "</g>"])
        title = position_title(name, item.position.name)
        out.append((item.position.name, _svg(title, _describe(figure, name, item.position), [g])))
    return out


def figure_svg(exercise_id: str, position: str = "start", *, kb: KnowledgeBase | None = None) -> str:
    """The SVG of one key position."""
    for name, svg in figures_for(exercise_id, kb=kb):
        if name == position:
            return svg
    raise KeyError(f"exercise '{exercise_id}' has no position '{position}'")


def animated_figure_svg(exercise_id: str, *, kb: KnowledgeBase | None = None, period_s: float = 4.0) -> str:
    """Start and end in one SVG, cross-fading in a loop (CSS only; still on the start when motion is reduced)."""
    figure, name = _lookup(exercise_id, kb)
    placed, offset = place_figure(figure)
    start, end = placed[0], next(p for p in placed if p.position.name == "end")
    period = f"{period_s:g}s"
    css = (
        f"<style>.gm-a{{animation:gm-show-a {period} ease-in-out infinite}}"
        f".gm-b{{opacity:0;animation:gm-show-b {period} ease-in-out infinite}}"
        "@keyframes gm-show-a{0%,40%{opacity:1}50%,90%{opacity:0}100%{opacity:1}}"
        "@keyframes gm-show-b{0%,40%{opacity:0}50%,90%{opacity:1}100%{opacity:0}}"
        "@media (prefers-reduced-motion:reduce){.gm-a,.gm-b{animation:none}}</style>"
    )
    layers = [css]
    for cls, item in (("gm-a", start), ("gm-b", end)):
        layers += [f'<g class="gm-figure {cls}">', *_layer(figure, item, offset), "</g>"]
    desc = f"{name}: moves between the start and the end position. " + _describe(figure, name, end.position)
    return _svg(f"{name}: start and end", desc, layers)
