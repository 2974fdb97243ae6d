"""Exercise figures: every exercise, stretch and release is drawn from figures.yaml, and the drawing says what
the data says (angles measured back from the SVG), in clean, self-contained, repeatable SVG."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

import pytest
import yaml
from defusedxml.ElementTree import fromstring

from glutemed.knowledge.figure_models import SEGMENT_NAMES, BodyPose, FigureBook, FigureView, SegmentAngle
from glutemed.knowledge.loader import (
    KnowledgeBase,
    KnowledgeBaseError,
    default_data_dir,
    knowledge_base,
    load_knowledge_base,
)
from glutemed.knowledge.validate import check_knowledge_base
from glutemed.reports.exercise_figures import (
    VIEW_HEIGHT,
    VIEW_WIDTH,
    animated_figure_svg,
    figure_svg,
    figures_for,
    place_figure,
)
from glutemed.reports.figure_geometry import (
    SEGMENT_LENGTH_CM,
    angle_of,
    direction,
    forward_kinematics,
    segment_angles,
)

SVG = "{http://www.w3.org/2000/svg}"
KB = knowledge_base()
IDS = sorted(KB.exercises)
MAX_ANGLE_ERROR_DEG = 1.0


def _angle_gap(a: float, b: float) -> float:
    gap = abs(a - b) % 360.0
    return min(gap, 360.0 - gap)


def _measured_angles(svg: str) -> tuple[dict[str, float], dict[str, float]]:
    """Segment angles and drawn lengths read back from the SVG's coordinates (y flipped to point up)."""
    root = fromstring(svg)
    angles: dict[str, float] = {}
    lengths: dict[str, float] = {}
    neck: tuple[float, float] | None = None
    head: Element | None = None
    for element in root.iter():
        name = element.get("data-segment")
        if name is None:
            continue
        if element.tag == f"{SVG}circle":
            head = element
            continue
        x1, y1, x2, y2 = (float(element.get(k, "nan")) for k in ("x1", "y1", "x2", "y2"))
        angles[name] = angle_of((x1, -y1), (x2, -y2))
        lengths[name] = math.hypot(x2 - x1, y2 - y1)
        if name == "trunk":
            neck = (x2, -y2)
    assert head is not None
    assert neck is not None
    centre = (float(head.get("cx", "nan")), -float(head.get("cy", "nan")))
    angles["head"] = angle_of(neck, centre)
    lengths["head"] = math.hypot(centre[0] - neck[0], centre[1] - neck[1])
    return angles, lengths


def _drawn_length(name: str, angle: SegmentAngle, view: FigureView) -> float:
    out_deg = angle.out_deg
    if name.endswith("foot") and view is FigureView.FRONT and out_deg == 0:
        out_deg = 60.0
    return SEGMENT_LENGTH_CM[name.rsplit(".", maxsplit=1)[-1]] * math.cos(math.radians(out_deg))


# ------------------------------------------------------------------------------------------ coverage


def test_every_exercise_stretch_and_release_has_a_start_and_an_end() -> None:
    for ident in IDS:
        names = [name for name, _svg in figures_for(ident)]
        assert names[0] == "start", ident
        assert "end" in names, ident
    assert sorted(KB.figures) == IDS


# --------------------------------------------------------------------------------- angles come back


@pytest.mark.parametrize("ident", IDS)
def test_angles_measured_from_the_svg_match_the_data(ident: str) -> None:
    figure = KB.figures[ident]
    for name, svg in figures_for(ident):
        pose = figure.position(name).pose
        angles, lengths = _measured_angles(svg)
        assert set(angles) == set(SEGMENT_NAMES)
        for segment, wanted in pose.segments.items():
            gap = _angle_gap(angles[segment], wanted.deg)
            assert gap < MAX_ANGLE_ERROR_DEG, f"{ident}/{name}/{segment}: drawn {angles[segment]:.2f}"
            expected = _drawn_length(segment, wanted, figure.view)
            assert lengths[segment] == pytest.approx(expected, abs=0.05), f"{ident}/{name}/{segment}"
        if figure.view is FigureView.SIDE:  # joint angles too: knee flexion and hip angle
            for side in ("left", "right"):
                knee = angles[f"{side}.thigh"] - angles[f"{side}.shank"]
                hip = angles[f"{side}.thigh"] - angles["trunk"]
                seg = pose.segments
                assert _angle_gap(knee, seg[f"{side}.thigh"].deg - seg[f"{side}.shank"].deg) < 1.0
                assert _angle_gap(hip, seg[f"{side}.thigh"].deg - seg["trunk"].deg) < 1.0


