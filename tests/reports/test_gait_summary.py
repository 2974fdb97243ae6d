"""The gait report's summary first, the runner's plain-words version, and a PDF that fits A4 and Letter.

Real bundled data: the sample clip's keypoints (side view). Where a test needs a flagged or borderline finding,
it edits the verdict in a copy of the result, as the analyzer would have written it: the report must show
whatever the analyzer decided, in order, without judging the values again.
"""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from glutemed.config import load_config
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.reports.gait_html import render_gait_report
from glutemed.services.analyze import Recording, analyze_file, build_result

POSE = Path(__file__).resolve().parents[1] / "data" / "video" / "male_side_treadmill" / "male_side.pose.json"
JARGON = ("SDD", "IQR", "z =", "median", "percentile", "quality 0", "±")


class Text(HTMLParser):
    """Visible text (no style or script) and the order of section ids and headings."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.marks: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"style", "script"}:
            self.skip += 1
        found = dict(attrs)
        if tag == "section" and found.get("id"):
            self.marks.append(f"section#{found['id']}")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"style", "script"}:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def visible(page: str) -> Text:
    parser = Text()
    parser.feed(page)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return knowledge_base()


@pytest.fixture(scope="module")
def side(kb: KnowledgeBase) -> Recording:
    return analyze_file(POSE, kb=kb, config=load_config())


@pytest.fixture(scope="module")
def result(side: Recording) -> dict[str, Any]:
    return build_result([side], load_config())


def _set(result: dict[str, Any], changes: dict[tuple[str, str], tuple[str, float]]) -> dict[str, Any]:
    """A copy with some legs' verdict and quality replaced."""
    out = copy.deepcopy(result)
    for fault in out["faults"]:
        key = (fault["fault_id"], fault["side"])
        if key in changes:
            fault["verdict"], fault["quality"] = changes[key]
    return out


