"""Report media on the sample side-view video: annotated MP4, stance stills and the PDF report."""

from __future__ import annotations

import base64
import re
import zlib
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from tests.reports.video_facts import video_facts

from glutemed.config import load_config
from glutemed.core.faults import Verdict
from glutemed.io import InputFileError
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.reports.gait_html import render_gait_report, write_gait_pdf
from glutemed.reports.overlay import (
    Still,
    highlighted_stance,
    shown_stances,
    stance_stills,
    worst_words,
    write_overlay_video,
)
from glutemed.services.analyze import Recording, analyze_file, build_result

CLIP = Path(__file__).resolve().parents[1] / "data" / "video" / "male_side_treadmill"
VIDEO = CLIP / "male_side.mp4"
WIDTH_PX, HEIGHT_PX = 720, 1280  # the sample video, upright


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return knowledge_base()


@pytest.fixture(scope="module")
def side(kb: KnowledgeBase) -> Recording:
    """The video's stored keypoints (pixels, same frames) analysed, with the video as the recording's path."""
    recording = analyze_file(CLIP / "male_side.pose.json", kb=kb, config=load_config())
    return replace(recording, path=VIDEO)


@pytest.fixture(scope="module")
def stills(side: Recording) -> list[Still]:
    return stance_stills(VIDEO, side)


def _flag(recording: Recording, fault_id: str, side: str) -> Recording:
    """The same stances with one leg's verdict set to flagged (what the analyzer says, not a re-judgement)."""
    verdicts = [
        replace(v, verdict=Verdict.FLAGGED) if (v.fault_id, v.side) == (fault_id, side) else v
        for v in recording.verdicts
    ]
    return replace(recording, verdicts=verdicts)


