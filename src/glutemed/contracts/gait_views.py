"""Plain views of a gait result shared by the CLI tables, the reports and the assessment.

One row per metric and leg (faults sharing a metric are two directions of one band), the fault's label, and
the normal band in words from the knowledge base's thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence

from glutemed.contracts.gait_result import FaultVerdictOut
from glutemed.knowledge.loader import KnowledgeBase


def normal_band(verdict: FaultVerdictOut, kb: KnowledgeBase, faults: Sequence[FaultVerdictOut] = ()) -> str:
    """The band a healthy runner sits in, in plain words, from the numbers the analyzer judged with.

    ``faults``: the other verdicts of the same result, so that the two directions of a shared metric give
    one band. Only the description of the reference population comes from the knowledge base.
    """
    unit = verdict.unit
    if verdict.judged_by == "other-side":
        return f"legs within {verdict.borderline:g} {unit} of each other"
    if verdict.judged_by == "information":
        return "not judged (shown for information)"
    siblings = [
        f
        for f in (verdict, *faults)
        if f.metric == verdict.metric and f.side == verdict.side and f.judged_by == "absolute"
    ]
    lows = [f.borderline for f in siblings if f.direction == "below"]
    highs = [f.borderline for f in siblings if f.direction == "above"]
    if lows and highs:
        band = f"{max(lows):g}-{min(highs):g} {unit}"
    elif lows:
        band = f"above {max(lows):g} {unit}"
    else:
        band = f"below {min(highs):g} {unit}"
    fault = kb.gait_faults.get(verdict.fault_id)
    population = fault.reference_population if fault else None
    if population is not None:
        band += f" (uninjured runners {population.mean:g} ± {population.sd:g} {population.unit})"
    return band


SEVERITY = {"flagged": 4, "borderline": 3, "within": 2, "information": 1, "not-enough-data": 0}


def one_row_per_metric(verdicts: list[FaultVerdictOut]) -> list[FaultVerdictOut]:
    """One verdict per metric and leg: of faults sharing a metric (too stiff / too soft), the one the value
    departs towards, else the first. Tables show this, so one measurement never reads green and red at once.
    """
    chosen: dict[tuple[str, str], FaultVerdictOut] = {}
    for verdict in verdicts:
        key = (verdict.metric, verdict.side)
        current = chosen.get(key)
        if current is None or SEVERITY[verdict.verdict] > SEVERITY[current.verdict]:
            chosen[key] = verdict
    return list(chosen.values())


def metric_label(verdict: FaultVerdictOut, kb: KnowledgeBase) -> str:
    """The fault's short name; for a metric two faults share, the metric's own name (e.g. knee bend)."""
    sharing = [f for f in kb.gait_faults.values() if f.metric == verdict.metric]
    fault = kb.gait_faults.get(verdict.fault_id)
    if len(sharing) > 1 and verdict.verdict not in ("flagged", "borderline"):
        named = next((f.metric_name for f in sharing if f.metric_name), None)
        return named or " / ".join(f.short_name or f.name for f in sharing)
    if fault is not None and fault.short_name:
        return fault.short_name
    return verdict.name
