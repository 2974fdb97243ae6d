"""The runner portal's progression engine on a real program (the bundled demo intake), scenario by scenario."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from glutemed.cli.assess import register
from glutemed.knowledge.loader import knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.services.assessment import assess
from glutemed.services.demo import DEMO_INTAKE, demo_dir
from glutemed.services.intake_schema import SessionIn, load_intake
from glutemed.services.program import URGENCY_WORDS, make_program, plan_for, program_to_json
from glutemed.services.progress_log import (
    Dose,
    LoggedDay,
    current_doses,
    evaluate,
    evaluation_to_json,
)

MON = dt.date(2026, 11, 2)  # a Monday
SLRDL = "single-leg-romanian-deadlift"


@cache
def _program_text() -> str:
    kb, rules = knowledge_base(), bundled_rules()
    intake = load_intake(demo_dir() / DEMO_INTAKE)
    result = assess(
        intake.to_core(), kb=kb, rules=rules, tests=intake.tests.to_core() if intake.tests else None
    )
    program = make_program(result, kb, rules)
    assert program is not None
    return json.dumps(program_to_json(program, kb, rules, plan_for(program, result, kb, rules)))


def demo_program() -> dict[str, Any]:
    """The demo runner's program as the portal stores it (JSON text read back)."""
    return json.loads(_program_text())


def sets(reps: int, pain: float = 0, n: int = 2, **extra: Any) -> list[dict[str, Any]]:
    return [{"reps": reps, "pain_during_0_10": pain, **extra} for _ in range(n)]


def logged(
    day: dt.date, exercises: dict[str, list[dict[str, Any]]], morning: float | None = 0.0, **kw: Any
) -> LoggedDay:
    session = SessionIn.model_validate(
        {
            "date": day.isoformat(),
            "exercises": [{"exercise": ex, "sets": s, **kw} for ex, s in exercises.items()],
        }
    )
    return LoggedDay(day, session, morning_pain_0_10=morning)


def item(program: dict[str, Any], exercise_id: str) -> dict[str, Any]:
    return next(i for p in program["phases"] for i in p["exercises"] if i["exercise_id"] == exercise_id)


def test_dose_is_read_from_the_program_json() -> None:
    program = demo_program()
    doses = current_doses(program, [])
    side_plank = item(program, "side-plank-top-leg-raise")
    cat = knowledge_base().exercises["side-plank-top-leg-raise"].dose
    assert cat.reps_range is not None
    assert doses["side-plank-top-leg-raise"] == Dose(
        sets=side_plank["sets"],
        reps_range=(side_plank["reps"], cat.reps_range[1]),
        load_kg=0.0,
        per_side=cat.per_side,
    )
    hold = item(program, "side-bridge-hold")
    assert doses["side-bridge-hold"].hold_s_range == (hold["hold_s"], 60)
    assert doses["side-bridge-hold"].reps_range is None
    assert set(doses) == {i["exercise_id"] for p in program["phases"] for i in p["exercises"]}


def test_dose_text_in_plain_words() -> None:
    assert Dose(3, reps_range=(10, 15)).text() == "3 sets of 10 to 15 reps, no added weight"
    assert Dose(1, reps_range=(12, 12), load_kg=2.5).text() == "1 set of 12 reps, 2.5 kg added weight"
    assert Dose(2, hold_s_range=(20, 60)).text() == "2 sets, holding 20 to 60 seconds each, no added weight"
    assert Dose(3, reps_range=(10, 15), step_label="no support").text().endswith("(no support)")
    assert (
        Dose(3, reps_range=(10, 15), per_side=True).text()
        == "3 sets of 10 to 15 reps each side, no added weight"
    )
    assert (
        Dose(2, hold_s_range=(20, 60), per_side=True)
        .text()
        .startswith("2 sets, holding 20 to 60 seconds each side")
    )


def test_rising_next_morning_pain_over_a_week_holds_although_every_session_is_within_limits() -> None:
    """Silbernagel's model: pain settles each morning (below the runner's baseline 3/10) and stays at or below 3/10
    during, every set at the top of the range; yet the weekly mean next-morning pain rises 1.0 -> 2.5: hold."""
    program = demo_program()
    top = 20  # side-lying hip abduction: top of its 10-20 range
    days = [
        logged(
            MON + dt.timedelta(days=d), {"side-lying-hip-abduction": sets(top, 2)}, m, baseline_pain_0_10=3
        )
        for d, m in [(0, 1), (2, 1), (4, 1), (7, 2), (9, 3), (11, 2.5)]
    ]
    e = evaluate(program, days)
    (d,) = e.decisions
    assert e.pain_trend.rising
    assert e.pain_trend.cap == "hold"
    assert e.pain_trend.weeks[0].pain_mean == 1.0
    assert e.pain_trend.weeks[1].pain_mean == pytest.approx(2.5)
    assert d.action == "hold"
    assert d.dose_after == d.dose_before
    assert "every set at the top of the range" in d.reason  # the single session alone would progress
    assert "1.0 -> 2.5" in d.reason
    assert d.plain_reason == "Your pain the next morning went up this week, so we keep the same dose."
    assert "silbernagel2007" in d.refs


