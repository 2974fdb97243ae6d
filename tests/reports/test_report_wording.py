"""Wording the visual reviewers found in the real pages (issue 12), checked on the pages glutemed writes.

The demo runner with the bundled side-view keypoints: a side view leaves four faults not judged (two causes),
combines two running cues and swaps pre-run exercises, so every fixed sentence appears.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from glutemed.cli.app import app
from glutemed.reports.gait_details import pose_notes

ROOT = Path(__file__).resolve().parents[2]
POSE = ROOT / "tests" / "data" / "video" / "male_side_treadmill" / "male_side.pose.json"
DEMO_RUNNER = ROOT / "src" / "glutemed" / "demo" / "runner.yaml"
RED_FLAGS = ROOT / "examples" / "runners" / "red-flags.yaml"


def _text(page: str) -> str:
    page = re.sub(r"<(style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _invoke(*args: str | Path) -> None:
    done = CliRunner().invoke(app, [str(a) for a in args])
    assert done.exit_code == 0, done.output


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("wording")
    _invoke("analyze", POSE, "--out", tmp / "gait", "--report", tmp / "report.html")
    _invoke("program", DEMO_RUNNER, "--gait", tmp / "gait" / "result.json", "--html", tmp / "program.html")
    return {name: (tmp / name).read_text(encoding="utf-8") for name in ("report.html", "program.html")}


def test_handout_groups_the_gaps_by_cause_with_one_capitalised_advice(pages: dict[str, str]) -> None:
    text = _text(pages["program.html"])
    gaps = text.split("Not judged from the video", 1)[1].split("Week by week", 1)[0]
    assert (
        "Cross-over gait, dynamic knee valgus and excessive hip adduction (needs a front or rear view)"
        in gaps
    )
    assert gaps.count("Film from behind") == 2  # one advice per cause, not one per fault
    assert not re.search(r"\. [a-z]", gaps.replace("3 m", "")), gaps  # every sentence opens with a capital
    notes = text.split("Notes", 1)[1].split("Sources", 1)[0]
    assert "not judged" not in notes  # said once, in the gaps


def test_handout_has_no_internal_names_or_bare_source_numbers(pages: dict[str, str]) -> None:
    text = _text(pages["program.html"])
    assert not re.search(r"Sources [\d\[]", text)  # "Sources for this table: [1, 2]", never "Sources 1, 2."
    for internal in (
        "Cues '",
        "stage compound",
        "stage isolated",
        "Gait-fault-driven",
        "Patellofemoral-pain-like",
    ):
        assert internal not in text
    assert "Overload from the way you run" in text


def test_combined_cues_read_as_plain_sentences() -> None:
    """Core builds the note and the why from ids; the handout's words put the names in, lower case mid-sentence."""
    from glutemed.core.gait_answers import RunningCue, _reconcile
    from glutemed.knowledge.loader import knowledge_base
    from glutemed.knowledge.rules import bundled_rules
    from glutemed.reports.program_words import Words

    conflicts = bundled_rules().programming().cue_conflicts
    cues = [
        RunningCue("cadence-increase", ("overstride",), "c", "w", ()),
        RunningCue("soft-landing", ("stiff-landing",), "c", "w", ()),
    ]
    merged, notes = _reconcile(cues, conflicts)
    words = Words(knowledge_base())
    note, why = words.plain(notes[0]), words.plain(merged[0].why)
    assert note.startswith("The running cues for overstriding and for stiff landing"), note
    assert why.startswith("The gait shows overstriding and stiff landing"), why
    assert "'" not in note.split(":")[0]  # no quoted cue ids


def test_gait_report_says_the_settings_in_words(pages: dict[str, str]) -> None:
    text = _text(pages["report.html"])
    assert "good_fps_hz" not in text
    assert "min_fps_hz" not in text
    assert "recommend at least 60 fps" in text


def test_pose_notes_are_sentences() -> None:
    result = {
        "recordings": [{"path": "a.mp4", "pose": {"quality_notes": "the pose model misplaced x | ok."}}]
    }
    assert [n["note"] for n in pose_notes(result)] == ["The pose model misplaced x.", "Ok."]


def test_clinician_referral_names_no_file(tmp_path: Path) -> None:
    sheet = tmp_path / "referral.html"
    done = CliRunner().invoke(
        app, ["program", str(RED_FLAGS), "--referral-for", "clinician", "--html", str(sheet)]
    )
    assert done.exit_code != 0  # red flags stop the program
    text = _text(sheet.read_text(encoding="utf-8"))
    assert "red_flags.yaml" not in text
    assert "glutemed's red-flag rules" in text
    json.dumps(text)  # plain text, no markup left
