"""services/portal on a real SQLite database with a real program (built by the program services from the bundled
demo intake) and the real progression engine (services/progress_log): today's plan, logging sessions, runs and
next-morning answers, idempotent resends, red flags, and run spikes judged by the load models.

The helpers here (``demo_program``, ``PortalClinic``) are shared by the other portal tests.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.web.conftest import Browser, World, _users, make_app

from glutemed.db import portal as repo
from glutemed.db import records
from glutemed.db.engine import Database
from glutemed.db.models import ProgressDecision, TrainingLog
from glutemed.knowledge.loader import knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.services import portal
from glutemed.services.assessment import assess
from glutemed.services.demo import DEMO_INTAKE, demo_dir
from glutemed.services.intake_schema import SessionIn, load_intake
from glutemed.services.load import load_params
from glutemed.services.program import make_program, plan_for, program_to_json

MONDAY = dt.date(2026, 11, 2)  # a session day of the demo program's plan (Mon, Wed, Fri)
TUESDAY = MONDAY + dt.timedelta(days=1)  # a planned run day


@functools.cache
def demo_intake() -> dict[str, Any]:
    return load_intake(demo_dir() / DEMO_INTAKE).model_dump(mode="json")


@functools.cache
def demo_program() -> dict[str, Any]:
    """The demo runner's program as the worker stores it (program_to_json with its plan), without gait."""
    kb, rules = knowledge_base(), bundled_rules()
    intake = load_intake(demo_dir() / DEMO_INTAKE)
    result = assess(
        intake.to_core(), kb=kb, rules=rules, tests=intake.tests.to_core() if intake.tests else None
    )
    program = make_program(result, kb, rules)
    assert program is not None
    return program_to_json(program, kb, rules, plan_for(program, result, kb, rules))


@dataclass
class PortalClinic:
    """Clinic 1 (clinician, runners A and B), clinic 2 (clinician, runner C), an admin; A and B have the
    demo intake and a published demo program, C an intake and no published program."""

    app: Any
    database: Database
    ids: dict[str, int] = field(default_factory=dict)
    browsers: dict[str, Browser] = field(default_factory=dict)

    def count(self, model: Any = TrainingLog) -> int:
        with self.database.session() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)


def portal_clinic(tmp: Path, database_url: str | None = None, *, sign_in: bool = True) -> PortalClinic:
    app, database = make_app(tmp, database_url)
    world = World(app, database, tmp)
    _users(world)
    clinic = PortalClinic(app, database, dict(world.ids))
    with database.write() as s:
        for who in ("A", "B", "C"):
            records.add_intake(s, clinic.ids[who], demo_intake())
        for who in ("A", "B"):
            row = records.add_program(s, runner_id=clinic.ids[who], data=demo_program())
            records.publish_program(s, row, by=None)
            clinic.ids[f"program{who}"] = row.id
    if sign_in:
        for name, email in (
            ("anonymous", ""),
            ("runnerA", "runnera@t.test"),
            ("runnerB", "runnerb@t.test"),
            ("clin1", "clin1@t.test"),
            ("clin2", "clin2@t.test"),
            ("admin", "admin@t.test"),
        ):
            browser = Browser(app, name)
            if email:
                browser.sign_in(email)
            else:
                browser.refresh_csrf()
            clinic.browsers[name] = browser
    return clinic


def first_phase_session(day: dt.date, pain: float = 1.0, baseline: float = 1.0) -> SessionIn:
    """Every exercise of the demo program's first phase at its starting dose."""
    phase = demo_program()["phases"][0]
    exercises = []
    for item in phase["exercises"]:
        one = {"reps": item.get("reps"), "hold_s": item.get("hold_s"), "pain_during_0_10": pain}
        exercises.append(
            {"exercise": item["exercise_id"], "sets": [one] * item["sets"], "baseline_pain_0_10": baseline}
        )
    return SessionIn.model_validate({"date": day.isoformat(), "exercises": exercises})


_TEMPLATE: list[tuple[Path, dict[str, int]]] = []