def test_two_rising_weeks_regress_once_a_week() -> None:
    program = demo_program()
    plan = [(0, 0), (2, 0), (7, 1), (9, 1), (14, 2), (16, 2), (18, 2)]
    days = [
        logged(MON + dt.timedelta(days=d), {"side-plank-top-leg-raise": sets(10, 1)}, m, baseline_pain_0_10=3)
        for d, m in plan
    ]
    start = current_doses(program, [])["side-plank-top-leg-raise"]
    first = evaluate(program, days[:6])
    assert first.pain_trend.cap == "regress"
    assert first.decisions[0].action == "regress"
    assert start.reps_range == (8, 12)
    assert first.decisions[0].dose_after.reps_range == (6, 12)  # bottom of the 6-12 range
    again = evaluate(program, days)  # same week again: stays at the lowered dose
    assert again.decisions[0].action == "hold"
    assert again.decisions[0].dose_before == first.decisions[0].dose_after
    assert "already stepped back once this week" in again.decisions[0].reason


def test_two_pain_free_weeks_of_complete_sets_progress() -> None:
    program = demo_program()
    ex = "side-plank-top-leg-raise"  # program: 8 reps of its 6-12 range
    days = [logged(MON + dt.timedelta(days=d), {ex: sets(12, 0, n=3)}, 0) for d in (0, 2, 4, 7, 9, 11)]
    e = evaluate(program, days)
    (d,) = e.decisions
    assert e.pain_trend.status == "steady"
    assert d.action == "progress"
    assert d.plain_reason.startswith("You did every set at the top of the range")
    # first progress moved the target from 8 up to the top (12); then nothing but... sets are at the top (3)
    doses = current_doses(program, days)
    assert doses[ex].reps_range == (12, 12)
    assert doses[ex].sets == 3
    assert "already at the top of this exercise's ranges" in d.next_step


def test_ladder_progresses_rung_by_rung_then_by_load_within_the_load_rule() -> None:
    """single-leg RDL: supported -> no support -> 2.5 kg (progression.yaml's ladder), then +2-10 % load."""
    program = demo_program()
    days = [logged(MON + dt.timedelta(days=d), {SLRDL: sets(15, 1)}, 0) for d in (0, 2, 4, 7)]
    labels = []
    loads = []
    for n in range(1, 5):
        dose = current_doses(program, days[:n])[SLRDL]
        labels.append(dose.step_label)
        loads.append(dose.load_kg)
    ladder = bundled_rules().progression_rules().ladders[SLRDL]
    assert labels[:2] == [ladder[1].label, ladder[2].label]
    assert loads[:2] == [0.0, 2.5]
    low, high = bundled_rules().progression_rules().load_increase_pct
    for before, after in itertools.pairwise(loads[1:]):
        assert low <= (after - before) / before * 100 <= high
    assert loads[2] == 2.75  # 10 % of 2.5 kg
    final = current_doses(program, days)[SLRDL]
    assert final.reps_range == (10, 15)  # back to the bottom of the range after each step


def test_pain_above_five_during_regresses_and_lowers_the_dose() -> None:
    program = demo_program()
    days = [
        logged(MON, {SLRDL: sets(15, 1)}, 0),  # progress to rung 2
        logged(MON + dt.timedelta(days=2), {SLRDL: sets(15, 1)}, 0),  # rung 3, 2.5 kg
        logged(MON + dt.timedelta(days=4), {SLRDL: sets(12, 6)}, 0),  # pain 6/10 during
    ]
    e = evaluate(program, days)
    (d,) = e.decisions
    assert d.action == "regress"
    assert "pain 6/10 during sets is above 5/10" in d.reason
    assert d.plain_reason.startswith("Your pain during the exercise reached 6 out of 10")
    assert d.dose_before.load_kg == 2.5
    assert d.dose_after.load_kg == 0.0
    assert d.dose_after.step_label == bundled_rules().progression_rules().ladders[SLRDL][1].label


