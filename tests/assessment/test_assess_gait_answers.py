"""The program answers what the video found: each flagged or borderline fault gets a cue and exercises, said in
words; faults not judged are gaps with filming advice; cues that conflict are reconciled by the rule data."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glutemed.core.findings import GAIT_FAULTS, GaitFault, GaitGap, GaitVerdict
from glutemed.core.gait_answers import CueConflict, CueRule, running_cues
from glutemed.core.programming import Program, ProgramRequest, build_program
from glutemed.knowledge.rules import Rules
from glutemed.reports.program_html import render_program_handout
from glutemed.services.assessment import assess
from glutemed.services.intake_schema import load_intake
from glutemed.services.program import (
    condition_views,
    exercise_view,
    make_program,
    program_request,
    program_to_json,
    routine_items,
)

KIT = ("mat", "mini-band", "long-band", "step", "mirror", "treadmill", "metronome", "strap", "dumbbell")


def fault(fault_id: str, side: str = "left", verdict: GaitVerdict = "flagged") -> GaitFault:
    return GaitFault(
        fault_id, fault_id.replace("-", " "), side, verdict, 9.5, "deg", "below 5.0 deg", 2.0, 0.9, "x"
    )


@pytest.fixture(scope="module")
def catalogue(kb):  # type: ignore[no-untyped-def]
    return [exercise_view(ex) for ex in kb.exercises.values()]


def build(kb, rules: Rules, catalogue, **over: Any) -> Program:  # type: ignore[no-untyped-def]
    request: dict[str, Any] = {
        "conditions": (),
        "findings": (),
        "gait_faults": (),
        "equipment": KIT,
        "sessions_per_week": 3,
        "minutes_per_session": 40.0,
        "cadence_spm": 160.0,
    }
    request.update(over)
    return build_program(
        catalogue, condition_views(kb), routine_items(kb), ProgramRequest(**request), rules.programming()
    )


def exercises(program: Program) -> list[str]:
    return [p.exercise_id for phase in program.phases for p in phase.exercises]


def test_a_flagged_fault_changes_the_program(examples, kb, rules: Rules) -> None:  # type: ignore[no-untyped-def]
    parsed = load_intake(examples / "itb-crossover.yaml")
    result = assess(parsed.to_core(), kb=kb, rules=rules)
    plain = make_program(result, kb, rules)
    with_fault = replace(result, gait=None)
    request = replace(program_request(with_fault), gait=(fault("cross-over-gait"),))
    views = [exercise_view(ex) for ex in kb.exercises.values()]
    answered = build_program(views, condition_views(kb), routine_items(kb), request, rules.programming())
    assert plain is not None
    assert not plain.gait_answers
    assert not plain.running_cues
    [answer] = answered.gait_answers
    assert answer.fault_id == "cross-over-gait"
    assert answer.side == "left"
    assert answer.cue_ids == ("step-width",)
    assert answer.exercise_ids  # at least one drill or exercise in the program answers it
    assert set(answer.exercise_ids) <= set(exercises(answered))
    assert exercises(answered) != exercises(plain)
    assert "step-width" in answer.what_the_program_does or "step" in answer.what_the_program_does.lower()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fault_id=st.sampled_from(GAIT_FAULTS),
    side=st.sampled_from(["left", "right", "both"]),
    verdict=st.sampled_from(["flagged", "borderline"]),
)
def test_every_fault_gets_a_cue_and_an_exercise(  # type: ignore[no-untyped-def]
    kb, rules: Rules, catalogue, *, fault_id, side, verdict
) -> None:
    found = fault(fault_id, side, verdict)
    program = build(kb, rules, catalogue, gait=(found,))
    without = build(kb, rules, catalogue)
    [answer] = program.gait_answers
    assert (answer.fault_id, answer.side, answer.verdict) == (fault_id, side, verdict)
    assert (answer.value, answer.unit, answer.normal_band) == (9.5, "deg", "below 5.0 deg")
    assert answer.cue_ids, fault_id
    assert answer.exercise_ids, fault_id
    assert set(answer.exercise_ids) <= set(exercises(program))
    assert program.running_cues != without.running_cues
    assert answer.what_the_program_does


def test_conflicting_cues_are_combined_by_the_rule_data(kb, rules: Rules, catalogue) -> None:  # type: ignore[no-untyped-def]
    program = build(kb, rules, catalogue, gait=(fault("stiff-landing"), fault("low-cadence", "both")))
    ids = [c.id for c in program.running_cues]
    assert "cadence-increase+soft-landing" in ids
    assert "cadence-increase" not in ids
    assert "soft-landing" not in ids
    combined = next(c for c in program.running_cues if c.id == "cadence-increase+soft-landing")
    assert "usual step rate" in combined.cue
    assert set(combined.faults) == {"stiff-landing", "low-cadence"}
    assert any("combined" in note for note in program.notes)
    for answer in program.gait_answers:
        assert answer.cue_ids == ("cadence-increase+soft-landing",)
    alone = build(kb, rules, catalogue, gait=(fault("low-cadence", "both"),))
    assert [c.id for c in alone.running_cues] == ["cadence-increase"]


def test_a_conflict_rule_can_name_the_winner() -> None:
    rules = (
        CueRule("quick", ("low-cadence",), "Quicker steps.", ("a",)),
        CueRule("soft", ("stiff-landing",), "Softer landing.", ("b",)),
    )
    conflict = CueConflict(("quick", "soft"), "soft first", ("c",), keep="soft")
    cues, notes = running_cues(("low-cadence", "stiff-landing"), None, rules, (conflict,))
    assert [c.id for c in cues] == ["soft"]
    assert "left out" in notes[0]


def test_faults_not_judged_are_gaps_never_no_fault(kb, rules: Rules, catalogue) -> None:  # type: ignore[no-untyped-def]
    gap = GaitGap(
        "contralateral-pelvic-drop", "Contralateral pelvic drop", "no rear view", "Film from behind."
    )
    program = build(kb, rules, catalogue, gait_gaps=(gap,))
    assert program.gait_gaps == (gap,)
    assert not program.gait_answers
    assert any("not judged" in n and "Film from behind." in n for n in program.notes)


def test_json_and_handout_carry_answers_and_gaps(examples, kb, rules: Rules, catalogue) -> None:  # type: ignore[no-untyped-def]
    gap = GaitGap("overstride", "Overstriding", "no side view", "Film from the side at hip height.")
    program = build(kb, rules, catalogue, gait=(fault("cross-over-gait", "right"),), gait_gaps=(gap,))
    data = program_to_json(program, kb, rules)
    assert data["stopped"] is False
    [answer] = data["gait_answers"]
    assert answer["fault_id"] == "cross-over-gait"
    assert answer["citations"]
    assert data["gait_gaps"][0]["advice"] == "Film from the side at hip height."
    assert [s["phase_id"] for s in data["pre_run_by_phase"]] == [p["id"] for p in data["phases"]]
    parsed = load_intake(examples / "itb-crossover.yaml")
    result = assess(parsed.to_core(), kb=kb, rules=rules)
    page = render_program_handout(program, result, kb)
    assert "What your running video found" in page
    assert "Film from the side at hip height." in page
    assert "gaps, not normal results" in page
