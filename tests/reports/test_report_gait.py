"""The HTML running-assessment report, on real side-view keypoints and a rear view projected from mocap."""

from __future__ import annotations

import copy
import re
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from glutemed.config import AnalysisConfig, load_config
from glutemed.core.view import View
from glutemed.io import write_keypoints_json
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.reports.gait_html import render_gait_report, write_gait_report
from glutemed.services.analyze import Recording, analyze_file, build_result

TESTS = Path(__file__).resolve().parents[1]
POSE = TESTS / "data" / "video" / "male_side_treadmill" / "male_side.pose.json"
VOID = {"meta", "br", "img", "input", "link", "hr", "wbr", "source", "col", "area", "base"}


class TagChecker(HTMLParser):
    """Collects tags and checks that every opened element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_startendtag(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "xlink:href"} and value and not value.startswith(("#", "data:")):
                self.problems.append(f"<{tag} {name}={value!r}> needs a file beside the page")

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(page: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(page)
    checker.close()
    assert checker.problems == []
    assert checker.stack == []
    return checker


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return knowledge_base()


@pytest.fixture(scope="module")
def config() -> AnalysisConfig:
    return load_config()


@pytest.fixture(scope="module")
def side(kb: KnowledgeBase, config: AnalysisConfig) -> Recording:
    return analyze_file(POSE, kb=kb, config=config)


@pytest.fixture(scope="module")
def rear(kb: KnowledgeBase, config: AnalysisConfig, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """Fukuchi 2017 mocap filmed by a virtual rear camera at 60 fps, as the validation harness does."""
    sys.path.insert(0, str(TESTS / "validation"))
    try:
        from validation_harness import Setup, fukuchi, record
    finally:
        sys.path.remove(str(TESTS / "validation"))
    path = tmp_path_factory.mktemp("rear") / "fukuchi_rear.json"
    write_keypoints_json(record(fukuchi(), Setup(View.REAR, 60.0)), path)
    return analyze_file(path, kb=kb, config=config, view="rear")


@pytest.fixture(scope="module")
def side_page(side: Recording, kb: KnowledgeBase, config: AnalysisConfig) -> tuple[dict[str, Any], str]:
    result = build_result([side], config)
    return result, render_gait_report(result, [side], kb)


def test_side_report_parses_and_is_self_contained(side_page: tuple[dict[str, Any], str]) -> None:
    _, page = side_page
    checker = parse(page)
    assert "svg" in checker.tags or "img" in checker.tags
    assert page.count("<svg") >= 3  # time plot, per-stance plots, asymmetry
    assert "Knee flexion over time" in page
    assert "Left-right asymmetry" in page
    assert "<link" not in page
    assert "<script" not in page
    assert "male_side.pose.json" in page


def test_side_report_names_every_fault_and_citation(
    side_page: tuple[dict[str, Any], str], kb: KnowledgeBase
) -> None:
    result, page = side_page
    text = "".join(parse(page).text)
    for fault in result["faults"]:
        assert fault["fault_id"] in text
        assert kb.references[fault["ref"]].citation() in text
    for fault in kb.gait_faults.values():
        assert fault.definition in text
        if fault.sdd:
            assert kb.references[fault.sdd.ref].citation() in text
    words = {"verified": "verified", "secondary": "secondary source", "unverified": "unverified threshold"}
    for fault in result["faults"]:
        assert words[fault["verification"]] in text  # each threshold says how well it was checked


def test_side_only_report_says_what_it_could_not_see(side_page: tuple[dict[str, Any], str]) -> None:
    result, page = side_page
    assert result["missing_views"] == ["rear/front"]
    assert "What we could not see" in page
    text = " ".join("".join(parse(page).text).split())
    assert "Views: side (missing: rear/front)" in text
    assert "Pelvic drop, Cross-over gait, Knee valgus, Hip adduction: no video was taken from behind." in text
    assert "How to film it: Film from behind at hip height" in text
    assert "Film from behind or from the front as well" in text  # the first of the next actions


def test_low_quality_side_clip_gets_filming_advice(
    side_page: tuple[dict[str, Any], str], side: Recording, kb: KnowledgeBase
) -> None:
    result, page = side_page
    assert result["recordings"][0]["fps_hz"] < result["config"]["quality"]["good_fps_hz"]
    assert "How to film better next time" in page
    assert "Filmed at 30.0 fps" in page
    few = copy.deepcopy(result)
    few["recordings"][0]["n_stances"] = {"left": 5, "right": 9}
    text = "".join(parse(render_gait_report(few, [side], kb)).text)
    assert "At least 7 per leg are needed" in text
    assert kb.references["dingenen2018a"].citation() in text


def test_file_name_is_escaped(side: Recording, kb: KnowledgeBase, config: AnalysisConfig) -> None:
    odd = replace(side, path=Path("run<script>alert('x')<b>&.json"))
    page = render_gait_report(build_result([odd], config), [odd], kb)
    assert "<script>" not in page
    assert "<b>" not in page
    assert "run&lt;script&gt;alert(&#39;x&#39;)&lt;b&gt;&amp;.json" in page  # Jinja2 autoescape
    assert "run<script>alert('x')<b>&.json" in "".join(parse(page).text)


def test_rear_report_plots_pelvic_obliquity(
    rear: Recording, kb: KnowledgeBase, config: AnalysisConfig
) -> None:
    result = build_result([rear], config)
    page = render_gait_report(result, [rear], kb)
    text = " ".join("".join(parse(page).text).split())
    assert "Pelvic obliquity over time" in page
    assert "Pelvic drop: every stance" in page
    assert "Pelvic drop over stance" in page
    assert "Hip adduction over stance" in page
    assert "_deg" not in "".join(re.findall(r"<svg.*?</svg>", page, flags=re.S))  # plot titles in words
    assert result["missing_views"] == ["side"]
    assert "no video was taken from the side" in text


def test_rear_and_side_together_have_no_missing_view_box(
    rear: Recording, side: Recording, kb: KnowledgeBase, config: AnalysisConfig, tmp_path: Path
) -> None:
    result = build_result([rear, side], config)
    out = write_gait_report(result, [rear, side], kb, tmp_path / "report" / "gait.html")
    page = out.read_text(encoding="utf-8")
    parse(page)
    assert "Views: rear, side" in " ".join("".join(parse(page).text).split())
    assert "(missing:" not in page
    assert "Pelvic obliquity over time" in page
    assert "Knee flexion over time" in page
    assert sorted(p.name for p in out.parent.iterdir()) == ["gait.html"]  # no temporary file left


def test_write_leaves_nothing_when_rendering_fails(
    side: Recording, kb: KnowledgeBase, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="same order"):
        write_gait_report(build_result([side], load_config()), [side, side], kb, tmp_path / "gait.html")
    assert list(tmp_path.iterdir()) == []
