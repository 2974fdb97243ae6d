"""Merging a rear and a side recording keeps, per fault and leg, the measured verdict of best quality."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from glutemed.core.faults import FaultVerdict, Verdict
from glutemed.services.analyze import Recording, merge_verdicts


def verdict(fault: str, side: str, kind: Verdict, quality: float, value: float) -> FaultVerdict:
    return FaultVerdict(
        fault_id=fault,
        metric="m",
        side=side,  # type: ignore[arg-type]
        verdict=kind,
        value=value,
        borderline=1.0,
        flagged=2.0,
        direction="above",
        unit="deg",
        sdd=None,
        ref="bramah2018",
        verification="verified",
        n_stances=10,
        quality=quality,
        reason="",
    )


def recording(name: str, verdicts: list[FaultVerdict]) -> Recording:
    engine: Any = None
    return Recording(path=Path(name), sha256="0" * 64, engine=engine, verdicts=verdicts)


def test_measured_beats_not_enough_data_and_better_quality_wins() -> None:
    rear = recording(
        "rear.json",
        [
            verdict("cpd", "left", Verdict.FLAGGED, 0.8, 7.5),
            verdict("knee", "left", Verdict.NOT_ENOUGH_DATA, 0.0, float("nan")),
            verdict("cadence", "both", Verdict.WITHIN, 0.5, 170.0),
        ],
    )
    side = recording(
        "side.json",
        [
            verdict("cpd", "left", Verdict.NOT_ENOUGH_DATA, 0.0, float("nan")),
            verdict("knee", "left", Verdict.WITHIN, 0.9, 40.0),
            verdict("cadence", "both", Verdict.WITHIN, 0.9, 171.0),
        ],
    )
    merged = {(v.fault_id, v.side): v for v in merge_verdicts([rear, side])}
    assert merged[("cpd", "left")].value == 7.5
    assert merged[("knee", "left")].value == 40.0
    assert merged[("cadence", "both")].value == 171.0
    assert len(merged) == 3
