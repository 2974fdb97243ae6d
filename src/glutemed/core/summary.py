"""Per-leg summaries of the per-stance metrics, and the left-right asymmetry of each.

For every metric and leg: median, interquartile range (75th minus 25th percentile), mean and the number of
stances with a finite value. Asymmetry: the absolute left-right difference of the medians, and the symmetry
index SI = 100 * (left - right) / (0.5 * |left + right|) in percent (positive: the left value is larger),
which is NaN where the two medians sum to nearly zero (angles near 0 degrees), because a percentage of a
near-zero mean says nothing. ``crossover`` is summarised as 0/1, so its mean is the share of crossover steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from glutemed.core.events import SIDES, Side
from glutemed.core.series import FloatArray
from glutemed.core.stance_metrics import METRIC_NAMES, GaitMetrics

SI_MIN_DENOMINATOR = 1e-6
RECORDING_METRICS = ("cadence_spm",)


@dataclass(frozen=True)
class LegStat:
    median: float
    iqr: float
    mean: float
    n: int


@dataclass(frozen=True)
class MetricSummary:
    metric: str
    left: LegStat
    right: LegStat
    abs_diff: float
    symmetry_index_pct: float

    def leg(self, side: Side) -> LegStat:
        return self.left if side == "left" else self.right


@dataclass(frozen=True)
class GaitSummary:
    metrics: dict[str, MetricSummary]
    cadence_spm: float
    n_stances: dict[Side, int]

    def value(self, metric: str, side: Side) -> float:
        if metric in RECORDING_METRICS:
            return self.cadence_spm
        return self.metrics[metric].leg(side).median

    def rows(self) -> list[dict[str, object]]:
        """One flat dict per metric (left/right median, IQR, n, asymmetry)."""
        rows: list[dict[str, object]] = []
        for m in self.metrics.values():
            row: dict[str, object] = {"metric": m.metric}
            for side in SIDES:
                stat = m.leg(side)
                row |= {f"{side}_median": stat.median, f"{side}_iqr": stat.iqr, f"{side}_n": stat.n}
            row |= {"abs_diff": m.abs_diff, "symmetry_index_pct": m.symmetry_index_pct}
            rows.append(row)
        return rows


def leg_stat(values: FloatArray) -> LegStat:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return LegStat(float("nan"), float("nan"), float("nan"), 0)
    q25, q50, q75 = np.percentile(finite, [25, 50, 75])
    return LegStat(float(q50), float(q75 - q25), float(finite.mean()), int(finite.size))


def symmetry_index_pct(left: float, right: float) -> float:
    denominator = 0.5 * abs(left + right)
    if not np.isfinite(denominator) or denominator < SI_MIN_DENOMINATOR:
        return float("nan")
    return float(100.0 * (left - right) / denominator)


def summarize(metrics: GaitMetrics, /) -> GaitSummary:
    """Median, IQR, mean and count per leg, plus asymmetry, for every stance metric."""
    out: dict[str, MetricSummary] = {}
    for name in METRIC_NAMES:
        left, right = leg_stat(metrics.values(name, "left")), leg_stat(metrics.values(name, "right"))
        out[name] = MetricSummary(
            name, left, right, abs(left.median - right.median), symmetry_index_pct(left.median, right.median)
        )
    counts: dict[Side, int] = {side: sum(1 for s in metrics.stances if s.side == side) for side in SIDES}
    return GaitSummary(out, metrics.cadence_spm, counts)