def test_the_hip_line_shows_the_pelvic_tilt_in_front_views() -> None:
    tilted = 0
    for ident in IDS:
        figure = KB.figures[ident]
        if figure.view is not FigureView.FRONT:
            continue
        for name, svg in figures_for(ident):
            pose = figure.position(name).pose
            hips = next(e for e in fromstring(svg).iter() if e.get("data-part") == "hips")
            x1, y1, x2, y2 = (float(hips.get(k, "nan")) for k in ("x1", "y1", "x2", "y2"))
            square = (pose.segments["trunk"].deg - 90.0) % 360.0  # right hip -> left hip, square to the trunk
            drawn = angle_of((x1, -y1), (x2, -y2))
            assert _angle_gap(drawn, square + pose.pelvis_tilt_deg) < 0.5, f"{ident}/{name}"
            tilted += pose.pelvis_tilt_deg != 0
    assert tilted >= 4  # both hip hikes, start and end


def test_the_worst_angle_error_over_every_figure_is_tiny() -> None:
    worst = 0.0
    for ident in IDS:
        for name, svg in figures_for(ident):
            angles, _lengths = _measured_angles(svg)
            for segment, wanted in KB.figures[ident].position(name).pose.segments.items():
                worst = max(worst, _angle_gap(angles[segment], wanted.deg))
    assert worst < 0.2  # coordinates are written to 0.01 units


# ------------------------------------------------------------------------------------------- the SVG


def _no_outside_references(root: Element) -> None:
    for element in root.iter():
        tag = element.tag.replace(SVG, "")
        assert tag not in {"image", "script", "foreignObject", "use", "a"}, tag
        for key, value in element.attrib.items():
            assert not key.endswith("href"), key
            assert "url(" not in value
            assert "http" not in value
        text = element.text or ""
        assert "url(" not in text
        assert "@import" not in text
        assert "http" not in text


@pytest.mark.parametrize("ident", IDS)
def test_svg_is_well_formed_self_contained_and_fits_its_fixed_viewbox(ident: str) -> None:
    for _name, svg in figures_for(ident):
        root = fromstring(svg)
        assert root.tag == f"{SVG}svg"
        assert root.get("viewBox") == f"0 0 {VIEW_WIDTH} {VIEW_HEIGHT}"
        assert root.find(f"{SVG}title") is not None
        assert (root.find(f"{SVG}title").text or "").startswith(KB.exercises[ident].name)
        assert len(root.find(f"{SVG}desc").text or "") > 20
        _no_outside_references(root)
        for element in root.iter():
            for key in ("x1", "x2", "cx", "x"):
                if key in element.attrib:
                    assert -1.0 <= float(element.attrib[key]) <= VIEW_WIDTH + 1.0, (ident, key)
            for key in ("y1", "y2", "cy", "y"):
                if key in element.attrib:
                    assert -1.0 <= float(element.attrib[key]) <= VIEW_HEIGHT + 1.0, (ident, key)


def test_animated_svg_is_css_only_and_holds_both_positions() -> None:
    for ident in IDS:
        svg = animated_figure_svg(ident)
        root = fromstring(svg)
        _no_outside_references(root)
        groups = [g for g in root.iter(f"{SVG}g") if "gm-figure" in (g.get("class") or "")]
        assert len(groups) == 2
        assert "@keyframes" in svg
        assert "prefers-reduced-motion" in svg


def test_rendering_is_deterministic() -> None:
    fresh = load_knowledge_base()
    for ident in IDS:
        assert figures_for(ident) == figures_for(ident, kb=fresh)
        assert animated_figure_svg(ident) == animated_figure_svg(ident, kb=fresh)