def test_next_morning_pain_above_baseline_regresses() -> None:
    program = demo_program()
    e = evaluate(program, [logged(MON, {"clamshell": sets(25, 1)}, 2)])  # baseline 0, morning 2
    (d,) = e.decisions
    assert d.action == "regress"
    assert "had not settled" in d.reason
    assert d.dose_after.reps_range is not None
    assert d.dose_after.reps_range[0] == 10  # bottom of the clamshell's 10-25 range


def test_a_clinician_override_wins_and_is_replayed() -> None:
    program = demo_program()
    days = [
        logged(MON, {"clamshell": sets(25, 0)}, 0),
        logged(MON + dt.timedelta(days=2), {"clamshell": sets(25, 0)}, 0),
    ]
    plain = evaluate(program, days)
    assert plain.decisions[0].action == "progress"
    held = evaluate(program, days, overrides={"clamshell": "regress"})
    assert held.decisions[0].action == "regress"
    assert held.decisions[0].reason.startswith("clinician set regress (the rules gave progress")
    assert held.decisions[0].plain_reason == "Your clinician decided to make this exercise easier."
    replayed = current_doses(program, days, {days[-1].day: {"clamshell": "regress"}})
    assert replayed["clamshell"] == held.decisions[0].dose_after
    with pytest.raises(ValueError, match="'skip' is not one of progress, hold, regress"):
        evaluate(program, days, overrides={"clamshell": "skip"})
    with pytest.raises(ValueError, match="not in the session"):
        evaluate(program, days, overrides={"hip-hike": "hold"})


def test_a_red_flag_stops_the_program_with_the_referral_words() -> None:
    program = demo_program()
    days = [logged(MON, {"clamshell": sets(25, 0)}, 0)]
    e = evaluate(program, days, red_flags=["fever"])
    assert e.decisions == ()
    assert e.stopped is not None
    assert URGENCY_WORDS["same-day"] in e.stopped
    assert e.stopped.startswith("Stop the exercise program")
    with pytest.raises(ValueError, match="unknown red flag 'sniffles'"):
        evaluate(program, days, red_flags=["sniffles"])


def test_strength_phase_needs_the_dynamometry_retest() -> None:
    program = demo_program()
    phase = next(p for p in program["phases"] if p["id"] == "isolated-strength")
    tops = {i["exercise_id"]: knowledge_base().exercises[i["exercise_id"]].dose for i in phase["exercises"]}
    exercises = {
        ex: [{"reps": d.reps_range[1], "pain_during_0_10": 0}] * 2
        if d.reps_range
        else [{"hold_s": d.hold_s_range[1] if d.hold_s_range else 0, "pain_during_0_10": 0}] * 2
        for ex, d in tops.items()
    }
    days = [logged(MON, exercises, 0)]
    e = evaluate(program, days)
    assert all(d.action == "progress" for d in e.decisions)
    assert "re-test hip abduction strength" in e.phase_text
    runner = {"age_years": 35, "sex": "female", "height_cm": 168, "mass_kg": 60}
    strong = {"dynamometry": {"left_n": 250, "right_n": 245, "lever_arm_m": 0.85}, "runner": runner}
    assert "meets the exit criterion" in evaluate(program, days, tests=strong).phase_text
    weak = {"dynamometry": {"left_n": 150, "right_n": 60, "lever_arm_m": 0.85}, "runner": runner}
    assert "not yet" in evaluate(program, days, tests=weak).phase_text
    no_body = {"dynamometry": {"left_n": 250, "right_n": 245, "lever_arm_m": 0.85}}
    assert "age, sex and body mass" in evaluate(program, days, tests=no_body).phase_text


def test_evaluation_json_is_json_safe() -> None:
    program = demo_program()
    days = [logged(MON + dt.timedelta(days=d), {"clamshell": sets(25, 0)}, 0) for d in (0, 2, 7, 9)]
    data = evaluation_to_json(evaluate(program, days))
    back = json.loads(json.dumps(data))
    assert back["day"] == "2026-11-11"
    assert back["decisions"][0]["dose_after"]["text"] == "3 sets of 25 reps each side, no added weight"
    assert back["pain_trend"]["weeks"][0]["monday"] == "2026-11-02"
    assert back["pain_trend"]["status"] == "steady"


def test_bad_input_is_refused_with_a_clear_message() -> None:
    program = demo_program()
    with pytest.raises(ValueError, match="no logged sessions"):
        evaluate(program, [])
    with pytest.raises(ValueError, match="unknown exercise 'moonwalk'"):
        evaluate(program, [logged(MON, {"moonwalk": sets(5)}, 0)])
    with pytest.raises(ValueError, match="phases"):
        current_doses({"phases": "none"}, [])
    with pytest.raises(ValueError, match="morning_pain_0_10 must be between 0 and 10"):
        evaluate(program, [LoggedDay(MON, logged(MON, {"clamshell": sets(5)}).session, morning_pain_0_10=11)])


