"""`glutemed analyze` on real keypoints (RTMPose, side view) and on broken input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from glutemed.cli.app import app
from glutemed.io import write_keypoints_json

DATA = Path(__file__).resolve().parents[1] / "data" / "video" / "male_side_treadmill"
POSE = DATA / "male_side.pose.json"
GROUND_TRUTH_CADENCE_SPM = 168.9  # male_side.groundtruth.json, measured from pixels by the data's authors

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_side_video_keypoints_give_cadence_and_side_faults(tmp_path: Path) -> None:
    out = tmp_path / "result"
    code, stdout = invoke("analyze", str(POSE), "--out", str(out), "--json")
    assert code == 0, stdout
    result = json.loads(stdout)
    assert result["schema"] == "glutemed.gait/v1"
    assert result["glutemed_version"]
    rec = result["recordings"][0]
    assert rec["view"] == "side"
    assert rec["view_detected"] is True
    assert abs(rec["cadence_spm"] - GROUND_TRUTH_CADENCE_SPM) <= 0.5
    assert len(rec["sha256"]) == 64
    assert result["missing_views"] == ["rear/front"]
    faults = {(f["fault_id"], f["side"]): f for f in result["faults"]}
    # a side view cannot judge pelvic drop: it says so instead of guessing
    assert faults[("contralateral-pelvic-drop", "left")]["verdict"] == "not-enough-data"
    assert "rear" in faults[("contralateral-pelvic-drop", "left")]["reason"]
    knee = faults[("reduced-stiffness", "left")]
    assert knee["verdict"] in {"within", "borderline", "flagged"}
    assert knee["ref"]
    assert knee["value"] is not None
    assert 10 < knee["value"] < 70
    assert sorted(p.name for p in out.iterdir()) == [
        "male_side.pose.side.filtered.trc",
        "result.json",
        "stances.csv",
    ]
    with (out / "stances.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 14
    assert {"side", "strike_time_s", "knee_flexion_peak_stance_deg"} <= set(rows[0])
    assert (
        json.loads((out / "result.json").read_text(encoding="utf-8"))["recordings"][0]["sha256"]
        == rec["sha256"]
    )


def test_human_readable_summary(tmp_path: Path) -> None:
    code, stdout = invoke("analyze", str(POSE))
    assert code == 0, stdout
    assert "side view (detected" in stdout
    assert "Not filmed: rear/front view" in stdout


def test_too_few_stances_is_not_enough_data(tmp_path: Path) -> None:
    """A 1.5-second excerpt has too few stances: every verdict says so, none is guessed."""
    from glutemed.io import read_keypoints

    series = read_keypoints(POSE)
    short = series.slice_frames(0, 45)
    path = tmp_path / "short.json"
    write_keypoints_json(short, path)
    code, stdout = invoke("analyze", str(path), "--view", "side", "--json")
    if code == 3:  # no stance at all is also an honest answer
        assert "no running stance" in stdout
        return
    assert code == 0, stdout
    verdicts = {f["verdict"] for f in json.loads(stdout)["faults"]}
    assert verdicts == {"not-enough-data"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ('{"schema": "gaitlab.pose/v1", "frames": [', "JSON"),
        ("not a keypoint file", "JSON"),
    ],
)
def test_broken_keypoint_files_fail_cleanly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "out"
    code, stdout = invoke("analyze", str(path), "--out", str(out))
    assert code == 2
    assert "broken.json" in stdout
    assert message.lower() in stdout.lower()
    assert not out.exists()


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    odd = tmp_path / "clip.xyz"
    odd.write_text("x", encoding="utf-8")
    code, stdout = invoke("analyze", str(odd))
    assert code == 2
    assert "clip.xyz" in stdout
    code, stdout = invoke("analyze", str(tmp_path / "nothing.trc"))
    assert code == 2
    assert "no such file" in stdout


def test_standing_still_gives_no_stance(tmp_path: Path) -> None:
    """A 'runner' who never moves: the command exits 3 and writes nothing."""
    from glutemed.core.series import KEYPOINTS, KeypointSeries

    rng = np.random.default_rng(1)
    base = rng.uniform(100, 600, size=(len(KEYPOINTS), 2))
    positions = np.repeat(base[None], 300, axis=0) + rng.normal(0, 0.2, size=(300, len(KEYPOINTS), 2))
    series = KeypointSeries.from_arrays(positions, KEYPOINTS, fps_hz=60.0, source="still")
    path = tmp_path / "still.json"
    write_keypoints_json(series, path)
    out = tmp_path / "out"
    code, stdout = invoke("analyze", str(path), "--view", "rear", "--out", str(out))
    assert code == 3, stdout
    assert "still.json" in stdout
    assert not out.exists()


def test_bad_config_and_view(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[quality]\nmin_stances_per_side = 0\n", encoding="utf-8")
    code, stdout = invoke("analyze", str(POSE), "--config", str(bad))
    assert code == 2
    assert "min_stances_per_side" in stdout
    code, stdout = invoke("analyze", str(POSE), "--view", "top")
    assert code == 2


MOCAP = Path(__file__).resolve().parents[1] / "data" / "mocap" / "fukuchi_rbds"


def test_c3d_motion_capture_is_seen_from_rear_and_side(tmp_path: Path) -> None:
    """A 3-D trial without --view gives a rear and a side recording, merged into one set of verdicts."""
    code, stdout = invoke(
        "analyze",
        str(MOCAP / "RBDS001runT35.c3d"),
        "--static",
        str(MOCAP / "RBDS001static.c3d"),
        "--json",
    )
    assert code == 0, stdout
    result = json.loads(stdout)
    assert [r["view"] for r in result["recordings"]] == ["rear", "side"]
    assert result["missing_views"] == []
    # the force plate gives 171.2 steps/min for this trial (tests/io); keypoint events must agree within 0.5 %
    assert abs(result["recordings"][0]["cadence_spm"] - 171.2) / 171.2 < 0.005
    verdicts = {(f["fault_id"], f["side"]): f["verdict"] for f in result["faults"]}
    assert verdicts[("contralateral-pelvic-drop", "left")] != "not-enough-data"
    assert verdicts[("reduced-stiffness", "left")] != "not-enough-data"


def test_analyze_ends_with_the_file_to_open_first(tmp_path: Path) -> None:
    """Issue 12: the report to open first, the runner's summary next, the other files in one line."""
    out = tmp_path / "result"
    report, summary = tmp_path / "report.html", tmp_path / "summary.html"
    code, stdout = invoke(
        "analyze", str(POSE), "--out", str(out), "--report", str(report), "--summary", str(summary)
    )
    assert code == 0, stdout
    flat = "".join(stdout.split())
    assert flat.endswith(f"Openfirst:{report}(thegaitreport)Then:{summary}(therunner'ssummary,inplainwords)")
    assert f"Otherfilesin{out}/:" in flat
    assert "result.json" in flat
    assert "stances.csv" in flat
