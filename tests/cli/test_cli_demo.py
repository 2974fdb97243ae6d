"""`glutemed demo`, the main job of `make run`, end to end on the bundled sample."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from glutemed.cli.app import app


def test_demo_writes_gait_assessment_and_program(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Program" in result.output
    # Short (issue 12): a summary, then the one file to open first and the next two; the rest in one line.
    assert len(result.output.splitlines()) < 45, result.output
    flat = re.sub(r"\s+", "", result.output)
    assert f"Openfirst:{out / 'report.html'}(thegaitreport" in flat
    assert f"Then:{out / 'runner-summary.html'}" in flat
    assert f"{out / 'program.html'}(theprogramhandout)" in flat
    assert f"Otherfilesin{out}/:gait/" in flat
    assert "Mainfindings:" in flat
    gait = json.loads((out / "gait" / "result.json").read_text(encoding="utf-8"))
    assert gait["recordings"][0]["view"] == "side"
    assert abs(gait["recordings"][0]["cadence_spm"] - 168.9) <= 0.5
    assessment = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    program = json.loads((out / "program.json").read_text(encoding="utf-8"))
    # One chain: what the video found is what the assessment and the program answer, leg by leg.
    shown = {(f["fault_id"], f["side"]) for f in gait["faults"] if f["verdict"] in ("flagged", "borderline")}
    legs = {(leg["fault_id"], leg["side"]) for g in assessment["gait_findings"] for leg in g["legs"]}
    assert (
        shown
    )  # the bundled clip shows at least one fault (overstriding on the right at the time of writing)
    assert legs == shown
    assert {(a["fault_id"], a["side"]) for a in program["gait_answers"]} == shown
    not_judged = {f["fault_id"] for f in gait["faults"] if f["verdict"] == "not-enough-data"}
    gaps = {g["fault_id"] for g in assessment["gait"]["not_judged"]}
    assert gaps == not_judged - {f for f, _ in shown} - set(assessment["gait"]["within"])
    assert "contralateral-pelvic-drop" in gaps  # side view only: a gap, not a "no"
    ics = (out / "program.ics").read_text(encoding="utf-8")
    assert ics.startswith("BEGIN:VCALENDAR")
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in report
    assert "contralateral-pelvic-drop" in report
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    assert (out / "overlay.mp4").stat().st_size > 10_000
    assert "Pictures that show the fault" in report
    summary = (out / "runner-summary.html").read_text(encoding="utf-8")
    assert "What we found" in summary
    assert "contralateral-pelvic-drop" not in summary  # the runner's version has no ids
    assert (out / "program.pdf").read_bytes().startswith(b"%PDF")
    handout = (out / "program.html").read_text(encoding="utf-8")
    assert "<h2>Phase 1:" in handout
    assert "What the assessment found" in handout
    assert not list(out.rglob("*.part"))
