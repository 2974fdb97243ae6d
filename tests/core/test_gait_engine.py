"""GaitEngine end to end on synthetic running: view, metrics, summary, quality and fault verdicts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from glutemed.core import quality as q
from glutemed.core.engine import GaitEngine
from glutemed.core.faults import FaultRule, Verdict, evaluate
from glutemed.core.series import KEYPOINTS, KeypointSeries
from glutemed.core.stance_metrics import METRIC_NAMES
from glutemed.core.summary import symmetry_index_pct
from glutemed.core.view import View, detect_view

CPD_RULE = FaultRule(
    fault_id="contralateral-pelvic-drop",
    metric="pelvic_drop_peak_deg",
    direction="above",
    borderline=5.0,
    flagged=7.0,
    unit="deg",
    sdd=2.8,
    ref="bramah2018",
    verification="unverified",
)
CADENCE_RULE = FaultRule("low-cadence", "cadence_spm", "below", 163.0, 155.0, "spm", None, "x", "unverified")


def _mirror(series: KeypointSeries) -> KeypointSeries:
    pos = series.positions.copy()
    pos[..., 0] = 1280.0 - pos[..., 0]
    return series.with_positions(pos)


def test_view_detection_rear_front_side(synth_run: Callable[..., Any]) -> None:
    rear = synth_run(view="rear").series
    side = synth_run(view="side").series
    assert detect_view(rear).view is View.REAR
    assert detect_view(_mirror(rear)).view is View.FRONT
    got = detect_view(side)
    assert got.view is View.SIDE
    assert got.confidence > 0.9


def test_rear_engine_recovers_pelvic_drop_step_width_and_cadence(synth_run: Callable[..., Any]) -> None:
    run = synth_run(view="rear", fps_hz=60.0, noise_px=0.5)
    eng = GaitEngine().analyze(run.series, scale_m_per_unit=1.0 / run.px_per_m)
    assert eng.view_ is View.REAR
    summ = eng.summary_
    assert summ.value("pelvic_drop_peak_deg", "left") == pytest.approx(6.0, abs=0.3)
    assert summ.value("pelvic_drop_peak_deg", "right") == pytest.approx(3.0, abs=0.3)
    assert summ.value("pelvic_drop_midstance_deg", "left") == pytest.approx(6.0, abs=0.3)
    assert summ.metrics["pelvic_drop_peak_deg"].abs_diff == pytest.approx(3.0, abs=0.4)
    for side in ("left", "right"):
        assert summ.value("step_width_cm", side) == pytest.approx(8.0, abs=0.5)
        assert summ.value("contact_time_s", side) == pytest.approx(0.24, abs=1 / 60)
        assert summ.metrics["crossover"].leg(side).mean == 0.0
    assert summ.cadence_spm == pytest.approx(170.0, rel=0.005)
    assert np.isnan(summ.value("knee_flexion_peak_stance_deg", "left"))  # a side-view metric


def test_front_view_gives_the_same_pelvic_drop(synth_run: Callable[..., Any]) -> None:
    run = synth_run(view="rear", fps_hz=60.0)
    eng = GaitEngine().analyze(_mirror(run.series))
    assert eng.view_ is View.FRONT
    assert eng.summary_.value("pelvic_drop_peak_deg", "left") == pytest.approx(6.0, abs=0.3)


def test_side_engine_timing_and_sagittal_metrics(synth_run: Callable[..., Any]) -> None:
    run = synth_run(view="side", fps_hz=60.0, noise_px=0.5)
    eng = GaitEngine().analyze(run.series, scale_m_per_unit=1.0 / run.px_per_m)
    assert eng.view_ is View.SIDE
    summ = eng.summary_
    step_s = 60.0 / 170.0
    for side in ("left", "right"):
        assert summ.value("contact_time_s", side) == pytest.approx(0.24, abs=1 / 60)
        assert summ.value("step_time_s", side) == pytest.approx(step_s, abs=1 / 60)
        assert summ.value("flight_time_s", side) == pytest.approx(step_s - 0.24, abs=1 / 60)
        assert summ.value("vertical_oscillation_cm", side) == pytest.approx(7.0, abs=0.5)
        assert summ.value("trunk_lean_forward_deg", side) == pytest.approx(5.0, abs=0.5)
        assert summ.value("foot_ahead_of_hip_strike_leg_ratio", side) > 0
    assert np.isnan(summ.value("pelvic_drop_peak_deg", "left"))


def test_lab_3d_input_is_projected(synth_run: Callable[..., Any]) -> None:
    run = synth_run(view="rear", fps_hz=60.0)
    lab = KeypointSeries.from_arrays(run.lab, KEYPOINTS, fps_hz=60.0, units="m")
    eng = GaitEngine().analyze(lab)
    assert eng.summary_.value("pelvic_drop_peak_deg", "left") == pytest.approx(6.0, abs=0.3)
    assert eng.summary_.value("step_width_cm", "left") == pytest.approx(8.0, abs=0.5)


def test_rows_have_every_metric(synth_run: Callable[..., Any]) -> None:
    eng = GaitEngine().analyze(synth_run(view="rear").series)
    rows = eng.stances_.rows()
    assert len(rows) == len(eng.stances_.stances) >= 28
    assert set(METRIC_NAMES) <= set(rows[0])
    assert {r["metric"] for r in eng.summary_.rows()} == set(METRIC_NAMES)


def test_verdicts_with_enough_stances(synth_run: Callable[..., Any]) -> None:
    eng = GaitEngine().analyze(synth_run(view="rear", fps_hz=60.0).series)
    verdicts = {
        (v.fault_id, v.side): v for v in evaluate(eng.summary_, [CPD_RULE, CADENCE_RULE], eng.quality_)
    }
    left, right = (
        verdicts["contralateral-pelvic-drop", "left"],
        verdicts["contralateral-pelvic-drop", "right"],
    )
    assert left.verdict is Verdict.BORDERLINE
    assert right.verdict is Verdict.WITHIN
    assert left.sdd == 2.8
    assert left.ref == "bramah2018"
    assert left.flagged == 7.0
    assert 0.0 < left.quality <= 1.0
    assert verdicts["low-cadence", "both"].verdict is Verdict.WITHIN


def test_five_stances_give_not_enough_data(synth_run: Callable[..., Any]) -> None:
    eng = GaitEngine().analyze(synth_run(view="rear", fps_hz=60.0, duration_s=4.4).series)
    assert max(eng.summary_.n_stances.values()) == 5
    verdicts = evaluate(eng.summary_, [CPD_RULE, CADENCE_RULE], eng.quality_)
    assert {v.verdict for v in verdicts} == {Verdict.NOT_ENOUGH_DATA}
    assert all(v.quality == 0.0 and "7" in v.reason for v in verdicts)


def test_rule_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="borderline"):
        FaultRule("x", "pelvic_drop_peak_deg", "above", 7.0, 5.0, "deg", None, "r", "verified")
    below = FaultRule("c", "cadence_spm", "below", 163.0, 155.0, "spm", None, "r", "verified")
    assert [below.classify(v) for v in (170.0, 160.0, 150.0, float("nan"))] == [
        Verdict.WITHIN,
        Verdict.BORDERLINE,
        Verdict.FLAGGED,
        Verdict.NOT_ENOUGH_DATA,
    ]


def test_quality_factors() -> None:
    assert q.stance_factor(6) == 0.0
    assert q.stance_factor(7) == pytest.approx(0.7)
    assert q.stance_factor(30) == 1.0
    assert q.fps_factor(20.0) == 0.25
    assert q.fps_factor(25.0) == pytest.approx(0.6)
    assert q.fps_factor(60.0) == q.fps_factor(240.0) == 1.0
    assert q.tilt_factor(1.0) == 1.0
    assert q.tilt_factor(-10.0) == pytest.approx(0.5)
    assert q.tilt_factor(float("nan")) == 1.0
    assert q.confidence_factor(0.9) == 1.0
    assert q.confidence_factor(0.2) == 0.0


def test_low_frame_rate_lowers_quality(synth_run: Callable[..., Any]) -> None:
    fast = GaitEngine().analyze(synth_run(view="rear", fps_hz=60.0).series).quality_
    slow = GaitEngine().analyze(synth_run(view="rear", fps_hz=24.0).series).quality_
    assert fast.overall > 0.9
    assert slow.overall < 0.5 * fast.overall


def test_symmetry_index() -> None:
    assert symmetry_index_pct(6.0, 3.0) == pytest.approx(66.666, rel=1e-3)
    assert np.isnan(symmetry_index_pct(1.0, -1.0))
