"""Turn a ``glutemed.gait/v1`` result into the assessment's :class:`GaitEvidence`, without re-judging.

Every verdict is the analyzer's own. Per fault: flagged or borderline legs become :class:`GaitFault` items
(side, value, the normal band in words, SDD, quality); a fault judged within on every measured leg is listed
as within; a fault no recording could judge becomes a :class:`GaitGap` with the reason and how to film so that
it can be judged next time. Faults shown for information only are neither.
"""

from __future__ import annotations

from glutemed.contracts.gait_result import FaultVerdictOut, GaitResult
from glutemed.contracts.gait_views import normal_band
from glutemed.core.findings import GaitEvidence, GaitFault, GaitGap
from glutemed.knowledge.loader import KnowledgeBase

VIEW_ADVICE = {
    "rear": "film from behind, phone at hip height about 3 m back, square to the runner, at 60 fps or more",
    "front": "film from the front, phone at hip height, square to the runner, at 60 fps or more",
    "side": "film from the side, phone at hip height, the whole body and both feet in the frame, at 60 fps",
}


def filming_advice(verdict: FaultVerdictOut, kb: KnowledgeBase) -> str:
    """What to change in the next recording so that this fault can be judged."""
    reason = verdict.reason
    fault = kb.gait_faults.get(verdict.fault_id)
    if reason.startswith("needs a") and fault is not None:
        advice = "; or ".join(VIEW_ADVICE[v.value] for v in fault.views) + "."
        return advice[:1].upper() + advice[1:]  # a sentence of its own after the reason
    if "stances" in reason:
        return "Film a longer stretch of steady running: at least 10 steps on each leg."
    if "frame rate" in reason:
        return "Choose a 60 fps or slow-motion setting on the phone."
    if "direction of travel" in reason:
        return "Keep the runner's feet, toes and heels, and the head in the frame so the direction is clear."
    return "Keep the whole body in the frame, in even light, with the phone steady and level."


def _fault(verdict: FaultVerdictOut, kb: KnowledgeBase, result: GaitResult) -> GaitFault:
    assert verdict.verdict in ("flagged", "borderline")
    return GaitFault(
        fault_id=verdict.fault_id,
        name=verdict.name,
        side=verdict.side,
        verdict=verdict.verdict,
        value=verdict.value,
        unit=verdict.unit,
        normal_band=normal_band(verdict, kb, result.faults),
        sdd=verdict.sdd,
        quality=verdict.quality,
        ref=verdict.ref,
    )


def gait_evidence(result: GaitResult, kb: KnowledgeBase) -> GaitEvidence:
    """The analyzer's verdicts, grouped for the findings; nothing is judged here."""
    faults: list[GaitFault] = []
    within: list[str] = []
    gaps: list[GaitGap] = []
    for fault_id in dict.fromkeys(f.fault_id for f in result.faults):
        verdicts = result.verdicts_of(fault_id)
        hits = [v for v in verdicts if v.verdict in ("flagged", "borderline")]
        faults.extend(_fault(v, kb, result) for v in hits)
        judged = [v for v in verdicts if v.verdict in ("within", "flagged", "borderline")]
        if judged and not hits:
            within.append(fault_id)
        if not judged and not any(v.verdict == "information" for v in verdicts):
            first = verdicts[0]
            gaps.append(GaitGap(fault_id, first.name, first.reason, filming_advice(first, kb)))
    return GaitEvidence(
        faults=tuple(faults), within=tuple(within), not_judged=tuple(gaps), cadence_spm=result.cadence_spm
    )
