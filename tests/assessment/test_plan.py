"""The week-by-week plan against plans worked out by hand (core/plan.py; the defaults are glutemed's own)."""

from __future__ import annotations

import pytest

from glutemed.core.plan import PlanDefaults, build_plan, climb, run_days_for, spread
from glutemed.core.pre_run import PreRunStage, RoutineItemView
from glutemed.core.program_types import DoseView, Phase, Prescription, Program
from glutemed.core.progression import ProgressionRules

RULES = ProgressionRules(
    progress_max_pain_0_10=3,
    regress_above_pain_0_10=5,
    load_increase_pct=(2, 10),
    pain_refs=(),
    load_refs=(),
)


def dose(*, reps: tuple[int, int] | None = None, hold: tuple[int, int] | None = None) -> DoseView:
    return DoseView(
        sets=3,
        sets_range=(2, 4),
        per_side=True,
        rest_s=30,
        sessions_per_week=3,
        sessions_per_week_range=(1, 7),
        reps=reps[0] if reps else None,
        reps_range=reps,
        hold_s=hold[0] if hold else None,
        hold_s_range=hold,
    )


def rx(ident: str, *, reps: int | None = None, hold_s: int | None = None, per_week: int = 3) -> Prescription:
    return Prescription(
        exercise_id=ident,
        name=ident.title(),
        sets=3,
        per_side=True,
        rest_s=30,
        sessions_per_week=per_week,
        minutes=5.0,
        why="",
        refs=(),
        reps=reps,
        hold_s=hold_s,
    )


def phase(ident: str, *items: Prescription) -> Phase:
    return Phase(ident, ident.title(), (ident,), items, "", ())


def program(*phases: Phase, pre_run: tuple[RoutineItemView, ...] = ()) -> Program:
    stages = tuple(PreRunStage(p.id, p.name, "activation", pre_run, ()) for p in phases)
    return Program(
        phases=phases,
        pre_run=pre_run,
        running_cues=(),
        avoided=(),
        avoid_tags=(),
        calendar=(),
        pre_run_by_phase=stages,
    )


DOSES = {
    "bridge": dose(reps=(8, 15)),
    "walk": dose(reps=(8, 20)),
    "hold": dose(hold=(30, 60)),
    "drill": dose(hold=(120, 300)),
    "clam": dose(reps=(15, 15)),
}


def test_reps_climb_one_a_session_and_the_top_session_counts() -> None:
    # 10 -> 15 at +1 a session: sessions 1..6 do 10, 11, 12, 13, 14, 15; the sixth earns 'progress'.
    c = climb(rx("bridge", reps=10), DOSES["bridge"], PlanDefaults())
    assert (c.start, c.top, c.step, c.sessions) == (10, 15, 1, 6)
    assert c.weeks == 2  # 6 sessions at 3 a week
    assert [c.at_session(n) for n in range(1, 8)] == [10, 11, 12, 13, 14, 15, 15]
    assert c.at_week_end(1) == 12


def test_holds_climb_five_seconds_or_a_sixth_of_a_long_climb() -> None:
    short = climb(rx("hold", hold_s=30, per_week=2), DOSES["hold"], PlanDefaults())
    assert (short.step, short.sessions, short.weeks) == (5, 7, 4)  # 30 -> 60 s: 6 steps + 1; 7 / 2 a week
    long = climb(rx("drill", hold_s=120), DOSES["drill"], PlanDefaults())
    assert (long.step, long.sessions, long.weeks) == (30, 7, 3)  # 180 s / 6 = 30 s a step


def test_a_dose_already_at_the_top_needs_one_session() -> None:
    c = climb(rx("clam", reps=15), DOSES["clam"], PlanDefaults())
    assert (c.sessions, c.weeks) == (1, 1)


def test_phase_lengths_weeks_and_order_by_hand() -> None:
    prog = program(
        phase("activation", rx("clam", reps=15)),  # 1 session -> the 2-week floor
        phase("isolated-strength", rx("walk", reps=8), rx("bridge", reps=8)),  # 13 sessions / 3 = 5 weeks
        phase("maintenance", rx("walk", reps=8, per_week=1)),  # ongoing: 4 weeks written in
    )
    plan = build_plan(prog, DOSES, RULES, sessions_per_week=3, runs_per_week=3)
    assert [(p.phase_id, p.first_week, p.weeks) for p in plan.phases] == [
        ("activation", 1, 2),
        ("isolated-strength", 3, 5),
        ("maintenance", 8, 4),
    ]
    assert plan.total_weeks == 11
    weeks = plan.weeks()
    assert [w.number for w in weeks] == list(range(1, 12))
    strength = [w for w in weeks if w.phase.phase_id == "isolated-strength"]
    assert [{c.exercise_id: v for c, v in w.aims}["walk"] for w in strength] == [10, 13, 16, 19, 20]
    assert plan.phases[2].ongoing


