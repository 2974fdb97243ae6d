"""`glutemed analyze --baseline`: change from the runner's own earlier recording, judged against the SDD."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from glutemed.core.faults import FaultVerdict, Verdict, against_baseline

from .conftest import read_json, run_cli

ROOT = Path(__file__).resolve().parents[2]
RIC = ROOT / "tests" / "data" / "mocap" / "ric_calgary"


def _verdict(value: float, verdict: Verdict = Verdict.WITHIN, sdd: float | None = 2.8) -> FaultVerdict:
    return FaultVerdict(
        fault_id="contralateral-pelvic-drop",
        metric="pelvic_drop_peak_deg",
        side="left",
        verdict=verdict,
        value=value,
        borderline=2.0,
        flagged=2.8,
        direction="above",
        unit="deg",
        sdd=sdd,
        ref="dingenen2018a",
        verification="verified",
        n_stances=20,
        quality=0.9,
        reason="",
    )


@pytest.mark.parametrize(
    ("before", "now", "expected"),
    [(3.0, 5.9, Verdict.FLAGGED), (3.0, 5.7, Verdict.WITHIN), (6.0, 2.0, Verdict.WITHIN)],
)
def test_only_a_worsening_beyond_the_sdd_flags(before: float, now: float, expected: Verdict) -> None:
    [out] = against_baseline([_verdict(now)], {("contralateral-pelvic-drop", "left"): before})
    assert out.verdict is expected
    assert out.change_from_baseline == pytest.approx(now - before)
    assert out.baseline_value == before


def test_no_sdd_shows_the_change_without_judging_it() -> None:
    [out] = against_baseline([_verdict(9.0, sdd=None)], {("contralateral-pelvic-drop", "left"): 1.0})
    assert out.verdict is Verdict.WITHIN
    assert out.change_from_baseline == pytest.approx(8.0)


def test_unmeasured_legs_are_left_alone() -> None:
    gap = _verdict(float("nan"), Verdict.NOT_ENOUGH_DATA)
    [out] = against_baseline([gap], {("contralateral-pelvic-drop", "left"): 1.0})
    assert math.isnan(out.change_from_baseline)


def test_real_recordings_compared(fukuchi_gait: Path, tmp_path: Path) -> None:
    """Fukuchi RBDS001 drops the pelvis about 1.2 deg, the Calgary runner about 4.4-5.0 deg: taken as a
    before-and-after pair, the later one is worse by more than the 2.8 deg SDD on the left leg."""
    run_cli(
        "analyze",
        str(RIC / "20140515T133244_run.c3d"),
        "--static",
        str(RIC / "20140515T133244_static.c3d"),
        "--view",
        "rear",
        "--baseline",
        str(fukuchi_gait),
        "--out",
        str(tmp_path),
    )
    result = read_json(tmp_path / "result.json")
    assert result["baseline"]["path"] == str(fukuchi_gait)
    drop = {f["side"]: f for f in result["faults"] if f["fault_id"] == "contralateral-pelvic-drop"}
    earlier = {
        f["side"]: f["value"]
        for f in read_json(fukuchi_gait)["faults"]
        if f["fault_id"] == "contralateral-pelvic-drop"
    }
    for side, verdict in drop.items():
        assert verdict["change_from_baseline"] == pytest.approx(verdict["value"] - earlier[side])
    assert drop["left"]["change_from_baseline"] > 2.8
    assert drop["left"]["verdict"] == "flagged"
    assert "baseline" in drop["left"]["reason"]


def test_a_baseline_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from glutemed.cli.app import app

    bad = tmp_path / "old.json"
    bad.write_text('{"faults": "lots"}', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["analyze", str(RIC / "20140515T133244_run.c3d"), "--baseline", str(bad)]
    )
    assert result.exit_code == 2
    assert "old.json" in result.output
    assert "not a glutemed gait result" in result.output
