"""Progress / hold / regress from set logs and pain, and the single-leg RDL ladder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from glutemed.core.progression import Decision, ExerciseLog, SetLog, Target, decide, phase_ready
from glutemed.knowledge.rules import Rules

TARGET = Target(reps_range=(8, 15), regressions=("easier",), progressions=("harder",))


def log(
    reps: int, pain: float, morning: float | None, *, support: str = "none", load_kg: float = 0.0
) -> ExerciseLog:
    sets = tuple(SetLog(reps=reps, pain_during_0_10=pain, support=support, load_kg=load_kg) for _ in range(3))
    return ExerciseLog("clam", sets, pain_next_morning_0_10=morning, baseline_pain_0_10=1)


def test_top_of_range_low_pain_settled_progresses(rules: Rules) -> None:
    d = decide(log(15, 3, 1), TARGET, rules.progression_rules())
    assert d.action == "progress"
    assert "harder" in d.next_step
    assert "2-10%" in d.next_step
    assert "silbernagel2007" in d.refs
    assert "ratamess2009" in d.refs


def test_pain_above_five_regresses(rules: Rules) -> None:
    d = decide(log(15, 6, 1), TARGET, rules.progression_rules())
    assert d.action == "regress"
    assert "easier" in d.next_step


def test_not_settled_next_morning_regresses(rules: Rules) -> None:
    d = decide(log(15, 2, 3), TARGET, rules.progression_rules())
    assert d.action == "regress"
    assert "not settled" in d.reason


def test_below_top_or_unlogged_morning_holds(rules: Rules) -> None:
    assert decide(log(12, 1, 0), TARGET, rules.progression_rules()).action == "hold"
    held = decide(log(15, 1, None), TARGET, rules.progression_rules())
    assert held.action == "hold"
    assert "next-morning" in held.reason
    assert decide(log(15, 4, 1), TARGET, rules.progression_rules()).action == "hold"


def test_hold_targets_use_the_hold_range(rules: Rules) -> None:
    target = Target(hold_s_range=(10, 45))
    sets = (SetLog(hold_s=45), SetLog(hold_s=45))
    assert decide(ExerciseLog("wall", sets, 0), target, rules.progression_rules()).action == "progress"


def test_sl_rdl_ladder(rules: Rules) -> None:
    pr = rules.progression_rules()
    target = Target(reps_range=(8, 15))

    def rdl(support: str, load_kg: float, pain: float = 1) -> ExerciseLog:
        sets = tuple(
            SetLog(reps=15, support=support, load_kg=load_kg, pain_during_0_10=pain) for _ in range(3)
        )
        return ExerciseLog("single-leg-romanian-deadlift", sets, pain_next_morning_0_10=0)

    step1 = decide(rdl("rail", 0), target, pr)
    assert step1.action == "progress"
    assert "no support, bodyweight" in step1.next_step
    step2 = decide(rdl("none", 0), target, pr)
    assert "2.5 kg" in step2.next_step
    assert "side of the lifted leg" in step2.next_step
    assert "kingofthegym2023" in step2.refs
    back = decide(rdl("none", 2.5, pain=7), target, pr)
    assert back.action == "regress"
    assert "back one rung: no support, bodyweight" in back.next_step


@given(
    reps=st.integers(0, 30),
    pain=st.floats(0, 10),
    morning=st.one_of(st.none(), st.floats(0, 10)),
)
def test_decision_rules_hold_for_any_log(rules: Rules, reps: int, pain: float, morning: float | None) -> None:
    d = decide(log(reps, pain, morning), TARGET, rules.progression_rules())
    if pain > 5 or (morning is not None and morning > 1):
        assert d.action == "regress"
    elif d.action == "progress":
        assert reps >= 15
        assert pain <= 3
        assert morning is not None


def test_phase_ready_needs_every_exercise_progressing() -> None:
    ok = [Decision("a", "progress", "", "", ()), Decision("b", "hold", "", "", ())]
    assert not phase_ready(ok, ("a", "b"))[0]
    ready, text = phase_ready([Decision("a", "progress", "", "", ())], ("a",))
    assert ready
    assert "re-test" in text