def test_figure_svg_picks_one_position_and_refuses_unknown_ones() -> None:
    assert figure_svg("clamshell", "end") == dict(figures_for("clamshell"))["end"]
    with pytest.raises(KeyError):
        figure_svg("clamshell", "middle")
    with pytest.raises(KeyError):
        figures_for("no-such-exercise")


# --------------------------------------------------------------------------------- forward kinematics


def _pose(**overrides: float) -> BodyPose:
    angles = dict.fromkeys(SEGMENT_NAMES, 0.0) | {"trunk": 180.0, "head": 180.0}
    angles |= {name.replace("__", "."): value for name, value in overrides.items()}
    return BodyPose(segments={name: SegmentAngle(deg=value) for name, value in angles.items()})


def test_direction_and_angle_of_are_inverses() -> None:
    assert direction(0) == pytest.approx((0.0, -1.0))
    assert direction(90) == pytest.approx((1.0, 0.0))
    assert direction(180) == pytest.approx((0.0, 1.0))
    for deg in range(0, 360, 7):
        assert angle_of((0.0, 0.0), direction(deg)) == pytest.approx(deg, abs=1e-9)


def test_standing_side_view_stacks_the_joints() -> None:
    joints = forward_kinematics(_pose(), FigureView.SIDE).joints
    assert joints["right.knee"] == pytest.approx((0.0, -SEGMENT_LENGTH_CM["thigh"]))
    assert joints["right.ankle"][1] == pytest.approx(
        -(SEGMENT_LENGTH_CM["thigh"] + SEGMENT_LENGTH_CM["shank"])
    )
    assert joints["neck"] == pytest.approx((0.0, SEGMENT_LENGTH_CM["trunk"]))
    assert joints["left.hip"] == joints["right.hip"] == (0.0, 0.0)


def test_front_view_puts_the_left_side_on_the_right_of_the_picture() -> None:
    joints = forward_kinematics(_pose(), FigureView.FRONT).joints
    assert joints["left.hip"][0] > 0 > joints["right.hip"][0]
    assert joints["left.shoulder"][0] > joints["left.hip"][0]


def test_a_level_thigh_and_an_out_of_plane_tilt() -> None:
    skeleton = forward_kinematics(_pose(right__thigh=90.0), FigureView.SIDE)
    assert skeleton.joints["right.knee"] == pytest.approx((SEGMENT_LENGTH_CM["thigh"], 0.0))
    assert segment_angles(skeleton)["right.thigh"] == pytest.approx(90.0)
    tilted = _pose().model_copy(
        update={"segments": _pose().segments | {"right.thigh": SegmentAngle(deg=0, out_deg=60)}}
    )
    knee = forward_kinematics(tilted, FigureView.SIDE).joints["right.knee"]
    assert knee[1] == pytest.approx(-SEGMENT_LENGTH_CM["thigh"] / 2)


def test_every_position_stands_on_the_floor_or_its_named_support() -> None:
    for ident in IDS:
        figure = KB.figures[ident]
        placed, _offset = place_figure(figure)
        for item in placed:
            rest = item.position.rest_on
            if rest is not None:
                assert item.skeleton.joints[rest.joint][1] == pytest.approx(rest.height_cm)
            low = min(y for _x, y in item.skeleton.joints.values())
            assert low > -12.0, f"{ident}/{item.position.name} sinks through the floor"


# ----------------------------------------------------------------- the poses match the steps' words


def _joints(ident: str, name: str) -> dict[str, tuple[float, float]]:
    placed, _offset = place_figure(KB.figures[ident])
    return next(p.skeleton.joints for p in placed if p.position.name == name)


def test_side_lying_abduction_raises_the_top_leg_30_to_40_degrees() -> None:
    for ident in ("side-lying-hip-abduction", "ankle-weight-side-lying-hip-abduction"):
        seg = KB.figures[ident].position("end").pose.segments
        trunk_line = (seg["trunk"].deg + 180.0) % 360.0  # the direction of the body towards the feet
        assert 30.0 <= seg["left.thigh"].deg - trunk_line <= 40.0
        assert seg["left.thigh"].deg == seg["left.shank"].deg  # knee straight


