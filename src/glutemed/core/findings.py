"""Findings from rules kept as data: each names its inputs, reasoning, evidence and what is missing.

A rule (:class:`FindingRule`) combines *signs*. Signs are small named facts computed here from the intake,
the clinical test scores, and, when given, the gait and training-load results. A sign is True, False or None
(None: the input that would decide it is missing). Red flags stop everything before any rule is read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from glutemed.core.clinical_scoring import TestScore
from glutemed.core.intake import Intake

Status = Literal["present", "absent", "undetermined"]
SEE_A_CLINICIAN = (
    "Stop: one or more red-flag answers need a clinician's opinion before any exercise program. "
    "See a doctor or physiotherapist. No program was made."
)


@dataclass(frozen=True)
class FindingRule:
    id: str
    name: str
    evidence_level: str
    refs: tuple[str, ...]
    reasoning: str
    any_of: tuple[str, ...]
    min_signs: int = 1
    required: tuple[str, ...] = ()
    points_to: tuple[str, ...] = ()
    weak_evidence: str | None = None


@dataclass(frozen=True)
class SignParams:
    weekly_increase_flag_pct: float
    session_spike_flag_pct: float  # session distance above this % of the longest run in 30 days


GaitVerdict = Literal["flagged", "borderline"]


@dataclass(frozen=True)
class GaitFault:
    """A gait fault the analyzer judged flagged or borderline on one leg (or ``both`` for cadence).

    Copied from the analyzer's own verdict in a ``glutemed.gait/v1`` result; nothing here re-judges it.
    """

    fault_id: str
    name: str
    side: str  # "left", "right" or "both"
    verdict: GaitVerdict
    value: float | None
    unit: str
    normal_band: str  # plain words, e.g. "33-51 deg" or "below 5.0 deg"
    sdd: float | None
    quality: float  # 0-1, the analyzer's quality score for that leg
    ref: str


@dataclass(frozen=True)
class GaitGap:
    """A fault the recording could not judge (wrong view, too few stances...): a gap, never a "no"."""

    fault_id: str
    name: str
    reason: str
    advice: str  # how to film so that it can be judged


@dataclass(frozen=True)
class GaitEvidence:
    faults: tuple[GaitFault, ...] = ()  # flagged or borderline, per leg
    within: tuple[str, ...] = ()  # fault ids judged within on every leg measured
    not_judged: tuple[GaitGap, ...] = ()
    cadence_spm: float | None = None

    @property
    def flagged_faults(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.fault_id for f in self.faults if f.verdict == "flagged"))

    @property
    def borderline_faults(self) -> tuple[str, ...]:
        flagged = set(self.flagged_faults)
        return tuple(
            dict.fromkeys(
                f.fault_id for f in self.faults if f.verdict == "borderline" and f.fault_id not in flagged
            )
        )

    def judged(self, fault_id: str) -> bool:
        return fault_id in self.within or any(f.fault_id == fault_id for f in self.faults)


@dataclass(frozen=True)
class GaitFinding:
    """One gait fault the video showed, with every leg on which it was flagged or borderline."""

    fault_id: str
    name: str
    verdict: GaitVerdict  # the worst over the legs
    legs: tuple[GaitFault, ...]
    meaning: str  # what the fault is, in plain words (the knowledge base's definition)
    linked_conditions: tuple[str, ...]
    refs: tuple[str, ...]

    def summary(self) -> str:
        parts = []
        for leg in self.legs:
            value = f"{leg.value:.1f} {leg.unit}" if leg.value is not None else "no value"
            sdd = f", SDD {leg.sdd:g}" if leg.sdd is not None else ""
            parts.append(
                f"{leg.side} leg {value} ({leg.verdict}; normal {leg.normal_band}{sdd}; quality {leg.quality:.2f})"
            )
        return "; ".join(parts)


def gait_findings(
    gait: GaitEvidence, meanings: Mapping[str, tuple[str, tuple[str, ...], tuple[str, ...]]]
) -> tuple[GaitFinding, ...]:
    """Group the analyzer's flagged and borderline legs per fault, flagged faults first.

    ``meanings`` maps a fault id to (definition, linked condition ids, reference keys) from the knowledge base.
    """
    out: list[GaitFinding] = []
    for fault_id in dict.fromkeys(f.fault_id for f in gait.faults):
        legs = tuple(f for f in gait.faults if f.fault_id == fault_id)
        verdict: GaitVerdict = "flagged" if any(f.verdict == "flagged" for f in legs) else "borderline"
        meaning, linked, refs = meanings.get(fault_id, ("", (), ()))
        out.append(GaitFinding(fault_id, legs[0].name, verdict, legs, meaning, linked, refs))
    return tuple(sorted(out, key=lambda g: g.verdict != "flagged"))


@dataclass(frozen=True)
class LoadEvidence:
    max_session_pct_of_longest: float | None = None
    max_weekly_increase_pct: float | None = None


@dataclass(frozen=True)
class Sign:
    value: bool | None
    detail: str


@dataclass(frozen=True)
class Finding:
    id: str
    name: str
    status: Status
    inputs_used: tuple[str, ...]
    reasoning: str
    evidence_level: str
    refs: tuple[str, ...]
    missing: tuple[str, ...]
    points_to: tuple[str, ...]
    weak_evidence: str | None


@dataclass(frozen=True)
class FindingsReport:
    stopped: bool
    red_flags: tuple[str, ...]
    message: str | None
    findings: tuple[Finding, ...]

    def present(self, finding_id: str) -> bool:
        return any(f.id == finding_id and f.status == "present" for f in self.findings)


@dataclass(frozen=True)
class SignContext:
    intake: Intake
    scores: tuple[TestScore, ...]
    gait: GaitEvidence | None
    load: LoadEvidence | None
    params: SignParams


# ------------------------------------------------------------------------------------------------ signs


def _test_sign(ctx: SignContext, test_id: str, what: str) -> Sign:
    done = [s for s in ctx.scores if s.test_id == test_id]
    if not done:
        return Sign(None, f"{test_id} not done")
    positive = [s for s in done if s.positive]
    chosen = positive or done
    return Sign(bool(positive), f"{what}: " + "; ".join(s.interpretation for s in chosen))


def _stance_drop(ctx: SignContext) -> Sign:
    done = [s for s in ctx.scores if s.test_id == "single-leg-stance-30s"]
    if not done:
        return Sign(None, "single-leg-stance-30s not done")
    drop = [s for s in done if s.details.get("pelvic_drop_seen", 0.0) > 0]
    return Sign(bool(drop), "pelvic drop seen in single-leg stance" if drop else "no pelvic drop in stance")


def _region(region: str) -> Callable[[SignContext], Sign]:
    def sign(ctx: SignContext) -> Sign:
        has = region in ctx.intake.symptoms.regions
        return Sign(has, f"pain map {'includes' if has else 'does not include'} {region}")

    return sign


def _aggravator(name: str) -> Callable[[SignContext], Sign]:
    def sign(ctx: SignContext) -> Sign:
        has = name in ctx.intake.symptoms.aggravators
        return Sign(has, f"{name} {'aggravates' if has else 'does not aggravate'} the pain")

    return sign


def _hangs_on_hip(ctx: SignContext) -> Sign:
    hangs = ctx.intake.lifestyle.stands_hung_on_one_hip
    return Sign(hangs, "stands hung on one hip" if hangs else "does not stand hung on one hip")


def _reported_increase(ctx: SignContext) -> Sign:
    largest = ctx.intake.largest_recent_change_pct
    limit = ctx.params.weekly_increase_flag_pct
    if largest is None:
        return Sign(False, "no recent change in speed, distance or frequency reported")
    return Sign(largest > limit, f"largest reported recent change {largest:g}% (flag above {limit:g}%)")


def _session_spike(ctx: SignContext) -> Sign:
    value = ctx.load.max_session_pct_of_longest if ctx.load else None
    if value is None:
        return Sign(None, "no training-load result with session spikes")
    limit = ctx.params.session_spike_flag_pct
    return Sign(
        value > limit, f"longest session {value:.0f}% of the longest run in 30 days (flag > {limit:g}%)"
    )


def _weekly_increase(ctx: SignContext) -> Sign:
    value = ctx.load.max_weekly_increase_pct if ctx.load else None
    if value is None:
        return Sign(None, "no training-load result with weekly change")
    limit = ctx.params.weekly_increase_flag_pct
    return Sign(value > limit, f"largest weekly increase {value:.0f}% (flag above {limit:g}%)")


def _gait(fault_id: str) -> Callable[[SignContext], Sign]:
    def sign(ctx: SignContext) -> Sign:
        gait = ctx.gait
        if gait is None:
            return Sign(None, "no gait result")
        hits = [f for f in gait.faults if f.fault_id == fault_id]
        flagged = [f for f in hits if f.verdict == "flagged"]
        if flagged:
            sides = ", ".join(f"{f.side} {f.value:.1f} {f.unit}" for f in flagged if f.value is not None)
            return Sign(True, f"gait: {fault_id} flagged ({sides})")
        if hits:
            return Sign(False, f"gait: {fault_id} borderline")
        if fault_id in gait.within:
            return Sign(False, f"gait: {fault_id} within the normal band")
        gap = next((g for g in gait.not_judged if g.fault_id == fault_id), None)
        return Sign(None, f"gait: {fault_id} not judged ({gap.reason if gap else 'not in the gait result'})")

    return sign


GAIT_FAULTS: tuple[str, ...] = (
    "contralateral-pelvic-drop",
    "cross-over-gait",
    "reduced-stiffness",
    "dynamic-knee-valgus",
    "excess-hip-adduction",
    "overstride",
    "low-cadence",
    "stiff-landing",
)

SIGNS: dict[str, Callable[[SignContext], Sign]] = {
    "hhd-below-norm": lambda c: _test_sign(c, "hip-abduction-dynamometry", "hip abduction strength"),
    "hhd-side-deficit": lambda c: _test_sign(c, "hip-abduction-deficit", "side-to-side deficit"),
    "trendelenburg-positive": lambda c: _test_sign(c, "trendelenburg-test", "Trendelenburg"),
    "stance-lateral-hip-pain": lambda c: _test_sign(c, "single-leg-stance-30s", "30-s single-leg stance"),
    "stance-pelvic-drop": _stance_drop,
    "squat-poor-control": lambda c: _test_sign(c, "single-leg-squat", "single-leg squat"),
    "side-bridge-asymmetry": lambda c: _test_sign(c, "side-bridge-endurance", "side bridge"),
    "trochanter-tender": lambda c: _test_sign(c, "greater-trochanter-palpation", "palpation"),
    "derotation-painful": lambda c: _test_sign(c, "resisted-external-derotation", "resisted derotation"),
    "lateral-hip-pain": _region("lateral-hip"),
    "buttock-pain": _region("buttock"),
    "lateral-knee-pain": _region("lateral-knee"),
    "anterior-knee-pain": _region("anterior-knee"),
    "pain-lying-on-side": _aggravator("lying-on-side"),
    "pain-crossing-legs": _aggravator("crossing-legs"),
    "pain-stairs": _aggravator("stairs"),
    "hangs-on-hip": _hangs_on_hip,
    "reported-load-increase": _reported_increase,
    "load-session-spike": _session_spike,
    "load-weekly-increase": _weekly_increase,
    **{f"gait-{fault}": _gait(fault) for fault in GAIT_FAULTS},
}


# ------------------------------------------------------------------------------------------------ rules


def _status(rule: FindingRule, signs: Mapping[str, Sign]) -> Status:
    required = [signs[name].value for name in rule.required]
    hits = sum(1 for name in rule.any_of if signs[name].value is True)
    unknown = sum(1 for name in rule.any_of if signs[name].value is None)
    if any(value is False for value in required) or hits + unknown < rule.min_signs:
        return "absent"
    if all(value is True for value in required) and hits >= rule.min_signs:
        return "present"
    return "undetermined"


def evaluate_rule(rule: FindingRule, ctx: SignContext) -> Finding:
    names = tuple(dict.fromkeys((*rule.required, *rule.any_of)))
    unknown_signs = [name for name in names if name not in SIGNS]
    if unknown_signs:
        raise ValueError(f"rule {rule.id}: unknown sign(s) {', '.join(unknown_signs)}")
    signs = {name: SIGNS[name](ctx) for name in names}
    status = _status(rule, signs)
    used = tuple(f"{name}: {s.detail}" for name, s in signs.items() if s.value is not None)
    missing = tuple(f"{name} ({s.detail})" for name, s in signs.items() if s.value is None)
    hits = [name for name in rule.any_of if signs[name].value is True]
    verdict = {
        "present": f"Present: {len(hits)} of the signs ({', '.join(hits)}) with at least {rule.min_signs} needed",
        "absent": "Absent: the required signs are not there, or too few signs even counting missing tests",
        "undetermined": "Undetermined: the signs seen so far are not enough, and some tests are missing",
    }[status]
    if rule.required:
        verdict += f"; required: {', '.join(rule.required)}"
    return Finding(
        id=rule.id,
        name=rule.name,
        status=status,
        inputs_used=used,
        reasoning=f"{rule.reasoning} {verdict}.",
        evidence_level=rule.evidence_level,
        refs=rule.refs,
        missing=missing,
        points_to=rule.points_to if status == "present" else (),
        weak_evidence=rule.weak_evidence,
    )


def evaluate_findings(rules: tuple[FindingRule, ...], ctx: SignContext) -> FindingsReport:
    """Red flags first: any one of them stops everything and no rule is read."""
    flags = ctx.intake.red_flags.present
    if flags:
        return FindingsReport(stopped=True, red_flags=flags, message=SEE_A_CLINICIAN, findings=())
    findings = tuple(evaluate_rule(rule, ctx) for rule in rules)
    return FindingsReport(stopped=False, red_flags=(), message=None, findings=findings)