def _cards(page: str) -> list[str]:
    """The findings of the summary, as 'verdict-class label' strings, in page order."""
    summary = page.split('id="summary"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r'<li class="finding finding-([a-z-]+)">(.*?)</li>', summary, flags=re.S)
    out = []
    for verdict, body in items:
        words = re.sub(r'<span class="v [^"]*">[^<]*</span>', "", body)  # the badge repeats the verdict
        out.append(f"{verdict} {' '.join(re.sub(r'<[^>]+>', '', words).split())}")
    return out


def test_summary_comes_first(result: dict[str, Any], side: Recording, kb: KnowledgeBase) -> None:
    page = render_gait_report(result, [side], kb)
    main = page.split("<main>", 1)[1]
    assert main.lstrip().startswith('<section id="summary"')
    for later in ("Metrics against reference bands", "Verdict per leg", "Recordings", "Plots"):
        assert page.index('id="summary"') < page.index(later)
    summary = visible(main.split("</section>", 1)[0]).text
    assert "Filmed: male_side.pose.json (from the side, 12 s, 16 left and 16 right stances)" in summary
    assert "Analysed " in summary
    assert "Views: side (missing: rear/front)" in summary
    assert "Next actions" in summary


def test_at_most_three_findings_flagged_then_borderline_then_by_quality(
    result: dict[str, Any], side: Recording, kb: KnowledgeBase
) -> None:
    edited = _set(
        result,
        {
            ("overstride", "left"): ("borderline", 0.51),
            ("stiff-landing", "right"): ("flagged", 0.30),
            ("overstride", "right"): ("flagged", 0.45),
        },
    )
    cards = _cards(render_gait_report(edited, [side], kb))
    assert len(cards) == 3
    assert cards[0].startswith("flagged Overstriding, right leg")  # flagged, higher quality
    assert cards[1].startswith("flagged Stiff landing, right leg")  # flagged, lower quality
    assert cards[2].startswith("borderline Overstriding, left leg")
    assert "normal band: below 11.6 deg" in cards[0]
    assert "The foot lands well in front of the body" in cards[0]  # what it means, in one sentence
    assert "normal band: 31.1-49.7 deg" in cards[1]


def test_nothing_flagged_says_so_and_shows_the_nearest(
    result: dict[str, Any], side: Recording, kb: KnowledgeBase
) -> None:
    page = render_gait_report(result, [side], kb)
    assert "No fault was flagged or borderline" in visible(page).text
    cards = _cards(page)
    assert len(cards) == 3
    assert all(c.startswith("within ") for c in cards)
    # the left knee (32.0 deg) sits closest to its borderline (31.1 deg) of all the judged legs
    assert cards[0].startswith("within Peak knee bend in stance, left leg")


def test_not_judged_faults_fold_into_one_box(
    result: dict[str, Any], side: Recording, kb: KnowledgeBase
) -> None:
    page = render_gait_report(result, [side], kb)
    summary = page.split('id="summary"', 1)[1].split("</section>", 1)[0]
    assert summary.count("What we could not see") == 1
    box = visible(summary.split("What we could not see", 1)[1]).text
    not_judged = {f["fault_id"] for f in result["faults"] if f["verdict"] == "not-enough-data"}
    for fault_id in not_judged:
        fault = kb.gait_faults[fault_id]
        assert (fault.short_name or fault.name) in box
    assert box.count("How to film it") == 1  # all four need the same rear view
    assert "Film from behind at hip height" in box
    for card in _cards(page):  # a not-judged fault is never one of the findings
        assert "not judged" not in card


def test_actions_answer_flagged_findings_with_the_knowledge_base_cue(
    result: dict[str, Any], side: Recording, kb: KnowledgeBase
) -> None:
    edited = _set(result, {("stiff-landing", "right"): ("flagged", 0.5)})
    summary = visible(render_gait_report(edited, [side], kb).split("</section>", 1)[0]).text
    actions = summary.split("Next actions", 1)[1]
    assert kb.gait_faults["stiff-landing"].cues[0] in actions
    assert "Film from behind" in actions
    assert actions.count(". ") <= 6  # three actions, no more


def test_runner_summary_has_no_ids_and_no_statistics(
    result: dict[str, Any], side: Recording, kb: KnowledgeBase
) -> None:
    edited = _set(result, {("stiff-landing", "right"): ("flagged", 0.5)})
    page = render_gait_report(edited, [side], kb, audience="runner")
    text = visible(page).text
    body = re.sub(r"<style>.*?</style>", "", page, flags=re.S).replace(POSE.name, "")
    assert "For the runner" in text
    assert "Your running video: summary" in text
    for fault_id in kb.gait_faults:
        assert fault_id not in body
    for fault in edited["faults"]:
        assert fault["metric"] not in body
    assert not re.search(r"\b[a-z]+(?:_[a-z0-9]+)+\b", body)  # no snake_case names at all (but the file's)
    for word in JARGON:
        assert word not in text, word
    assert "Stiff landing" in text
    assert "What we could not see" in text
    assert "What to do next" in text
    assert "<svg" not in page  # plots stay in the clinician report


def test_audience_and_page_size_are_checked(
    result: dict[str, Any], side: Recording, kb: KnowledgeBase
) -> None:
    with pytest.raises(ValueError, match="audience"):
        render_gait_report(result, [side], kb, audience="coach")  # type: ignore[arg-type]
    assert "size:Letter" in render_gait_report(result, [side], kb, page_size="Letter")
    assert "size:A4" in render_gait_report(result, [side], kb, audience="runner")


def _boxes(box: Any) -> Any:
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def _page_text(page: Any) -> str:
    return " ".join(b.text for b in _boxes(page._page_box) if type(b).__name__ == "TextBox")


@pytest.mark.parametrize("size", ["A4", "Letter"])
def test_pdf_tables_fit_the_page_and_the_summary_is_page_one(
    result: dict[str, Any], side: Recording, kb: KnowledgeBase, size: str
) -> None:
    weasyprint = pytest.importorskip("weasyprint")
    page = render_gait_report(result, [side], kb, page_size=size)  # type: ignore[arg-type]
    document = weasyprint.HTML(string=page).render()
    first = _page_text(document.pages[0])
    assert "Main findings" in first
    assert "What we could not see" in first
    assert "Metrics against reference bands" not in first
    for sheet in document.pages:
        right_edge = sheet.width - sheet._page_box.margin_right
        for box in _boxes(sheet._page_box):
            if type(box).__name__ in {"TableBox", "TableRowBox"}:
                assert box.position_x + box.margin_width() <= right_edge + 1.0
            if type(box).__name__ == "TableRowBox":
                assert box.height < 0.25 * sheet.height  # no row half a page tall