def clinic_template(factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The clinic built once per test run (hashing the users' passwords is the slow part); tests copy it."""
    if not _TEMPLATE:
        folder = factory.mktemp("portal-template")
        built = portal_clinic(folder, sign_in=False)
        built.database.dispose()
        _TEMPLATE.append((folder, built.ids))
    return _TEMPLATE[0]


@pytest.fixture(scope="session")
def portal_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    return clinic_template(tmp_path_factory)


def copied_clinic(template: tuple[Path, dict[str, int]], tmp: Path) -> PortalClinic:
    folder, ids = template
    for path in folder.glob("glutemed.db*"):
        shutil.copy(path, tmp / path.name)
    for name in ("secret_key",):
        if (folder / name).exists():
            shutil.copy(folder / name, tmp / name)
    app, database = make_app(tmp)
    return PortalClinic(app, database, dict(ids))


@pytest.fixture
def clinic(portal_template: tuple[Path, dict[str, int]], tmp_path: Path) -> Iterator[PortalClinic]:
    c = copied_clinic(portal_template, tmp_path)
    yield c
    c.database.dispose()


def test_today_follows_the_published_plan(clinic: PortalClinic) -> None:
    a = clinic.ids["A"]
    program = demo_program()
    first = program["phases"][0]
    plan_days = {d["day"]: d for d in program["plan"]["phases"][0]["days"]}
    with clinic.database.session() as s:
        monday = portal.today(s, a, MONDAY)
        tuesday = portal.today(s, a, TUESDAY)
        none = portal.today(s, clinic.ids["C"], MONDAY)
    assert plan_days["Monday"]["exercises"]
    assert not plan_days["Tuesday"]["exercises"]
    assert plan_days["Tuesday"]["run"]
    assert monday.kind == "session"
    assert monday.phase_name == first["name"]
    assert [e.exercise_id for e in monday.exercises] == [e["exercise_id"] for e in first["exercises"]]
    kb = knowledge_base()
    for card, item in zip(monday.exercises, first["exercises"], strict=True):
        ex = kb.exercises[item["exercise_id"]]
        assert card.steps == tuple(ex.instructions)
        assert card.cues == tuple(ex.cues)
        assert card.sets == item["sets"]
        assert (card.reps, card.hold_s) == (item.get("reps"), item.get("hold_s"))
        assert card.figure_url == f"/portal/figures/{item['exercise_id']}.svg"
        assert card.dose.startswith(f"{item['sets']} set")
    assert tuesday.kind == "pre-run"
    assert not tuesday.exercises
    pre = next(p for p in program["pre_run_by_phase"] if p["phase_id"] == first["id"])
    assert [i.exercise_id for i in tuesday.pre_run] == [i["exercise_id"] for i in pre["items"]]
    assert [i.dose for i in tuesday.pre_run] == [i["dose"] for i in pre["items"]]
    assert none.kind == "no-program"


def test_rest_day_when_the_plan_has_neither(clinic: PortalClinic) -> None:
    program = demo_program()
    days = program["plan"]["phases"][0]["days"]
    rest = [i for i, d in enumerate(days) if not d["exercises"] and not d["run"]]
    if not rest:  # the demo plan runs on every non-session day: make one a rest day in a copy
        data = {
            **program,
            "plan": {**program["plan"], "phases": [dict(p) for p in program["plan"]["phases"]]},
        }
        first = data["plan"]["phases"][0]
        first["days"] = [dict(d) for d in first["days"]]
        first["days"][1] = {**first["days"][1], "run": False, "pre_run": []}
        with clinic.database.write() as s:
            row = records.add_program(s, runner_id=clinic.ids["A"], data=data)
            records.publish_program(s, row, by=None)
        rest = [1]
    with clinic.database.session() as s:
        plan = portal.today(s, clinic.ids["A"], MONDAY + dt.timedelta(days=rest[0]))
    assert plan.kind == "rest"
    assert plan.headline == "Rest day"


def test_log_session_stores_one_decision_per_exercise(clinic: PortalClinic) -> None:
    a = clinic.ids["A"]
    session = first_phase_session(MONDAY)
    with clinic.database.write() as s:
        result = portal.log_session(s, a, session, client_key="key-monday-1")
    assert result.created
    assert [d.exercise_id for d in result.decisions] == [e.exercise for e in session.exercises]
    with clinic.database.session() as s:
        rows = repo.list_decisions(s, a)
        assert len(rows) == len(session.exercises)
        for row in rows:
            assert row.training_log_id == result.log.id
            assert row.program_id == clinic.ids["programA"]
            assert row.data["dose_after"]["text"]
            assert row.data["evaluation"]["day"] == MONDAY.isoformat()
    # no next-morning answer yet: the rules hold and say so in plain words
    assert {d.action for d in result.decisions} == {"hold"}
    assert all("next morning" in d.plain_reason for d in result.decisions)
    # the resend stores nothing new and returns the same entry
    with clinic.database.write() as s:
        again = portal.log_session(s, a, first_phase_session(MONDAY, pain=7), client_key="key-monday-1")
    assert not again.created
    assert again.log.id == result.log.id
    assert clinic.count() == 1
    assert clinic.count(ProgressDecision) == len(session.exercises)


def test_morning_answer_above_the_usual_level_makes_it_easier(clinic: PortalClinic) -> None:
    a = clinic.ids["A"]
    with clinic.database.write() as s:
        logged = portal.log_session(s, a, first_phase_session(MONDAY, baseline=1.0), client_key="key-m-2")
    with clinic.database.write() as s:
        worse = portal.log_morning(s, a, logged.log.id, pain_0_10=4.0, stiffness_0_10=3.0)
    assert worse.log.morning_pain_0_10 == 4.0
    assert {d.action for d in worse.decisions} == {"regress"}
    for d in worse.decisions:
        assert d.dose_after != d.dose_before
    with clinic.database.write() as s:
        settled = portal.log_morning(s, a, logged.log.id, pain_0_10=1.0, stiffness_0_10=0.0)
    assert "regress" not in {d.action for d in settled.decisions}
    with clinic.database.session() as s:
        assert len(repo.list_decisions(s, a)) == len(settled.decisions)  # replaced, not added
        today = portal.today(s, a, MONDAY + dt.timedelta(days=2))
    # the next session's dose is what the stored decisions say
    after = {d.exercise_id: d.dose_after for d in settled.decisions}
    assert {c.exercise_id: c.dose for c in today.exercises} == after


def test_pending_morning_question_for_yesterday(clinic: PortalClinic) -> None:
    a = clinic.ids["A"]
    with clinic.database.write() as s:
        logged = portal.log_session(s, a, first_phase_session(MONDAY), client_key="key-pending")
    with clinic.database.session() as s:
        assert portal.today(s, a, MONDAY).pending_morning is None  # asked the next morning
        pending = portal.today(s, a, TUESDAY).pending_morning
        assert pending is not None
        assert pending.id == logged.log.id
        assert portal.today(s, a, MONDAY + dt.timedelta(days=3)).pending_morning is None


def test_bad_input_stores_nothing(clinic: PortalClinic) -> None:
    a = clinic.ids["A"]
    bad = SessionIn.model_validate(
        {
            "date": MONDAY.isoformat(),
            "exercises": [{"exercise": "hop-and-hold-not-here", "sets": [{"reps": 3}]}],
        }
    )
    with pytest.raises(portal.PortalInputError) as err, clinic.database.write() as s:
        portal.log_session(s, a, bad, client_key="key-bad-1")
    assert "exercises.0.exercise" in err.value.fields
    with pytest.raises(portal.PortalInputError) as err, clinic.database.write() as s:
        portal.log_session(s, clinic.ids["C"], first_phase_session(MONDAY), client_key="key-bad-2")
    assert err.value.status == 409
    with pytest.raises(portal.PortalInputError), clinic.database.write() as s:
        portal.log_session(s, a, first_phase_session(MONDAY), client_key="key-bad-3", morning_pain_0_10=11)
    with pytest.raises(portal.PortalInputError) as err:
        portal.validate_run(
            {"date": "2026-02-30", "distance_km": -1, "duration_min": 30, "pain_during_0_10": 0}
        )
    assert "distance_km" in err.value.fields
    assert clinic.count() == 0


def test_a_red_flag_in_the_latest_intake_stops_the_program(clinic: PortalClinic) -> None:
    a = clinic.ids["A"]
    with clinic.database.write() as s:
        records.add_intake(s, a, {**demo_intake(), "red_flags": {"fever": True}})
    kb = knowledge_base()
    flag = kb.red_flags["fever-or-systemically-unwell"]
    with clinic.database.session() as s:
        plan = portal.today(s, a, MONDAY)
    assert plan.kind == "stopped"
    assert not plan.exercises
    assert any(flag.name in line and flag.why_refer in line for line in plan.referral)
    with clinic.database.write() as s:
        result = portal.log_session(s, a, first_phase_session(MONDAY), client_key="key-stopped")
    assert result.decisions == ()
    assert result.stopped is not None
    assert flag.name in result.stopped


def _run(day: dt.date, km: float, key: str, clinic: PortalClinic) -> portal.LogResult:
    with clinic.database.write() as s:
        return portal.log_run(
            s,
            clinic.ids["A"],
            portal.validate_run(
                {"date": day.isoformat(), "distance_km": km, "duration_min": km * 6, "pain_during_0_10": 0}
            ),
            client_key=key,
        )


def test_runs_are_judged_like_glutemed_load(clinic: PortalClinic) -> None:
    params = load_params()
    assert params.session_spike_above_pct_of_longest == 110.0
    first = _run(MONDAY, 8.0, "run-key-1", clinic)
    assert first.run is not None
    assert not first.run.spike
    assert first.run.longest_prev_30d_km is None
    same = _run(MONDAY + dt.timedelta(days=2), 8.8, "run-key-2", clinic)  # exactly 110 %: not above
    assert same.run is not None
    assert same.run.pct_of_longest_prev_30d == pytest.approx(110.0)
    assert not same.run.spike
    longer = _run(MONDAY + dt.timedelta(days=4), 12.0, "run-key-3", clinic)  # 12 / 8.8 = 136.4 %
    assert longer.run is not None
    assert longer.run.spike
    assert longer.run.pct_of_longest_prev_30d == pytest.approx(100 * 12 / 8.8, abs=0.05)
    assert longer.run.category == ">30-100%"
    assert "36% longer" in longer.run.plain
    assert "frandsen2025" in longer.run.refs
    # 31 days later the 12 km run has left the 30-day window: 9 km is compared with nothing
    later = _run(MONDAY + dt.timedelta(days=35), 9.0, "run-key-4", clinic)
    assert later.run is not None
    assert later.run.longest_prev_30d_km is None
    with clinic.database.session() as s:
        stored = repo.get_log(s, longer.log.id)
        assert stored is not None
        assert stored.data["judgement"]["spike"] is True
    again = _run(MONDAY + dt.timedelta(days=4), 12.0, "run-key-3", clinic)
    assert not again.created
    assert clinic.count() == 4


def top_session(day: dt.date) -> SessionIn:
    """The first phase's exercises with every set at the top of the catalogue's range, pain 0."""
    kb = knowledge_base()
    exercises = []
    for item in demo_program()["phases"][0]["exercises"]:
        dose = kb.exercises[item["exercise_id"]].dose
        one: dict[str, Any] = {"pain_during_0_10": 0}
        if dose.hold_s_range is not None:
            one["hold_s"] = dose.hold_s_range[1]
        else:
            assert dose.reps_range is not None
            one["reps"] = dose.reps_range[1]
        exercises.append({"exercise": item["exercise_id"], "sets": [one] * item["sets"]})
    return SessionIn.model_validate({"date": day.isoformat(), "exercises": exercises})


def test_the_phase_moves_on_after_a_progress_on_every_exercise_and_a_re_test(clinic: PortalClinic) -> None:
    a = clinic.ids["A"]
    phases = demo_program()["phases"]
    with clinic.database.write() as s:
        logged = portal.log_session(s, a, top_session(MONDAY), client_key="key-top-1")
        portal.log_morning(s, a, logged.log.id, pain_0_10=0.0)
    with clinic.database.session() as s:
        assert {d.action for d in portal.decisions_of(s, a, logged.log.id)} == {"progress"}
        waiting = portal.today(s, a, MONDAY + dt.timedelta(days=2))
    assert waiting.phase_id == phases[0]["id"]
    assert "re-tests you before the next phase" in waiting.phase_note
    with clinic.database.write() as s:
        records.add_test_result(s, a, demo_intake()["tests"])
    with clinic.database.session() as s:
        moved = portal.today(s, a, MONDAY + dt.timedelta(days=2))
        form = portal.session_exercises(s, a, MONDAY + dt.timedelta(days=2))
    assert moved.phase_id == phases[1]["id"]
    assert moved.phase_note == ""
    assert [e.exercise_id for e in moved.exercises] == [e["exercise_id"] for e in phases[1]["exercises"]]
    assert [e.exercise_id for e in form] == [e["exercise_id"] for e in phases[1]["exercises"]]


def test_a_program_the_rules_cannot_read_stores_nothing(clinic: PortalClinic) -> None:
    """A published program whose dose the rules cannot read (hand-edited JSON) answers a clear 409, never a 500,
    and the log is not stored half: no training log, no decisions."""
    program = demo_program()
    broken = {**program, "phases": [dict(p) for p in program["phases"]]}
    broken["phases"][0]["exercises"] = [
        {**broken["phases"][0]["exercises"][0], "sets": "lots"},
        *broken["phases"][0]["exercises"][1:],
    ]
    with clinic.database.write() as s:
        row = records.add_program(s, runner_id=clinic.ids["A"], data=broken)
        records.publish_program(s, row, by=None)
    logs, decisions = clinic.count(TrainingLog), clinic.count(ProgressDecision)
    with pytest.raises(portal.PortalInputError) as caught, clinic.database.write() as s:
        portal.log_session(s, clinic.ids["A"], first_phase_session(MONDAY), client_key="key-broken-1")
    assert caught.value.status == 409
    assert "could not be checked against your program" in str(caught.value)
    assert "sets" in str(caught.value)
    assert (clinic.count(TrainingLog), clinic.count(ProgressDecision)) == (logs, decisions)