def test_clamshell_opens_the_top_knee_with_the_heels_together() -> None:
    start, end = _joints("clamshell", "start"), _joints("clamshell", "end")
    assert end["left.knee"][1] - start["left.knee"][1] > 15.0
    assert math.dist(end["left.ankle"], start["left.ankle"]) < 3.0


def test_single_leg_bridge_lifts_the_hips_with_the_other_leg_straight() -> None:
    start, end = _joints("single-leg-bridge", "start"), _joints("single-leg-bridge", "end")
    assert end["pelvis"][1] - start["pelvis"][1] > 15.0
    seg = KB.figures["single-leg-bridge"].position("end").pose.segments
    assert seg["left.thigh"].deg == seg["left.shank"].deg  # the free leg is straight
    assert _angle_gap(seg["trunk"].deg + 180.0, seg["right.thigh"].deg) < 2.0  # shoulder, hip, knee in line


def test_single_leg_deadlift_ends_with_the_trunk_near_level_and_the_free_leg_in_line() -> None:
    seg = KB.figures["single-leg-romanian-deadlift"].position("end").pose.segments
    assert _angle_gap(seg["trunk"].deg, 90.0) < 15.0
    assert _angle_gap(seg["trunk"].deg + 180.0, seg["left.thigh"].deg) < 2.0


# ------------------------------------------------------------------------------- the cross-file rule


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(default_data_dir(), target)
    return target


def _edit_figures(directory: Path, change: Any) -> None:
    path = directory / "figures.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _problems(directory: Path) -> list[str]:
    kb: KnowledgeBase = load_knowledge_base(directory, check=False)
    return check_knowledge_base(kb)


def test_a_missing_figure_is_caught(data_copy: Path) -> None:
    _edit_figures(data_copy, lambda d: d.update(figures=[f for f in d["figures"] if f["id"] != "clamshell"]))
    assert _problems(data_copy) == ["figures: no figures for exercise 'clamshell'"]
    with pytest.raises(KnowledgeBaseError, match="no figures for exercise 'clamshell'"):
        load_knowledge_base(data_copy)


def test_a_figure_for_an_unknown_exercise_is_caught(data_copy: Path) -> None:
    def add(doc: dict[str, Any]) -> None:
        doc["figures"].append(dict(doc["figures"][0], id="no-such-exercise"))

    _edit_figures(data_copy, add)
    assert _problems(data_copy) == ["figures/no-such-exercise: unknown exercise 'no-such-exercise'"]


def test_a_figure_without_its_equipment_is_caught(data_copy: Path) -> None:
    def drop_band(doc: dict[str, Any]) -> None:
        figure = next(f for f in doc["figures"] if f["id"] == "band-clamshell")
        figure["props"] = [p for p in figure["props"] if p["kind"] != "band"]

    _edit_figures(data_copy, drop_band)
    assert _problems(data_copy) == [
        "figures/band-clamshell: the exercise needs mini-band but the figure draws no band"
    ]


def test_the_schema_refuses_broken_figures() -> None:
    base = {
        "stand": {
            "trunk": 180,
            "head": 180,
            "left": dict.fromkeys(("thigh", "shank", "foot", "upper_arm", "forearm"), 0),
        }
    }
    figure = {"id": "clamshell", "orientation": "standing", "view": "side"}
    positions = [{"name": "start", "base": "stand"}, {"name": "end", "base": "stand"}]
    with pytest.raises(ValueError, match="missing segments"):  # the base pose has no right side
        FigureBook.model_validate({"base_poses": base, "figures": [figure | {"positions": positions}]})
    full = {"stand": base["stand"] | {"right": base["stand"]["left"]}}
    with pytest.raises(ValueError, match="unknown base"):
        FigureBook.model_validate(
            {
                "base_poses": full,
                "figures": [figure | {"positions": [*positions, {"name": "x", "base": "sit"}]}],
            }
        )
    with pytest.raises(ValueError, match="must start with 'start'"):
        FigureBook.model_validate({"base_poses": full, "figures": [figure | {"positions": positions[::-1]}]})
    with pytest.raises(ValueError, match="needs at, to"):
        FigureBook.model_validate(
            {"base_poses": full, "figures": [figure | {"positions": positions, "props": [{"kind": "strap"}]}]}
        )
