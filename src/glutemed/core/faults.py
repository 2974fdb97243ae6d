"""Gait-fault verdicts: a per-leg summary value held against a threshold from the knowledge base.

The services layer builds each ``FaultRule`` from the knowledge base (core reads no files). A leg with fewer
than ``min_stances`` stances (7 by default, after Dingenen et al. 2018, ``dingenen2018a``) or without a value
gets "not-enough-data", never a guess. Recording-level metrics (cadence) give one verdict for both legs.

A rule is judged one of three ways (``judged_by``):

- ``absolute``: the leg's median against the borderline and flagged values;
- ``other-side``: the difference between this leg and the other leg, in the fault's direction, against the
  numbers (only the leg with more of the fault can be borderline or flagged); the leg's own value is shown;
- ``information``: the value is shown and never judged (verdict "information").

Faults that share a metric (too stiff / too soft on knee flexion) are two directions of one band: the
knowledge base checks that their fault zones cannot overlap, so one value never gets two verdicts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

import numpy as np

from glutemed.core.events import SIDES, Side
from glutemed.core.quality import MIN_STANCES, QualityReport
from glutemed.core.summary import RECORDING_METRICS, GaitSummary

VerdictSide = Literal["left", "right", "both"]


JudgedBy = Literal["absolute", "other-side", "information"]


class Verdict(StrEnum):
    WITHIN = "within"
    BORDERLINE = "borderline"
    FLAGGED = "flagged"
    INFORMATION = "information"  # measured and shown, never judged
    NOT_ENOUGH_DATA = "not-enough-data"


@dataclass(frozen=True)
class FaultRule:
    fault_id: str
    metric: str
    direction: Literal["above", "below"]  # values beyond the threshold in this direction are the fault
    borderline: float
    flagged: float
    unit: str
    sdd: float | None
    ref: str
    verification: str
    min_stances: int = MIN_STANCES
    judged_by: JudgedBy = "absolute"
    name: str = ""
    own_default: bool = False

    def __post_init__(self) -> None:
        ordered = (
            self.borderline <= self.flagged if self.direction == "above" else self.borderline >= self.flagged
        )
        if not ordered:
            raise ValueError(f"{self.fault_id}: borderline must come before flagged in the rule's direction")

    def classify(self, value: float) -> Verdict:
        if not np.isfinite(value):
            return Verdict.NOT_ENOUGH_DATA
        sign = 1.0 if self.direction == "above" else -1.0
        if sign * value >= sign * self.flagged:
            return Verdict.FLAGGED
        if sign * value >= sign * self.borderline:
            return Verdict.BORDERLINE
        return Verdict.WITHIN


@dataclass(frozen=True)
class FaultVerdict:
    fault_id: str
    metric: str
    side: VerdictSide
    verdict: Verdict
    value: float
    borderline: float
    flagged: float
    direction: str
    unit: str
    sdd: float | None
    ref: str
    verification: str
    n_stances: int
    quality: float
    reason: str
    name: str = ""
    judged_by: JudgedBy = "absolute"
    judged_value: float = float("nan")  # what was held against the numbers (the difference for other-side)
    own_default: bool = False
    baseline_value: float = float("nan")  # the same leg's value in an earlier recording, when one was given
    change_from_baseline: float = float("nan")  # signed so that positive means more of the fault


def _one(
    rule: FaultRule,
    side: VerdictSide,
    value: float,
    n: int,
    quality: float,
    *,
    n_stances: int | None = None,
    judged_value: float | None = None,
) -> FaultVerdict:
    """``n``: stances with a finite value of the metric; ``n_stances``: stances found at all (default ``n``).

    ``judged_value``: what the numbers are compared with, when it is not ``value`` (a left-right difference).
    """
    judged = value if judged_value is None else judged_value
    found = n if n_stances is None else n_stances
    if found < rule.min_stances:
        verdict, reason = Verdict.NOT_ENOUGH_DATA, f"{found} stances, at least {rule.min_stances} needed"
    elif n == 0 or not np.isfinite(value) or not np.isfinite(judged):
        verdict, reason = (
            Verdict.NOT_ENOUGH_DATA,
            "metric not measurable in this recording (it may need another view or a scale in metres)",
        )
    elif n < rule.min_stances:
        verdict, reason = (
            Verdict.NOT_ENOUGH_DATA,
            f"measurable in {n} stances only, {rule.min_stances} needed",
        )
    elif rule.judged_by == "information":
        verdict, reason = Verdict.INFORMATION, "shown for information: this metric is not judged"
    else:
        verdict, reason = rule.classify(judged), ""
    return FaultVerdict(
        fault_id=rule.fault_id,
        metric=rule.metric,
        side=side,
        verdict=verdict,
        value=value,
        borderline=rule.borderline,
        flagged=rule.flagged,
        direction=rule.direction,
        unit=rule.unit,
        sdd=rule.sdd,
        ref=rule.ref,
        verification=rule.verification,
        n_stances=n,
        quality=quality if verdict is not Verdict.NOT_ENOUGH_DATA else 0.0,
        reason=reason,
        name=rule.name or rule.fault_id,
        judged_by=rule.judged_by,
        judged_value=judged,
        own_default=rule.own_default,
    )


def _other_side_difference(rule: FaultRule, summary: GaitSummary, side: Side) -> float:
    """This leg's value minus the other leg's, signed so that positive means more of the fault."""
    other: Side = "right" if side == "left" else "left"
    mine = summary.metrics[rule.metric].leg(side).median
    theirs = summary.metrics[rule.metric].leg(other).median
    sign = 1.0 if rule.direction == "above" else -1.0
    return float(sign * (mine - theirs))


def evaluate(summary: GaitSummary, rules: list[FaultRule], quality: QualityReport) -> list[FaultVerdict]:
    """One verdict per rule and leg (or one per rule for recording-level metrics)."""
    out: list[FaultVerdict] = []
    for rule in rules:
        if rule.metric in RECORDING_METRICS:
            n = min(summary.n_stances.get(s, 0) for s in SIDES)
            out.append(_one(rule, "both", summary.cadence_spm, n, quality.overall))
            continue
        if rule.metric not in summary.metrics:
            raise KeyError(f"{rule.fault_id}: the gait engine has no metric named {rule.metric!r}")
        for side in SIDES:
            stat = summary.metrics[rule.metric].leg(side)
            found = summary.n_stances.get(side, 0)
            judged = None
            if rule.judged_by == "other-side":
                other_n = summary.metrics[rule.metric].leg("right" if side == "left" else "left").n
                n_both = min(stat.n, other_n)
                judged = _other_side_difference(rule, summary, side)
                out.append(
                    _one(
                        rule,
                        side,
                        stat.median,
                        n_both,
                        quality.score(side),
                        n_stances=found,
                        judged_value=judged,
                    )
                )
                continue
            out.append(_one(rule, side, stat.median, stat.n, quality.score(side), n_stances=found))
    return out


MEASURED = (Verdict.WITHIN, Verdict.BORDERLINE, Verdict.FLAGGED, Verdict.INFORMATION)


def against_baseline(
    verdicts: list[FaultVerdict], baseline: Mapping[tuple[str, str], float]
) -> list[FaultVerdict]:
    """Compare each measured leg with the runner's own earlier value (``(fault_id, side) -> value``).

    A change beyond the smallest detectable difference in the fault's direction is a real worsening, so the
    leg is flagged whatever its absolute value; a smaller change is within measurement error and changes
    nothing. Without an SDD the change is shown but not judged.
    """
    out = []
    for verdict in verdicts:
        before = baseline.get((verdict.fault_id, verdict.side))
        if before is None or not np.isfinite(before) or verdict.verdict not in MEASURED:
            out.append(verdict)
            continue
        sign = 1.0 if verdict.direction == "above" else -1.0
        change = float(sign * (verdict.value - before))
        judged = replace(verdict, baseline_value=float(before), change_from_baseline=change)
        sdd = verdict.sdd
        if sdd is not None and change > sdd and verdict.verdict is not Verdict.INFORMATION:
            judged = replace(
                judged,
                verdict=Verdict.FLAGGED,
                reason=f"{change:.1f} {verdict.unit} worse than the baseline recording, beyond the SDD of {sdd:g}",
            )
        out.append(judged)
    return out
