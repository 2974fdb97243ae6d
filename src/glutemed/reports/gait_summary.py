"""The first screen of the gait report: what was filmed, the main findings, what next, what we could not see.

Built from the ``glutemed.gait/v1`` result only, so the verdicts are the analyzer's own: nothing here holds a
value against a threshold again. Findings are ordered by severity (flagged, borderline, within, information)
and then by the leg's quality score; among equals, the value closest to its borderline threshold (in steps of
the gap between the borderline and the flagged value) comes first. The same view-model serves the clinician
report and the runner summary; ``runner=True`` words it without ids or statistics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glutemed.contracts.gait_result import FaultVerdictOut, GaitResult
from glutemed.contracts.gait_views import SEVERITY, metric_label, normal_band, one_row_per_metric
from glutemed.knowledge.loader import KnowledgeBase

MAX_FINDINGS = 3
MAX_ACTIONS = 3
VERDICT_WORDS = {
    "within": "within reference",
    "borderline": "borderline",
    "flagged": "flagged",
    "information": "information",
    "not-enough-data": "not judged",
}
RUNNER_VERDICT_WORDS = {
    "within": "looks usual",
    "borderline": "worth a look",
    "flagged": "stands out",
    "information": "for information",
    "not-enough-data": "not seen",
}
SIDE_WORDS = {"left": "left leg", "right": "right leg", "both": "both legs"}
UNIT_WORDS = {"deg": "°", "centimetres": " cm", "spm": " steps/min"}
VIEW_WORDS = {"rear": "from behind", "front": "from the front", "side": "from the side"}


@dataclass(frozen=True)
class Card:
    """One finding on the first screen."""

    fault_id: str
    metric: str
    label: str  # the fault or metric in words
    side: str  # left / right / both
    side_words: str
    verdict: str
    verdict_words: str
    value: str  # e.g. "28.3°" (runner) or "28.3 deg" (clinician)
    band: str
    meaning: str  # one sentence
    quality: float


@dataclass(frozen=True)
class Gap:
    """Faults the recording could not judge for one reason, with how to film them."""

    names: list[str]
    why: str
    how: str


def unit_text(value: float | None, unit: str, *, runner: bool) -> str:
    if value is None:
        return "–"
    if runner:
        return f"{value:.1f}{UNIT_WORDS.get(unit, ' ' + unit)}"
    return f"{value:.1f} {unit}"


def first_sentence(text: str) -> str:
    head, dot, _ = text.strip().partition(". ")
    return head + "." if dot else text.strip()


def _margin(row: FaultVerdictOut, every: Sequence[FaultVerdictOut]) -> float:
    """How far the judged value sits inside its band, in steps of |flagged - borderline| (smaller = nearer)."""
    siblings = [f for f in every if f.metric == row.metric and f.side == row.side]
    best = float("inf")
    for f in siblings:
        if f.judged_value is None:
            continue
        step = abs(f.flagged - f.borderline) or 1.0
        gap = f.borderline - f.judged_value if f.direction == "above" else f.judged_value - f.borderline
        best = min(best, gap / step)
    return best


def ranked_rows(result: GaitResult) -> list[FaultVerdictOut]:
    """One row per metric and leg that the recording judged or showed, most important first."""
    rows = [r for r in one_row_per_metric(result.faults) if r.verdict != "not-enough-data"]
    return sorted(rows, key=lambda r: (-SEVERITY[r.verdict], -r.quality, _margin(r, result.faults)))


def _meaning(row: FaultVerdictOut, kb: KnowledgeBase, label: str, *, runner: bool) -> str:
    fault = kb.gait_faults.get(row.fault_id)
    if row.verdict in ("flagged", "borderline") and fault is not None:
        return first_sentence(fault.definition)
    if row.verdict == "information":
        return (
            "Shown only for information: on video this angle does not tell what the knee really does."
            if runner
            else f"Shown for information, never judged: {row.reason or 'see the fault notes'}."
        )
    if row.judged_by == "other-side":
        return (
            "Your two sides behave alike here."
            if runner
            else f"The two legs differ by {abs(row.judged_value or 0.0):.1f} {row.unit}, less than the "
            f"{row.borderline:g} {row.unit} the band allows."
        )
    return (
        f"Your {label.lower()} is in the usual range." if runner else f"{label} lies within the normal band."
    )


def finding_cards(result: GaitResult, kb: KnowledgeBase, *, runner: bool) -> list[Card]:
    cards = []
    for row in ranked_rows(result)[:MAX_FINDINGS]:
        label = metric_label(row, kb)
        band = normal_band(row, kb, result.faults)
        if runner:
            band = band.split(" (", 1)[0].replace(" deg", "°").replace(" spm", " steps/min")
        words = RUNNER_VERDICT_WORDS if runner else VERDICT_WORDS
        cards.append(
            Card(
                fault_id=row.fault_id,
                metric=row.metric,
                label=label,
                side=row.side,
                side_words=SIDE_WORDS[row.side],
                verdict=row.verdict,
                verdict_words=words[row.verdict],
                value=unit_text(row.value, row.unit, runner=runner),
                band=band,
                meaning=_meaning(row, kb, label, runner=runner),
                quality=row.quality,
            )
        )
    return cards


def _how_to_film(views: Sequence[str], reason: str, result: GaitResult) -> str:
    quality = result.config.get("quality", {})
    if "stances" in reason:
        need = quality.get("min_stances_per_side", "more")
        return f"Film a longer stretch of steady running, at least {need} steps on each leg."
    if "frame rate" in reason:
        good = quality.get("good_fps_hz", 60)
        return f"Choose a {good:g} frames-per-second or slow-motion setting on the phone."
    if "direction of travel" in reason:
        return "Film from the side with the runner crossing the picture in one direction, whole body in view."
    where = " or ".join(VIEW_WORDS.get(v, v) for v in views)
    return (
        f"Film {where} at hip height in the same session, whole body from head to feet in the picture, "
        "and analyse both videos together."
    )


def gaps(result: GaitResult, kb: KnowledgeBase) -> list[Gap]:
    """The not-judged faults folded by what would fix them (e.g. one entry for everything a rear view shows),
    in the knowledge base's order."""
    by_fault: dict[str, list[FaultVerdictOut]] = {}
    for f in result.faults:
        if f.verdict == "not-enough-data":
            by_fault.setdefault(f.fault_id, []).append(f)
    order = {fid: i for i, fid in enumerate(kb.gait_faults)}
    folded: dict[tuple[str, str], list[str]] = {}
    for fid in sorted(by_fault, key=lambda k: order.get(k, len(order))):
        legs = by_fault[fid]
        fault = kb.gait_faults.get(fid)
        name = (fault.short_name or fault.name) if fault else legs[0].name
        views = [v.value for v in fault.views] if fault else []
        reason = next((f.reason for f in legs if f.reason), "")
        why = reason
        if reason.startswith("needs a") and views:
            views = views[:1]  # one view that shows them all (the knowledge base lists the best view first)
            why = f"no video was taken {VIEW_WORDS.get(views[0], views[0])}"
        sides = {f.side for f in legs}
        if sides not in ({"left", "right"}, {"both"}):
            name += " (" + " and ".join(SIDE_WORDS[s] for s in sorted(sides)) + ")"
        folded.setdefault((why, _how_to_film(views, reason, result)), []).append(name)
    return [Gap(names=names, why=why, how=how) for (why, how), names in folded.items()]


