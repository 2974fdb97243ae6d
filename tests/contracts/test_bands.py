"""Bands from normative data flag no healthy runner by construction, and shared metrics give one verdict."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from glutemed.core.faults import FaultRule, Verdict
from glutemed.knowledge.loader import load_knowledge_base
from glutemed.knowledge.validate import check_shared_metrics
from glutemed.services.analyze import fault_rules

KB = load_knowledge_base()
RULES = fault_rules(KB, min_stances=7)
WITH_POPULATION = [f for f in KB.gait_faults.values() if f.reference_population is not None]


def test_the_knee_band_rests_on_uninjured_runners() -> None:
    knee = [f for f in WITH_POPULATION if f.metric == "knee_flexion_peak_stance_deg"]
    assert {f.id for f in knee} == {"reduced-stiffness", "stiff-landing"}


@pytest.mark.parametrize("fault", WITH_POPULATION, ids=lambda f: f.id)
@pytest.mark.parametrize("sds", [-1.0, 0.0, 1.0])
def test_a_healthy_runner_within_one_sd_of_the_published_mean_is_within(fault, sds: float) -> None:
    population = fault.reference_population
    assert population is not None
    rule = next(r for r in RULES if r.fault_id == fault.id)
    if rule.judged_by != "absolute":
        pytest.skip("judged against the other side")
    assert rule.classify(population.mean + sds * population.sd) is Verdict.WITHIN


def test_the_knowledge_base_passes_the_shared_metric_checks() -> None:
    assert check_shared_metrics(KB) == []


def _rules_for(metric: str) -> list[FaultRule]:
    return [r for r in RULES if r.metric == metric and r.judged_by == "absolute"]


SHARED = sorted({r.metric for r in RULES if len(_rules_for(r.metric)) == 2})


@pytest.mark.parametrize("metric", SHARED)
@given(value=st.floats(min_value=-90, max_value=180, allow_nan=False))
def test_one_value_is_never_a_fault_in_both_directions(metric: str, value: float) -> None:
    verdicts = [rule.classify(value) for rule in _rules_for(metric)]
    assert sum(v is not Verdict.WITHIN for v in verdicts) <= 1


def test_shared_metric_exists() -> None:
    assert "knee_flexion_peak_stance_deg" in SHARED
    assert not math.isnan(KB.gait_faults["stiff-landing"].threshold.borderline)
