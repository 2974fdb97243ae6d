"""The clinic's measurements over time, for the clinician's charts: re-tests and gait across assessments.

- Re-tests: every stored test result scored by the clinical scoring the assessment uses.
- Gait: each metric of each assessment's gait result beside its smallest detectable difference (SDD, carried
  by the analyzer); a change no larger than the SDD is "no real change".

Reading only; ``services/monitoring`` gathers these with the runner's other series.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from glutemed.contracts.gait_result import ContractError, FaultVerdictOut, read_gait_result
from glutemed.contracts.gait_views import metric_label, one_row_per_metric
from glutemed.core.clinical_scoring import score_all
from glutemed.db import records
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.rules import bundled_rules
from glutemed.services.assessment import norm_equation
from glutemed.services.intake_schema import IntakeIn, TestsIn

NO_REAL_CHANGE = "no real change"


@dataclass(frozen=True)
class RetestPoint:
    day: dt.date
    value: float | None
    positive: bool
    interpretation: str


@dataclass(frozen=True)
class RetestSeries:
    test_id: str
    name: str
    side: str | None
    unit: str | None
    refs: tuple[str, ...]
    points: tuple[RetestPoint, ...]


@dataclass(frozen=True)
class GaitPoint:
    day: dt.date
    value: float
    change: float | None  # from the first recording (the baseline); None for the baseline itself
    judgement: str  # "baseline", "no real change", "better", "worse", "higher", "lower", "not judged"


@dataclass(frozen=True)
class GaitSeries:
    metric: str
    label: str
    side: str
    unit: str
    sdd: float | None
    ref: str
    points: tuple[GaitPoint, ...]


# ------------------------------------------------------------------------------------------------ re-tests


def _intake(s: Session, runner_id: int) -> IntakeIn | None:
    row = records.latest_intake(s, runner_id)
    if row is None:
        return None
    try:
        return IntakeIn.model_validate(row.data)
    except ValidationError:
        return None


def retest_series(s: Session, runner_id: int, kb: KnowledgeBase) -> tuple[tuple[RetestSeries, ...], str]:
    """Every stored test result scored as the assessment scores it (age, sex and mass from the newest intake)."""
    intake = _intake(s, runner_id)
    rows = records.list_test_results(s, runner_id)
    if not rows:
        return (), ""
    if intake is None:
        return (), "The re-tests are scored against age, sex and body mass: enter an intake first."
    person = intake.to_core().runner
    grouped: dict[tuple[str, str | None], list[tuple[dt.date, Any]]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r.created_at, r.id)):
        try:
            tests = TestsIn.model_validate(row.data).to_core()
        except ValidationError:
            continue
        scores = score_all(
            tests,
            age_years=person.age_years,
            male=person.male,
            mass_kg=person.mass_kg,
            thresholds=bundled_rules().thresholds(),
            norm=norm_equation(kb),
        )
        per_test = Counter(score.test_id for score in scores)
        for score in scores:
            # a test scored once per result (a ratio of both sides) names the weaker side: one series still
            side = score.side if per_test[score.test_id] > 1 else None
            grouped[(score.test_id, side)].append((row.created_at.date(), score))
    out = []
    for (test_id, side), items in grouped.items():
        test = kb.clinical_tests.get(test_id)
        last = items[-1][1]
        out.append(
            RetestSeries(
                test_id=test_id,
                name=test.name if test else test_id.replace("-", " "),
                side=side,
                unit=last.unit,
                refs=last.refs,
                points=tuple(RetestPoint(day, sc.value, sc.positive, sc.interpretation) for day, sc in items),
            )
        )
    return tuple(sorted(out, key=lambda r: (r.name, r.side or ""))), ""


# ------------------------------------------------------------------------------------------------ gait


def judge_change(verdict: FaultVerdictOut, change: float, *, two_way: bool) -> str:
    """A change from the baseline in words: within the SDD it is no real change, never an improvement.

    ``two_way``: the metric is judged in both directions (too much and too little), so a change beyond the SDD
    is only said to be higher or lower."""
    if verdict.sdd is None:
        return "not judged"
    if abs(change) <= verdict.sdd:
        return NO_REAL_CHANGE
    if two_way:
        return "higher" if change > 0 else "lower"
    worse = change > 0 if verdict.direction == "above" else change < 0
    return "worse" if worse else "better"


def gait_series(s: Session, runner_id: int, kb: KnowledgeBase) -> tuple[GaitSeries, ...]:
    """Each metric and leg across the runner's assessments, oldest first, judged against the first."""
    seen: dict[tuple[str, str], list[tuple[dt.date, FaultVerdictOut]]] = defaultdict(list)
    two_way: set[str] = set()
    for row in sorted(records.list_assessments(s, runner_id), key=lambda a: (a.created_at, a.id)):
        if not row.gait_result:
            continue
        try:
            result = read_gait_result(row.gait_result, f"assessment of {row.created_at:%Y-%m-%d}")
        except ContractError:
            continue
        directions: dict[str, set[str]] = defaultdict(set)
        for f in result.faults:
            directions[f.metric].add(f.direction)
        two_way |= {m for m, d in directions.items() if len(d) > 1}
        for verdict in one_row_per_metric(list(result.faults)):
            if verdict.value is not None and verdict.verdict != "not-enough-data":
                seen[(verdict.metric, verdict.side)].append((row.created_at.date(), verdict))
    out = []
    for (metric, side), items in seen.items():
        base = items[0][1].value
        assert base is not None
        points = [GaitPoint(items[0][0], base, None, "baseline")]
        for day, verdict in items[1:]:
            assert verdict.value is not None
            change = verdict.value - base
            points.append(
                GaitPoint(
                    day, verdict.value, change, judge_change(verdict, change, two_way=metric in two_way)
                )
            )
        last = items[-1][1]
        out.append(
            GaitSeries(metric, metric_label(last, kb), side, last.unit, last.sdd, last.ref, tuple(points))
        )
    return tuple(sorted(out, key=lambda g: (g.label, g.side)))