def filming_fixes(result: GaitResult) -> list[str]:
    """Short fixes for what lowered the quality score, worst recording first (the clinician report explains)."""
    cfg = result.config.get("quality", {})
    good = cfg.get("good_fps_hz", 60)
    fixes: list[str] = []
    for rec in sorted(
        result.recordings,
        key=lambda r: r.model_extra.get("quality", {}).get("overall", 1.0) if r.model_extra else 1.0,
    ):
        q = (rec.model_extra or {}).get("quality", {})
        if q.get("fps_factor", 1) < 1 or rec.fps_hz < good:
            fixes.append(
                f"Next time film at {good:g} frames per second or in slow motion ({rec.fps_hz:.0f} now)."
            )
        if q.get("confidence_factor", 1) < 1:
            fixes.append(
                "Next time film in even light, in fitted clothes, with the whole body in the picture."
            )
    return list(dict.fromkeys(fixes))


def next_actions(
    result: GaitResult, kb: KnowledgeBase, cards: Sequence[Card], gap_list: Sequence[Gap]
) -> list[str]:
    """Up to three: a cue for each flagged or borderline finding, filming the gaps, better filming, a re-test."""
    actions: list[str] = []
    for card in cards:
        fault = kb.gait_faults.get(card.fault_id)
        if card.verdict in ("flagged", "borderline") and fault is not None and fault.cues:
            actions.append(f"{card.label} ({card.side_words}): try the cue “{fault.cues[0]}”")
    missing = list(result.missing_views)
    if missing:
        where = " and ".join(" or ".join(VIEW_WORDS.get(v, v) for v in m.split("/")) for m in missing)
        seen = ", ".join(dict.fromkeys(n.lower() for g in gap_list for n in g.names))
        actions.append(f"Film {where} as well, so that {seen} can be judged.")
    elif gap_list:
        actions.append(gap_list[0].how)
    actions.extend(filming_fixes(result)[:1])
    actions.append(
        "Keep this video as your starting point and film again the same way after a few weeks of training; "
        "your physiotherapist can compare the two."
    )
    return actions[:MAX_ACTIONS]


def filmed(result: GaitResult) -> dict[str, Any]:
    """Who/what was filmed, when, and from which views."""
    when = result.created_utc
    try:
        stamp = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
        when = f"{stamp:%d %B %Y, %H:%M} UTC"
    except ValueError:
        pass
    recordings = [
        {
            "name": Path(r.path).name,
            "view": r.view,
            "view_words": VIEW_WORDS.get(r.view, r.view),
            "duration_s": r.duration_s,
            "left": r.n_stances.get("left", 0),
            "right": r.n_stances.get("right", 0),
        }
        for r in result.recordings
    ]
    views = list(dict.fromkeys(r.view for r in result.recordings))
    return {"when": when, "recordings": recordings, "views": views, "missing": list(result.missing_views)}
