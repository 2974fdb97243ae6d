"""Properties of the progression engine over arbitrary log histories of the demo runner's real program."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glutemed.knowledge.loader import knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.services.assessment import assess
from glutemed.services.demo import DEMO_INTAKE, demo_dir
from glutemed.services.intake_schema import SessionIn, load_intake
from glutemed.services.program import make_program, program_to_json
from glutemed.services.progress_log import Dose, LoggedDay, current_doses, evaluate

START = dt.date(2026, 11, 2)
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _program_text() -> str:
    kb, rules = knowledge_base(), bundled_rules()
    intake = load_intake(demo_dir() / DEMO_INTAKE)
    result = assess(
        intake.to_core(), kb=kb, rules=rules, tests=intake.tests.to_core() if intake.tests else None
    )
    program = make_program(result, kb, rules)
    assert program is not None
    return json.dumps(program_to_json(program, kb, rules))


def program() -> dict[str, Any]:
    return json.loads(_program_text())


def exercise_ids() -> list[str]:
    ids = {i["exercise_id"] for p in program()["phases"] for i in p["exercises"]}
    return sorted(ids | {"single-leg-romanian-deadlift"})  # plus the exercise with a ladder


pain = st.one_of(st.integers(0, 10).map(float), st.floats(0, 10, allow_nan=False))


@st.composite
def set_logs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "reps": draw(st.integers(0, 30)),
        "hold_s": draw(st.none() | st.integers(0, 200).map(float)),
        "load_kg": draw(st.sampled_from([0.0, 0.0, 2.5, 5.0])),
        "support": draw(st.sampled_from(["none", "rail"])),
        "pain_during_0_10": draw(pain),
    }


@st.composite
def histories(draw: st.DrawFn, max_days: int = 8) -> list[LoggedDay]:
    ids = exercise_ids()
    gaps = draw(st.lists(st.integers(1, 5), min_size=1, max_size=max_days))
    out = []
    day = START
    for gap in gaps:
        day += dt.timedelta(days=gap)
        chosen = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        exercises = [
            {
                "exercise": ex,
                "sets": draw(st.lists(set_logs(), min_size=1, max_size=3)),
                "pain_next_morning_0_10": draw(st.none() | pain),
                "baseline_pain_0_10": draw(st.sampled_from([0.0, 2.0, 4.0])),
            }
            for ex in chosen
        ]
        session = SessionIn.model_validate({"date": day.isoformat(), "exercises": exercises})
        out.append(
            LoggedDay(
                day,
                session,
                morning_pain_0_10=draw(st.none() | pain),
                morning_stiffness_0_10=draw(st.none() | pain),
            )
        )
    return out


def inside_ranges(exercise_id: str, dose: Dose) -> bool:
    cat = knowledge_base().exercises[exercise_id].dose
    ladder = bundled_rules().progression_rules().ladders.get(exercise_id)
    ok = cat.sets_range[0] <= dose.sets <= cat.sets_range[1] and dose.load_kg >= 0
    for span, cat_span in ((dose.reps_range, cat.reps_range), (dose.hold_s_range, cat.hold_s_range)):
        if (span is None) != (cat_span is None):
            return False
        if span is not None and cat_span is not None:
            ok = ok and cat_span[0] <= span[0] <= span[1] == cat_span[1]
    labels = {s.label for s in ladder} if ladder else {""}
    return ok and dose.step_label in labels


def rung(exercise_id: str, dose: Dose) -> int:
    ladder = bundled_rules().progression_rules().ladders.get(exercise_id) or ()
    return next((i for i, s in enumerate(ladder) if s.label == dose.step_label), 0)


def low(dose: Dose) -> int:
    span = dose.reps_range or dose.hold_s_range
    assert span is not None
    return span[0]


@SETTINGS
@given(histories())
def test_every_prescribed_dose_stays_inside_the_exercise_ranges(history: list[LoggedDay]) -> None:
    prog = program()
    for exercise_id, dose in current_doses(prog, history).items():
        assert inside_ranges(exercise_id, dose), (exercise_id, dose)
    for d in evaluate(prog, history).decisions:
        assert inside_ranges(d.exercise_id, d.dose_before)
        assert inside_ranges(d.exercise_id, d.dose_after)


@SETTINGS
@given(histories(), st.sampled_from(["fever", "trauma", "bladder_or_bowel_change"]))
def test_a_red_flag_in_a_later_check_in_stops_the_program(history: list[LoggedDay], flag: str) -> None:
    e = evaluate(program(), history, red_flags=[flag])
    assert e.decisions == ()
    assert e.stopped is not None
    assert e.stopped.startswith("Stop the exercise program")


@SETTINGS
@given(
    histories(max_days=6),
    st.dictionaries(st.sampled_from(exercise_ids()), st.sampled_from(["hold", "regress"])),
)
def test_regress_never_raises_and_hold_never_changes_the_dose(
    history: list[LoggedDay], wanted: dict[str, str]
) -> None:
    prog = program()
    for n in range(1, len(history) + 1):
        logged = {e.exercise for e in history[n - 1].session.exercises}
        overrides = {k: v for k, v in wanted.items() if k in logged}
        for d in evaluate(prog, history[:n], overrides=overrides).decisions:
            before, after = d.dose_before, d.dose_after
            if d.action == "hold":
                assert after == before
            if d.action == "regress":
                assert after.load_kg <= before.load_kg
                assert rung(d.exercise_id, after) <= rung(d.exercise_id, before)
                assert low(after) <= low(before)
                assert after.sets <= before.sets
            if d.exercise_id in overrides:
                assert d.action == overrides[d.exercise_id]


@SETTINGS
@given(histories(max_days=6))
def test_the_replay_gives_the_doses_the_last_evaluation_prescribes(history: list[LoggedDay]) -> None:
    prog = program()
    doses = current_doses(prog, history)
    for d in evaluate(prog, history).decisions:
        assert doses[d.exercise_id] == d.dose_after
        assert d.action in {"progress", "hold", "regress"}
        assert d.plain_reason
        assert d.reason