def test_overlay_has_the_input_frames_and_size(side: Recording, tmp_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    out = write_overlay_video(
        VIDEO, side, tmp_path / "overlay.mp4", max_frames=90, progress=lambda d, t: calls.append((d, t))
    )
    _, frames, size = video_facts(out)
    assert size == (WIDTH_PX, HEIGHT_PX)
    assert frames == 90
    assert calls[-1] == (90, 90)
    assert [p.name for p in tmp_path.iterdir()] == ["overlay.mp4"]


def test_overlay_of_a_bad_video_leaves_no_file(side: Recording, tmp_path: Path) -> None:
    fake = tmp_path / "in" / "fake.mp4"
    fake.parent.mkdir()
    fake.write_text("not a video")
    out_dir = tmp_path / "out"
    with pytest.raises(InputFileError):
        write_overlay_video(fake, side, out_dir / "overlay.mp4")
    assert list(out_dir.iterdir()) == []


def test_nothing_flagged_shows_a_typical_stance_of_each_leg(side: Recording) -> None:
    assert not any(v.verdict in (Verdict.FLAGGED, Verdict.BORDERLINE) for v in side.verdicts)
    shown = shown_stances(side)
    assert [(s.kind, s.side) for s in shown] == [("typical", "left"), ("typical", "right")]
    assert highlighted_stance(side) is None  # the overlay marks no "worst" stance when nothing is flagged
    for s in shown:
        leg = [x.knee_flexion_peak_stance_deg for x in side.engine.stances_.stances if x.side == s.side]
        assert abs(s.value - np.median(leg)) == min(abs(v - np.median(leg)) for v in leg)


@pytest.mark.parametrize(
    ("fault_id", "leg", "pick"), [("stiff-landing", "right", np.min), ("reduced-stiffness", "left", np.max)]
)
def test_flagged_fault_shows_its_own_direction_on_its_own_leg(
    side: Recording, fault_id: str, leg: str, pick: Any
) -> None:
    flagged = _flag(side, fault_id, leg)
    shown = shown_stances(flagged)
    assert [(s.kind, s.side) for s in shown] == [("worst", leg), ("typical", leg)]
    values = [x.knee_flexion_peak_stance_deg for x in side.engine.stances_.stances if x.side == leg]
    assert shown[0].value == pytest.approx(pick(values))
    worst = highlighted_stance(flagged)
    assert worst == shown[0]
    expected = "least knee bend" if fault_id == "stiff-landing" else "most knee bend"
    assert worst_words(worst.target.metric, worst.target.direction) == expected
    assert worst.title.startswith(f"{leg} leg, step ")
    assert worst.strike_time_s <= worst.frame_time_s <= worst.toe_off_time_s


def test_stills_are_pngs_cropped_around_the_runner(stills: list[Still]) -> None:
    assert [(s.kind, s.side) for s in stills] == [("typical", "left"), ("typical", "right")]
    for still in stills:
        assert still.uri.startswith("data:image/png;base64,")
        png = np.frombuffer(base64.b64decode(still.uri.split(",", 1)[1]), dtype=np.uint8)
        image = cv2.imdecode(png, cv2.IMREAD_COLOR)
        assert image is not None
        height, width = image.shape[:2]
        assert height <= HEIGHT_PX
        assert width <= WIDTH_PX
        assert width >= 0.5 * height  # widened so the labels fit
        assert still.angle_text.startswith("knee bend on this frame")


def _pdf_pages(data: bytes) -> int:
    """Page objects, also inside compressed object streams."""
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    for match in re.finditer(rb"stream\r?\n", data):
        try:
            inflated = zlib.decompressobj().decompress(data[match.end() : match.end() + 4_000_000])
        except zlib.error:
            continue
        pages += len(re.findall(rb"/Type\s*/Page\b", inflated))
    return pages


def _replaced(box: Any, seen: Counter[str]) -> Counter[str]:
    image = getattr(box, "replacement", None)
    if image is not None:
        seen[type(image).__name__] += 1
    for child in getattr(box, "children", None) or []:
        _replaced(child, seen)
    return seen


def test_pdf_report_with_stills(
    side: Recording, kb: KnowledgeBase, stills: list[Still], tmp_path: Path
) -> None:
    result = build_result([side], load_config())
    assert "Pictures that show the fault" not in render_gait_report(result, [side], kb)
    page = render_gait_report(result, [side], kb, stills, page_size="Letter")
    assert "Pictures that show the fault" in page
    assert "size:Letter" in page
    assert page.count("data:image/png;base64,") == 2
    pdf = write_gait_pdf(page, tmp_path / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    assert _pdf_pages(pdf) >= 2
    weasyprint = pytest.importorskip("weasyprint")
    seen: Counter[str] = Counter()
    for sheet in weasyprint.HTML(string=page).render().pages:
        _replaced(sheet._page_box, seen)
    assert seen["SVGImage"] == page.count("<svg")  # every inline plot is drawn
    assert seen["RasterImage"] == 2


def test_failed_pdf_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(self: Path, target: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_gait_pdf("<html><body><p>x</p></body></html>", tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []


def test_flagged_stills_in_both_reports(side: Recording, kb: KnowledgeBase) -> None:
    """Too little knee bend on the right: the right leg's least-bent stance beside its typical one, in the
    clinician report with how it was chosen and in the runner's summary in plain words."""
    flagged = _flag(side, "stiff-landing", "right")
    stills = stance_stills(VIDEO, flagged)
    assert [(s.kind, s.side) for s in stills] == [("worst", "right"), ("typical", "right")]
    result = build_result([flagged], load_config())
    clinician = render_gait_report(result, [flagged], kb, stills)
    assert "Stiff landing, right leg" in clinician
    assert "Least knee bend, right leg (step " in clinician
    assert "the stance furthest in the fault&#39;s direction (below the band)" in clinician
    runner = render_gait_report(result, [flagged], kb, stills, audience="runner")
    assert "Pictures of what stood out" in runner
    assert "Least knee bend, right leg (step " in runner
    assert "median" not in runner
    assert "stiff-landing" not in runner
