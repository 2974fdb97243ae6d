"""Run an assessment: intake + clinical tests (+ gait and training-load results) -> scored tests and findings."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from glutemed.core.clinical_scoring import NormEquationView, TestResults, TestScore, score_all
from glutemed.core.findings import (
    FindingsReport,
    GaitEvidence,
    LoadEvidence,
    SignContext,
    evaluate_findings,
    load_evidence_from_dict,
    numbers_under,
)
from glutemed.core.intake import Intake
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.models import Direction
from glutemed.knowledge.rules import Rules

HHD_TEST = "hip-abduction-dynamometry"


@dataclass(frozen=True)
class AssessmentResult:
    intake: Intake
    scores: tuple[TestScore, ...]
    report: FindingsReport
    gait: GaitEvidence | None
    load: LoadEvidence | None
    suspected_conditions: tuple[str, ...]  # diagnosed, or pointed to by a finding and matching the pain map
    at_risk_conditions: tuple[str, ...]  # pointed to by a finding, with no pain where they hurt
    notes: tuple[str, ...]


def norm_equation(kb: KnowledgeBase) -> NormEquationView | None:
    test = kb.clinical_tests.get(HHD_TEST)
    eq = test.norm_equation if test else None
    if eq is None:
        return None
    return NormEquationView(eq.intercept, eq.age_coef, eq.male_coef, eq.sd, eq.ref)


def _explicit_faults(data: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Faults a gait result lists by id: ``faults: [id, ...]`` or ``[{id, status}, ...]``."""
    flagged: list[str] = []
    borderline: list[str] = []
    for item in data.get("faults", []) or []:
        if isinstance(item, str):
            flagged.append(item)
        elif isinstance(item, Mapping) and isinstance(item.get("id"), str):
            status = str(item.get("status", "flagged"))
            if status == "flagged":
                flagged.append(item["id"])
            elif status == "borderline":
                borderline.append(item["id"])
    return flagged, borderline


def _beyond(value: float, limit: float, *, above: bool) -> bool:
    return value >= limit if above else value <= limit


def read_gait(data: Mapping[str, Any], kb: KnowledgeBase) -> tuple[GaitEvidence, list[str]]:
    """Compare every known gait metric found in a gait result with the knowledge base's thresholds."""
    flagged, borderline = _explicit_faults(data)
    metrics: dict[str, float] = {}
    notes: list[str] = []
    for fault in kb.gait_faults.values():
        values = numbers_under(data, frozenset({fault.metric}))
        if not values:
            continue
        th = fault.threshold
        worst = max(values) if th.direction is Direction.ABOVE else min(values)
        metrics[fault.metric] = worst
        if th.relative_to != "absolute":
            notes.append(f"{fault.id}: threshold is relative to {th.relative_to}; not judged from one value")
            continue
        above = th.direction is Direction.ABOVE
        if _beyond(worst, th.flagged, above=above) and fault.id not in flagged:
            flagged.append(fault.id)
        elif _beyond(worst, th.borderline, above=above) and fault.id not in flagged:
            borderline.append(fault.id)
    cadence = numbers_under(data, frozenset({"cadence_spm"}))
    if not metrics and not flagged:
        notes.append("the gait result holds no metric or fault that glutemed knows")
    evidence = GaitEvidence(
        flagged_faults=tuple(dict.fromkeys(flagged)),
        borderline_faults=tuple(dict.fromkeys(b for b in borderline if b not in flagged)),
        metrics=metrics,
        cadence_spm=statistics.median(cadence) if cadence else None,
    )
    return evidence, notes


def _conditions(
    intake: Intake, report: FindingsReport, kb: KnowledgeBase
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split the conditions findings point to into suspected (the pain map fits) and at risk (it does not)."""
    if report.stopped:
        return (), ()
    suspected = [c for c in intake.diagnosed_conditions if c in kb.conditions]
    at_risk: list[str] = []
    pain = set(intake.symptoms.regions)
    for finding in report.findings:
        for cond_id in finding.points_to:
            cond = kb.conditions.get(cond_id)
            if cond is None:
                continue
            fits = bool(pain & {region.value for region in cond.regions})
            (suspected if fits else at_risk).append(cond_id)
    suspected = list(dict.fromkeys(suspected))
    return tuple(suspected), tuple(c for c in dict.fromkeys(at_risk) if c not in suspected)


def assess(
    intake: Intake,
    *,
    kb: KnowledgeBase,
    rules: Rules,
    tests: TestResults | None = None,
    gait: Mapping[str, Any] | None = None,
    load: Mapping[str, Any] | None = None,
) -> AssessmentResult:
    notes: list[str] = []
    norm = norm_equation(kb)
    results = tests or TestResults()
    if results.dynamometry is not None and norm is None:
        notes.append(f"{HHD_TEST}: the knowledge base has no norm equation, so strength was not scored")
    scores = score_all(
        results,
        age_years=intake.runner.age_years,
        male=intake.runner.male,
        mass_kg=intake.runner.mass_kg,
        thresholds=rules.thresholds(),
        norm=norm,
    )
    gait_evidence = None
    if gait is not None:
        gait_evidence, gait_notes = read_gait(gait, kb)
        notes.extend(gait_notes)
    load_evidence = load_evidence_from_dict(load) if load is not None else None
    ctx = SignContext(intake, tuple(scores), gait_evidence, load_evidence, rules.sign_params())
    report = evaluate_findings(rules.finding_rules(), ctx)
    suspected, at_risk = _conditions(intake, report, kb)
    return AssessmentResult(
        intake=intake,
        scores=tuple(scores),
        report=report,
        gait=gait_evidence,
        load=load_evidence,
        suspected_conditions=suspected,
        at_risk_conditions=at_risk,
        notes=tuple(notes),
    )


def citations(keys: list[str] | tuple[str, ...], kb: KnowledgeBase) -> list[str]:
    return [kb.references[key].citation() if key in kb.references else key for key in keys]


def assessment_to_json(result: AssessmentResult, kb: KnowledgeBase) -> dict[str, Any]:
    report = result.report
    findings = []
    for finding in report.findings:
        item = asdict(finding)
        item["citations"] = citations(finding.refs, kb)
        findings.append(item)
    return {
        "runner": result.intake.name,
        "stopped": report.stopped,
        "red_flags": list(report.red_flags),
        "message": report.message,
        "tests": [asdict(score) for score in result.scores],
        "findings": findings,
        "suspected_conditions": list(result.suspected_conditions),
        "at_risk_conditions": list(result.at_risk_conditions),
        "gait": asdict(result.gait) if result.gait else None,
        "load": asdict(result.load) if result.load else None,
        "notes": list(result.notes),
    }
