"""load -> assess -> program with the real output of each command: the load command's judgement is the one
the assessment uses (a spike is a spike, a weekly rise only a caution), and the program says so."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from glutemed.cli.app import app

from .test_load_contract import spike_and_caution_dir  # noqa: F401  (the hand-built history fixture)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runners"


def _run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_a_spike_in_the_history_becomes_a_finding(spike_and_caution_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    load_json = tmp_path / "load.json"
    load_json.write_text(_run("load", str(spike_and_caution_dir), "--json"), encoding="utf-8")
    judgement = json.loads(load_json.read_text(encoding="utf-8"))["judgement"]
    assessment = json.loads(
        _run("assess", str(EXAMPLES / "female-lateral-hip-pain.yaml"), "--load", str(load_json), "--json")
    )
    assert assessment["load"]["max_session_pct_of_longest"] == judgement["max_session_pct_of_longest"]
    status = {f["id"]: f["status"] for f in assessment["findings"]}
    assert status["training-load-spike"] == "present"
    assert status["training-load-caution"] == "present"
    spike = next(f for f in assessment["findings"] if f["id"] == "training-load-spike")
    assert any("160%" in used for used in spike["inputs_used"])


def test_a_quiet_history_is_no_spike(tmp_path: Path) -> None:
    history = Path(__file__).resolve().parents[1] / "data" / "activities"
    load_json = tmp_path / "load.json"
    load_json.write_text(_run("load", str(history), "--json"), encoding="utf-8")
    assessment = json.loads(
        _run("assess", str(EXAMPLES / "female-lateral-hip-pain.yaml"), "--load", str(load_json), "--json")
    )
    status = {f["id"]: f["status"] for f in assessment["findings"]}
    assert status["training-load-spike"] != "present"


def test_a_hand_made_load_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "load.json"
    bad.write_text(json.dumps({"weeks": [{"weekly_increase_pct": 4700}]}), encoding="utf-8")
    result = CliRunner().invoke(
        app, ["assess", str(EXAMPLES / "female-lateral-hip-pain.yaml"), "--load", str(bad)]
    )
    assert result.exit_code == 2
    assert "load.json" in result.output
    assert "not a glutemed load result" in result.output
