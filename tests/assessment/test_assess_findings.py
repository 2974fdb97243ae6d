"""Findings from rules: status, inputs used, what is missing, and red flags that stop everything."""

from __future__ import annotations

from dataclasses import replace

import pytest

from glutemed.core.clinical_scoring import TestScore
from glutemed.core.findings import (
    SEE_A_CLINICIAN,
    FindingRule,
    GaitEvidence,
    GaitFault,
    LoadEvidence,
    SignContext,
    SignParams,
    evaluate_findings,
    evaluate_rule,
)
from glutemed.core.intake import RedFlagAnswers
from glutemed.knowledge.rules import Rules, check_rules

PARAMS = SignParams(weekly_increase_flag_pct=30, session_spike_flag_pct=110)
WEAK = FindingRule(
    id="weak",
    name="Weak",
    evidence_level="limited",
    refs=("ramskov2014",),
    reasoning="Two signs.",
    any_of=("hhd-below-norm", "trendelenburg-positive", "side-bridge-asymmetry"),
    min_signs=2,
)


def score(test_id: str, positive: bool) -> TestScore:
    return TestScore(test_id, "right", positive, None, None, f"{test_id} {'+' if positive else '-'}")


def test_two_signs_make_a_finding_present(make_intake) -> None:
    ctx = SignContext(
        make_intake(),
        (score("trendelenburg-test", True), score("side-bridge-endurance", True)),
        None,
        None,
        PARAMS,
    )
    finding = evaluate_rule(WEAK, ctx)
    assert finding.status == "present"
    assert any(item.startswith("trendelenburg-positive") for item in finding.inputs_used)
    assert finding.missing == ("hhd-below-norm (hip-abduction-dynamometry not done)",)


def test_one_sign_with_missing_tests_is_undetermined(make_intake) -> None:
    ctx = SignContext(make_intake(), (score("trendelenburg-test", True),), None, None, PARAMS)
    finding = evaluate_rule(WEAK, ctx)
    assert finding.status == "undetermined"
    assert len(finding.missing) == 2
    assert finding.points_to == ()


def test_too_few_signs_even_with_missing_is_absent(make_intake) -> None:
    scores = (score("trendelenburg-test", False), score("side-bridge-endurance", False))
    finding = evaluate_rule(WEAK, SignContext(make_intake(), scores, None, None, PARAMS))
    assert finding.status == "absent"


def test_required_sign_absent_makes_the_finding_absent(rules: Rules, make_intake) -> None:
    gt = next(r for r in rules.finding_rules() if r.id == "gluteal-tendinopathy-like")
    ctx = SignContext(make_intake(aggravators=("lying-on-side",)), (), None, None, PARAMS)
    assert evaluate_rule(gt, ctx).status == "absent"  # no lateral hip pain on the map
    ctx = SignContext(
        make_intake(regions=("lateral-hip",), aggravators=("lying-on-side",)), (), None, None, PARAMS
    )
    assert evaluate_rule(gt, ctx).status == "present"


def test_red_flags_stop_everything(rules: Rules, make_intake) -> None:
    intake = replace(make_intake(regions=("lateral-hip",)), red_flags=RedFlagAnswers(fever=True))
    report = evaluate_findings(
        rules.finding_rules(), SignContext(intake, (), None, None, rules.sign_params())
    )
    assert report.stopped
    assert report.findings == ()
    assert report.red_flags == ("fever",)
    assert report.message == SEE_A_CLINICIAN
    assert "clinician" in SEE_A_CLINICIAN


def test_gait_and_load_signs(rules: Rules, make_intake) -> None:
    gait = GaitEvidence(
        faults=(
            GaitFault(
                "cross-over-gait",
                "Cross-over gait",
                "left",
                "flagged",
                -1.5,
                "cm",
                "above 3 cm",
                None,
                0.9,
                "brindle2014",
            ),
        )
    )
    load = LoadEvidence(max_weekly_increase_pct=45.0)
    assert load.max_weekly_increase_pct == 45
    intake = make_intake(regions=("lateral-knee",))
    report = evaluate_findings(
        rules.finding_rules(), SignContext(intake, (), gait, load, rules.sign_params())
    )
    status = {f.id: f.status for f in report.findings}
    assert status["gait-fault-driven-overload"] == "present"
    assert status["training-load-caution"] == "present"  # a weekly rise is a caution, not a spike
    assert status["training-load-spike"] == "undetermined"  # no single-run judgement in this load result
    assert status["itb-syndrome-like"] == "present"


def test_without_gait_the_gait_finding_says_what_is_missing(rules: Rules, make_intake) -> None:
    report = evaluate_findings(
        rules.finding_rules(), SignContext(make_intake(), (), None, None, rules.sign_params())
    )
    gait = next(f for f in report.findings if f.id == "gait-fault-driven-overload")
    assert gait.status == "undetermined"
    assert all("no gait result" in item for item in gait.missing)


def test_every_finding_carries_evidence_and_refs(rules: Rules) -> None:
    for rule in rules.finding_rules():
        assert rule.refs
        assert rule.evidence_level
        assert rule.reasoning


def test_bundled_rules_pass_their_own_checks(rules: Rules) -> None:
    assert check_rules(rules) == []


def test_unknown_sign_is_rejected() -> None:
    bad = FindingRule("x", "X", "weak", ("a2000",), "r", any_of=("no-such-sign",))
    with pytest.raises(ValueError, match="no-such-sign"):
        evaluate_rule(bad, SignContext(None, (), None, None, PARAMS))  # type: ignore[arg-type]