def test_glutemed_progress_uses_the_weekly_trend_for_a_logbook_of_several_sessions(tmp_path: Path) -> None:
    """The CLI: one session alone progresses; the same session after a week of lower morning pain is held."""
    app = typer.Typer()
    register(app)

    def session(day: dt.date, morning: float) -> dict[str, Any]:
        sets = [{"reps": 15, "support": "rail", "pain_during_0_10": 1} for _ in range(3)]
        entry = {"exercise": SLRDL, "sets": sets, "pain_next_morning_0_10": morning, "baseline_pain_0_10": 3}
        return {"date": day.isoformat(), "exercises": [entry]}

    book = tmp_path / "book.json"
    book.write_text(json.dumps({"sessions": [session(MON + dt.timedelta(days=9), 2.5)]}), encoding="utf-8")
    alone = CliRunner().invoke(app, ["progress", str(book), "--json"])
    assert alone.exit_code == 0, alone.output
    assert json.loads(alone.stdout)["decisions"][0]["action"] == "progress"
    assert "pain_trend" not in json.loads(alone.stdout)
    days = [(0, 1), (2, 1), (7, 2), (9, 2.5)]
    book.write_text(
        json.dumps({"sessions": [session(MON + dt.timedelta(days=d), m) for d, m in days]}), encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["progress", str(book), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["pain_trend"]["status"] == "rising"
    assert data["pain_trend"]["weeks"][1]["pain_mean"] == 2.25
    assert data["decisions"][0]["action"] == "hold"
    text = CliRunner().invoke(app, ["progress", str(book)])
    assert text.exit_code == 0
    assert "HOLD" in text.output


def test_a_program_dose_outside_the_catalogue_is_clamped_and_said_once() -> None:
    program = demo_program()
    item(program, "clamshell")["reps"] = 40  # the catalogue's clamshell range is 10-25
    item(program, "clamshell")["sets"] = 9  # and 2-3 sets
    assert current_doses(program, [])["clamshell"] == Dose(3, reps_range=(25, 25), per_side=True)
    days = [
        logged(MON, {"clamshell": sets(20, 0)}, 0),
        logged(MON + dt.timedelta(days=2), {"clamshell": sets(20, 0)}, 0),
    ]
    first = evaluate(program, days[:1]).decisions[0]
    assert (
        "the program's dose was moved into the exercise's ranges: sets kept within 2-3, reps kept within 10-25"
        in (first.next_step)
    )
    assert "moved into" not in evaluate(program, days).decisions[0].next_step


def test_a_logged_day_must_match_its_session_date() -> None:
    session = logged(MON, {"clamshell": sets(20)}).session
    with pytest.raises(ValueError, match="the session's date 2026-11-02 is not the day 2026-11-03"):
        evaluate(demo_program(), [LoggedDay(MON + dt.timedelta(days=1), session)])


def test_a_stopped_program_gives_its_own_referral_message() -> None:
    stopped = {"stopped": True, "message": "Stop: see a doctor.", "red_flags": ["fever"], "referral": []}
    e = evaluate(stopped, [logged(MON, {"clamshell": sets(20)}, 0)])
    assert e.stopped == "Stop: see a doctor."
    assert e.decisions == ()


def test_earlier_overrides_are_replayed_for_the_dose_before_the_latest_session() -> None:
    program = demo_program()
    days = [logged(MON + dt.timedelta(days=d), {"clamshell": sets(25, 0)}, 0) for d in (0, 2, 4)]
    by_day = {days[0].day: {"clamshell": "regress"}}
    after_override = current_doses(program, days[:2], by_day)["clamshell"]
    e = evaluate(program, days, overrides={}, overrides_by_day=by_day)
    assert e.decisions[0].dose_before == after_override
    assert evaluate(program, days).decisions[0].dose_before != after_override  # the rules alone differ
    assert current_doses(program, days, by_day)["clamshell"] == e.decisions[0].dose_after


def test_a_malformed_retest_is_refused() -> None:
    days = [logged(MON, {"clamshell": sets(20)}, 0)]
    with pytest.raises(ValueError, match=r"tests: dynamometry\.left_n"):
        evaluate(
            demo_program(), days, tests={"dynamometry": {"left_n": -5, "right_n": 200, "lever_arm_m": 0.8}}
        )
