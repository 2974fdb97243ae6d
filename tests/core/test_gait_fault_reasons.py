"""A verdict that cannot be given says why: too few stances, or a metric this recording cannot measure."""

from __future__ import annotations

from glutemed.core.faults import FaultRule, Verdict, _one

RULE = FaultRule(
    fault_id="cross-over-gait",
    metric="step_width_cm",
    direction="below",
    borderline=3.0,
    flagged=0.0,
    unit="cm",
    sdd=None,
    ref="brindle2014",
    verification="secondary",
)


def test_enough_stances_but_no_scale_is_not_blamed_on_stances() -> None:
    verdict = _one(RULE, "left", float("nan"), 0, 0.9, n_stances=12)
    assert verdict.verdict is Verdict.NOT_ENOUGH_DATA
    assert "not measurable" in verdict.reason
    assert "scale" in verdict.reason


def test_too_few_stances() -> None:
    verdict = _one(RULE, "left", 5.0, 5, 0.9, n_stances=5)
    assert verdict.verdict is Verdict.NOT_ENOUGH_DATA
    assert verdict.reason == "5 stances, at least 7 needed"


def test_measured_in_too_few_of_the_stances() -> None:
    verdict = _one(RULE, "left", 5.0, 4, 0.9, n_stances=12)
    assert verdict.reason == "measurable in 4 stances only, 7 needed"


def test_enough_stances_gives_a_verdict() -> None:
    assert _one(RULE, "left", 2.0, 9, 0.9, n_stances=9).verdict is Verdict.BORDERLINE
    assert _one(RULE, "left", -0.5, 9, 0.9, n_stances=9).verdict is Verdict.FLAGGED
    assert _one(RULE, "left", 6.0, 9, 0.9, n_stances=9).verdict is Verdict.WITHIN
