"""The chain as a user runs it: analyze -> assess -> program, each command fed the real output of the last.

The gait verdicts are the analyzer's: every leg it flagged or called borderline comes back as a gait finding
with its value, band and quality, the program answers each one, and a fault the recording could not judge is
a gap with filming advice, never a "no".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .conftest import EXAMPLES, read_json, run_cli

INTAKE = EXAMPLES / "itb-crossover.yaml"


def _judged(gait: dict[str, Any], verdicts: tuple[str, ...]) -> set[tuple[str, str]]:
    return {(f["fault_id"], f["side"]) for f in gait["faults"] if f["verdict"] in verdicts}


def test_every_flagged_leg_becomes_a_gait_finding(fukuchi_gait: Path) -> None:
    gait = read_json(fukuchi_gait)
    shown = _judged(gait, ("flagged", "borderline"))
    assert ("cross-over-gait", "left") in shown  # RBDS001 lands across the midline on both legs
    assessment = json.loads(run_cli("assess", str(INTAKE), "--gait", str(fukuchi_gait), "--json"))
    legs = {(leg["fault_id"], leg["side"]) for g in assessment["gait_findings"] for leg in g["legs"]}
    assert legs == shown
    for finding in assessment["gait_findings"]:
        for leg in finding["legs"]:
            source = next(
                f for f in gait["faults"] if (f["fault_id"], f["side"]) == (leg["fault_id"], leg["side"])
            )
            assert leg["verdict"] == source["verdict"]  # copied, never re-judged
            assert leg["value"] == source["value"]
            assert leg["quality"] == source["quality"]
            assert leg["normal_band"]
    assert set(assessment["gait"]["flagged_faults"]) == {f for f, _ in _judged(gait, ("flagged",))}
    overload = next(f for f in assessment["findings"] if f["id"] == "gait-fault-driven-overload")
    assert overload["status"] == "present"


def test_the_program_answers_what_the_video_found(fukuchi_gait: Path) -> None:
    gait = read_json(fukuchi_gait)
    with_gait = json.loads(run_cli("program", str(INTAKE), "--gait", str(fukuchi_gait), "--json"))
    without = json.loads(run_cli("program", str(INTAKE), "--json"))
    answered = {(a["fault_id"], a["side"]) for a in with_gait["gait_answers"]}
    assert answered == _judged(gait, ("flagged", "borderline"))
    for answer in with_gait["gait_answers"]:
        assert answer["cue_ids"] or answer["exercise_ids"], answer
    assert without["gait_answers"] == []
    assert with_gait["running_cues"] != without["running_cues"]


def test_a_side_only_recording_leaves_rear_faults_as_gaps(tmp_path: Path) -> None:
    side_only = tmp_path / "side"
    root = EXAMPLES.parents[1] / "tests" / "data" / "mocap" / "fukuchi_rbds"
    run_cli(
        "analyze",
        str(root / "RBDS001runT35.c3d"),
        "--static",
        str(root / "RBDS001static.c3d"),
        "--view",
        "side",
        "--out",
        str(side_only),
    )
    result = side_only / "result.json"
    assessment = json.loads(run_cli("assess", str(INTAKE), "--gait", str(result), "--json"))
    gaps = {g["fault_id"]: g for g in assessment["gait"]["not_judged"]}
    assert {"contralateral-pelvic-drop", "cross-over-gait", "excess-hip-adduction"} <= set(gaps)
    assert "rear" in gaps["cross-over-gait"]["reason"]
    assert "behind" in gaps["cross-over-gait"]["advice"]
    assert "cross-over-gait" not in assessment["gait"]["within"]
    itb = next(f for f in assessment["findings"] if f["id"] == "itb-syndrome-like")
    assert itb["status"] != "absent"  # unknown is not "no": cross-over was not seen, not ruled out