def test_days_sessions_runs_and_pre_run_only_on_running_days() -> None:
    routine = (RoutineItemView("bridge", "1 x 10", "warms up"),)
    prog = program(
        phase("activation", rx("bridge", reps=10), rx("hold", hold_s=30, per_week=2)), pre_run=routine
    )
    plan = build_plan(prog, DOSES, RULES, sessions_per_week=3, runs_per_week=3)
    days = plan.phases[0].days
    assert [d.name for d in days if d.exercises] == ["Monday", "Wednesday", "Friday"]
    assert [p.exercise_id for p in days[0].exercises] == ["bridge", "hold"]
    assert [p.exercise_id for p in days[2].exercises] == ["bridge"]  # twice a week: Monday and Friday
    assert [p.exercise_id for p in days[4].exercises] == ["bridge", "hold"]
    assert [d.name for d in days if d.run] == ["Tuesday", "Thursday", "Saturday"]
    assert all(d.pre_run == routine for d in days if d.run)
    assert all(d.pre_run == () for d in days if not d.run)
    assert days[6].rest
    assert not plan.run_days_given
    assert any("Running days" in a for a in plan.assumptions)


def test_the_runners_own_running_days_win() -> None:
    prog = program(phase("activation", rx("bridge", reps=10)))
    plan = build_plan(prog, DOSES, RULES, sessions_per_week=3, runs_per_week=3, run_days=(6, 0))
    assert plan.run_days == (0, 6)
    assert plan.run_days_given
    assert plan.phases[0].days[0].run
    assert plan.phases[0].days[0].exercises


@pytest.mark.parametrize(
    ("days", "count", "expected"),
    [
        ((0, 2, 4), 2, (0, 4)),
        ((0, 2, 4), 1, (0,)),
        ((0, 2, 4), 3, (0, 2, 4)),
        (tuple(range(7)), 3, (0, 3, 6)),
    ],
)
def test_spread(days: tuple[int, ...], count: int, expected: tuple[int, ...]) -> None:
    assert spread(days, count) == expected


def test_default_run_patterns() -> None:
    assert run_days_for(0) == ()
    assert run_days_for(2) == (2, 5)
    assert run_days_for(9) == tuple(range(7))


def test_move_on_rule_in_plain_words_from_the_progression_rules() -> None:
    prog = program(phase("activation", rx("bridge", reps=10)))
    plan = build_plan(prog, DOSES, RULES, sessions_per_week=3, runs_per_week=0)
    rule = " ".join(plan.phases[0].move_on)
    assert "Bridge 3 x 15 reps on each side" in rule
    assert "3/10 or less" in rule
    assert "next morning" in rule
    assert "2-10% weight" in rule
    assert "glutemed progress" not in rule
    assert "above 5/10" in plan.phases[0].step_back


def test_example_runner_plan_by_hand(examples, kb, rules) -> None:  # type: ignore[no-untyped-def]
    """Runner A: 3 sessions and 3 runs a week. Worked by hand from the catalogue's ranges:
    activation: wall isometric 30 -> 45 s at 5 s = 4 sessions, 2 weeks (also the floor);
    isolated strength: lateral band walk 10 -> 20 reps = 11 sessions, 4 weeks;
    compound: forward step-up 8 -> 15 reps = 8 sessions, 3 weeks;
    motor control: glute squeeze at foot strike 60 -> 180 s at 20 s = 7 sessions, 3 weeks;
    maintenance: 4 weeks written in. 16 weeks in all."""
    from glutemed.services.assessment import assess
    from glutemed.services.intake_schema import load_intake
    from glutemed.services.program import make_program, plan_for

    intake = load_intake(examples / "female-lateral-hip-pain.yaml")
    result = assess(
        intake.to_core(), kb=kb, rules=rules, tests=intake.tests.to_core() if intake.tests else None
    )
    program = make_program(result, kb, rules)
    assert program is not None
    plan = plan_for(program, result, kb, rules)
    assert [(p.phase_id, p.weeks) for p in plan.phases] == [
        ("activation", 2),
        ("isolated-strength", 4),
        ("compound-stabiliser", 3),
        ("motor-control", 3),
        ("maintenance", 4),
    ]
    assert plan.total_weeks == 16
    slowest = {p.phase_id: max(p.climbs, key=lambda c: c.weeks) for p in plan.phases[:-1]}
    assert (slowest["activation"].start, slowest["activation"].top, slowest["activation"].sessions) == (
        30,
        45,
        4,
    )
    assert (slowest["isolated-strength"].start, slowest["isolated-strength"].sessions) == (10, 11)
    assert slowest["motor-control"].step == 20
    assert [d.name for d in plan.phases[0].session_days] == ["Monday", "Wednesday", "Friday"]
    assert [d.name for d in plan.phases[0].run_days] == ["Tuesday", "Thursday", "Saturday"]


def test_plan_in_the_program_json(examples) -> None:  # type: ignore[no-untyped-def]
    import json

    from typer.testing import CliRunner

    from glutemed.cli.app import app

    done = CliRunner().invoke(app, ["program", str(examples / "female-lateral-hip-pain.yaml"), "--json"])
    assert done.exit_code == 0, done.output
    plan = json.loads(done.stdout)["plan"]
    assert plan["total_weeks"] == 16
    assert plan["run_days"] == ["Tuesday", "Thursday", "Saturday"]
    assert [p["weeks"] for p in plan["phases"]] == [2, 4, 3, 3, 4]
    assert plan["phases"][1]["climbs"][0] == {
        "exercise_id": "lateral-band-walk",
        "unit": "reps",
        "start": 10,
        "top": 20,
        "step": 1,
        "sessions": 11,
        "sessions_per_week": 3,
        "weeks": 4,
    }
    assert any("glutemed" in line for line in plan["assumptions"])
