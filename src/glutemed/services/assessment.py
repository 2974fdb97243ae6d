"""Run an assessment: intake + clinical tests (+ gait and training-load results) -> scored tests and findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from glutemed.contracts.gait_result import read_gait_result
from glutemed.contracts.load_result import read_load_result
from glutemed.core.clinical_scoring import (
    DynamometryProtocol,
    NormEquationView,
    TestResults,
    TestScore,
    score_all,
)
from glutemed.core.findings import (
    FindingsReport,
    GaitEvidence,
    GaitFinding,
    LoadEvidence,
    SignContext,
    evaluate_findings,
    gait_findings,
)
from glutemed.core.intake import Intake
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.rules import Rules
from glutemed.services.gait_evidence import gait_evidence

HHD_TEST = "hip-abduction-dynamometry"


@dataclass(frozen=True)
class AssessmentResult:
    intake: Intake
    scores: tuple[TestScore, ...]
    report: FindingsReport
    gait: GaitEvidence | None
    load: LoadEvidence | None
    gait_findings: tuple[GaitFinding, ...]
    suspected_conditions: tuple[str, ...]  # diagnosed, or pointed to by a finding and matching the pain map
    at_risk_conditions: tuple[str, ...]  # pointed to by a finding, with no pain where they hurt
    notes: tuple[str, ...]


def norm_equation(kb: KnowledgeBase) -> NormEquationView | None:
    test = kb.clinical_tests.get(HHD_TEST)
    eq = test.norm_equation if test else None
    if eq is None:
        return None
    protocol = (
        DynamometryProtocol(
            contraction=eq.protocol.contraction.value,
            position=eq.protocol.position.value,
            device=eq.protocol.device.value,
        )
        if eq.protocol is not None
        else None
    )
    return NormEquationView(eq.intercept, eq.age_coef, eq.male_coef, eq.sd, eq.ref, protocol=protocol)


def read_gait(data: Mapping[str, Any], kb: KnowledgeBase, *, source: str = "gait result") -> GaitEvidence:
    """The analyzer's verdicts from a ``glutemed.gait/v1`` result; a wrong shape raises ContractError."""
    return gait_evidence(read_gait_result(data, source), kb)


def read_load(data: Mapping[str, Any], *, source: str = "load result") -> LoadEvidence:
    """The load command's own judgement from a ``glutemed.load/v1`` result; nothing is re-derived here."""
    judgement = read_load_result(data, source).judgement
    return LoadEvidence(
        max_session_pct_of_longest=judgement.max_session_pct_of_longest,
        max_weekly_increase_pct=judgement.max_weekly_increase_pct,
    )


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
    gait_source: str = "gait result",
    load_source: str = "load result",
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
        gait_evidence = read_gait(gait, kb, source=gait_source)
    load_evidence = read_load(load, source=load_source) if load is not None else None
    ctx = SignContext(intake, tuple(scores), gait_evidence, load_evidence, rules.sign_params())
    report = evaluate_findings(rules.finding_rules(), ctx)
    suspected, at_risk = _conditions(intake, report, kb)
    meanings = {
        f.id: (f.definition, tuple(f.linked_conditions), tuple(f.refs)) for f in kb.gait_faults.values()
    }
    return AssessmentResult(
        gait_findings=gait_findings(gait_evidence, meanings) if gait_evidence and not report.stopped else (),
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


def _gait_json(gait: GaitEvidence) -> dict[str, Any]:
    return {
        "flagged_faults": list(gait.flagged_faults),
        "borderline_faults": list(gait.borderline_faults),
        **asdict(gait),
    }


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
        "gait_findings": [
            asdict(g) | {"summary": g.summary(), "citations": citations(g.refs, kb)}
            for g in result.gait_findings
        ],
        "gait": _gait_json(result.gait) if result.gait else None,
        "load": asdict(result.load) if result.load else None,
        "notes": list(result.notes),
    }
