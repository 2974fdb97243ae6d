"""The clinician's progress series and attention list, computed from hand-built rows in a real database.

Rows are inserted straight into the portal's tables (training logs, decisions) and the clinic's (programs, load
reports, assessments, intakes, tests) of a migrated SQLite database; every expected number is worked out by hand
in the test.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from glutemed import __version__
from glutemed.core.load import Session as Activity
from glutemed.core.load_models import build_report
from glutemed.db import accounts, records
from glutemed.db.devcluster import PostgresMissingError, TempCluster
from glutemed.db.engine import Database, open_database
from glutemed.db.migrate import upgrade
from glutemed.db.models import ProgressDecision, Runner, TrainingLog
from glutemed.services import attention, portal
from glutemed.services import measurement_series as series
from glutemed.services import monitoring as mon
from glutemed.services.demo import DEMO_INTAKE, demo_dir
from glutemed.services.intake_schema import load_intake
from glutemed.services.jobs import json_safe
from glutemed.services.load import load_params

MON = dt.date(2026, 3, 2)  # a Monday
_keys = itertools.count()
INTAKE = load_intake(demo_dir() / DEMO_INTAKE).model_dump(mode="json", exclude_none=True)


@pytest.fixture(scope="module")
def pg_template() -> Iterator[tuple[TempCluster, str]]:
    """A throw-away PostgreSQL cluster (Debian's package) with a migrated template database."""
    try:
        cluster = TempCluster.start(max_connections=30)
    except PostgresMissingError as exc:
        if os.environ.get("GLUTEMED_REQUIRE_POSTGRES") == "1":
            pytest.fail(str(exc))
        pytest.skip(f"{exc}; `make test` installs it")
    with cluster:
        template = open_database(cluster.create_database("monitoring_template"), pool_size=1, max_overflow=0)
        upgrade(template.engine)
        template.dispose()
        yield cluster, "monitoring_template"


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: a SQLite file or a copy of the PostgreSQL template."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'm.db'}"
    else:
        cluster, template = request.getfixturevalue("pg_template")
        name = f"monitoring_{next(_keys)}"
        admin = open_database(cluster.url("postgres"), pool_size=1, max_overflow=0)
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        admin.dispose()
        url = cluster.url(name)
    database = open_database(url, pool_size=2, max_overflow=2)
    if request.param == "sqlite":
        upgrade(database.engine)
    yield database
    database.dispose()


def new_runner(database: Database, name: str = "Rita Runner", clinic: str = "Clinic one") -> int:
    with database.write() as s:
        found = [c for c in accounts.list_clinics(s) if c.name == clinic]
        c = found[0] if found else accounts.create_clinic(s, clinic)
        return records.create_runner(s, clinic_id=c.id, name=name).id


CALENDAR_MWF = [
    {"day": day, "do": ["gluteus medius session: activation"] if day in ("Mon", "Wed", "Fri") else ["rest"]}
    for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
]


def publish(database: Database, runner_id: int, day: dt.date, calendar: list[dict[str, Any]]) -> int:
    with database.write() as s:
        p = records.add_program(s, runner_id=runner_id, data={"calendar": calendar, "phases": []})
        records.publish_program(s, p, by=None)
        p.published_at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)
        return p.id


def session_data(day: dt.date, pains: list[float], morning: float | None = None) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "exercises": [
            {
                "exercise": "clamshell",
                "sets": [{"reps": 12, "pain_during_0_10": p} for p in pains],
                **({"pain_next_morning_0_10": morning} if morning is not None else {}),
            }
        ],
    }


def add_log(
    database: Database,
    runner_id: int,
    day: dt.date,
    *,
    kind: str = "session",
    pains: tuple[float, ...] = (1.0,),
    morning: float | None = None,
    stiffness: float | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    with database.write() as s:
        row = TrainingLog(
            runner_id=runner_id,
            kind=kind,
            day=day,
            data=data if data is not None else session_data(day, list(pains)),
            client_key=f"k{next(_keys)}",
            morning_pain_0_10=morning,
            morning_stiffness_0_10=stiffness,
        )
        s.add(row)
        s.flush()
        return row.id


def add_decision(
    database: Database,
    runner_id: int,
    log_id: int,
    action: str,
    *,
    override: str | None = None,
    dose_after: dict[str, Any] | None = None,
    exercise: str = "clamshell",
) -> int:
    with database.write() as s:
        row = ProgressDecision(
            runner_id=runner_id,
            training_log_id=log_id,
            exercise_id=exercise,
            action=action,
            reason="the rule's reason",
            next_step="the next step",
            data={"dose_after": dose_after} if dose_after else {},
            override_action=override,
            override_note="clinician's note" if override else None,
        )
        s.add(row)
        s.flush()
        return row.id


def progress(database: Database, runner_id: int, today: dt.date) -> mon.RunnerProgress:
    with database.session() as s:
        runner = s.get(Runner, runner_id)
        assert runner is not None
        return mon.runner_progress(s, runner, today)


def reasons(database: Database, runner_id: int, today: dt.date) -> tuple[str, ...]:
    with database.session() as s:
        runner = s.get(Runner, runner_id)
        assert runner is not None
        return attention.attention_reasons(s, runner, today)


# ------------------------------------------------------------------------------------------------ pain


def test_pain_points_and_weekly_means(database: Database) -> None:
    rid = new_runner(database)
    add_log(database, rid, MON, pains=(2, 4), morning=1, stiffness=2)
    add_log(database, rid, MON + dt.timedelta(days=2), pains=(3,), morning=3, stiffness=None)
    add_log(
        database,
        rid,
        MON + dt.timedelta(days=3),
        kind="run",
        data={"distance_km": 5, "pain_during_0_10": 5},
        morning=None,
    )
    add_log(database, rid, MON + dt.timedelta(days=7), pains=(6, 1), morning=2, stiffness=4)
    p = progress(database, rid, MON + dt.timedelta(days=8))
    assert [(x.day.day, x.kind, x.during, x.morning_pain, x.morning_stiffness) for x in p.pain] == [
        (2, "session", 4.0, 1.0, 2.0),
        (4, "session", 3.0, 3.0, None),
        (5, "run", 5.0, None, None),
        (9, "session", 6.0, 2.0, 4.0),
    ]
    assert len(p.pain_weeks) == 2
    w1, w2 = p.pain_weeks
    assert w1.week_start == MON
    assert w1.mean_during == pytest.approx((4 + 3 + 5) / 3)
    assert w1.mean_morning_pain == pytest.approx(2.0)
    assert w1.mean_morning_stiffness == pytest.approx(2.0)
    assert (w2.mean_during, w2.mean_morning_pain, w2.mean_morning_stiffness) == (6.0, 2.0, 4.0)
    assert p.pain_limit == 5
    assert "silbernagel2007" in p.pain_limit_refs


def test_next_morning_pain_falls_back_to_the_exercise_answers(database: Database) -> None:
    rid = new_runner(database)
    add_log(database, rid, MON, data=session_data(MON, [1], morning=4))
    assert progress(database, rid, MON).pain[0].morning_pain == 4.0


# ------------------------------------------------------------------------------------------------ adherence


def test_adherence_fractions_per_week(database: Database) -> None:
    rid = new_runner(database)
    publish(database, rid, MON, CALENDAR_MWF)
    for offset in (0, 2):  # week 1: Mon and Wed of Mon/Wed/Fri
        add_log(database, rid, MON + dt.timedelta(days=offset))
    add_log(database, rid, MON + dt.timedelta(days=7))  # week 2: Monday, logged twice
    add_log(database, rid, MON + dt.timedelta(days=7))
    add_log(
        database, rid, MON + dt.timedelta(days=9), kind="run", data={"distance_km": 8}
    )  # a run: not a session
    p = progress(database, rid, MON + dt.timedelta(days=14))
    got = [(w.first_day, w.last_day, w.planned, w.done) for w in p.adherence]
    assert got == [
        (MON, MON + dt.timedelta(days=6), 3, 2),
        (MON + dt.timedelta(days=7), MON + dt.timedelta(days=13), 3, 1),
        (MON + dt.timedelta(days=14), MON + dt.timedelta(days=14), 1, 0),  # today, a Monday, is planned
    ]
    assert [w.fraction for w in p.adherence] == [pytest.approx(2 / 3), pytest.approx(1 / 3), 0.0]


def test_a_new_program_starts_new_weeks_with_its_own_plan(database: Database) -> None:
    rid = new_runner(database)
    publish(database, rid, MON, CALENDAR_MWF)
    daily = [{"day": d["day"], "do": ["gluteus medius session: strength"]} for d in CALENDAR_MWF]
    publish(database, rid, MON + dt.timedelta(days=10), daily)  # a Thursday
    p = progress(database, rid, MON + dt.timedelta(days=16))
    assert [(w.first_day.day, w.last_day.day, w.planned) for w in p.adherence] == [
        (2, 8, 3),
        (9, 11, 2),  # Mon 9 to Wed 11 under the first program: Mon and Wed
        (12, 18, 7),  # from Thursday 12, every day (today is Wednesday 18)
    ]


# ------------------------------------------------------------------------------------------------ dose


def test_dose_series_follows_the_decisions_and_their_overrides(database: Database) -> None:
    rid = new_runner(database)
    dose = {"sets": 3, "reps_range": [10, 15], "hold_s_range": None, "load_kg": 0.0, "step_label": ""}
    first = add_log(database, rid, MON)
    second = add_log(database, rid, MON + dt.timedelta(days=2))
    add_decision(database, rid, first, "progress", dose_after={**dose, "text": "3 sets of 10 to 15 reps"})
    add_decision(
        database,
        rid,
        second,
        "progress",
        override="hold",
        dose_after={**dose, "reps_range": [12, 15], "text": "3 sets of 12 to 15 reps"},
    )
    loaded = {**dose, "reps_range": None, "hold_s_range": None, "load_kg": 2.5, "text": "2.5 kg"}
    add_decision(database, rid, first, "progress", exercise="single-leg-romanian-deadlift", dose_after=loaded)
    p = progress(database, rid, MON + dt.timedelta(days=3))
    by_name = {d.exercise_id: d for d in p.doses}
    clam = by_name["clamshell"]
    assert clam.unit == "reps"
    assert clam.name != "clamshell"
    assert [(pt.value, pt.action, pt.text) for pt in clam.points] == [
        (10.0, "progress", "3 sets of 10 to 15 reps"),
        (12.0, "hold", "3 sets of 12 to 15 reps"),
    ]
    rdl = by_name["single-leg-romanian-deadlift"]
    assert rdl.unit == "kg added"
    assert [pt.value for pt in rdl.points] == [2.5]
    assert [d.effective_action for d in p.decisions] == ["progress", "progress", "hold"]


# ------------------------------------------------------------------------------------------------ load


def _run(day: dt.date, km: float) -> Activity:
    start = dt.datetime.combine(day, dt.time(7), tzinfo=dt.UTC)
    return Activity(start, "running", km * 1000, km * 330, (f"{day}.fit",), fmt="fit")


def load_report(database: Database, runner_id: int, runs: list[tuple[dt.date, float]]) -> dict[str, Any]:
    report = build_report(
        [_run(d, km) for d, km in runs],
        [],
        params=load_params(),
        meta={"glutemed_version": __version__, "source": "test"},
    )
    data: dict[str, Any] = json_safe(report.to_dict())
    with database.write() as s:
        records.add_load_report(s, runner_id=runner_id, data=data)
    return data


STEADY = [(MON + dt.timedelta(days=7 * w + d), 8.0) for w in range(4) for d in (0, 3)]


def test_load_weeks_sum_the_runs_and_mark_the_load_commands_spikes(database: Database) -> None:
    rid = new_runner(database)
    spike_day = MON + dt.timedelta(days=7 * 5 + 2)  # week 6 (week 5 has no run)
    data = load_report(database, rid, [*STEADY, (spike_day, 14.0)])
    assert [s["date"] for s in data["judgement"]["session_spikes"]] == [spike_day.isoformat()]
    p = progress(database, rid, spike_day)
    assert [(w.week_start, w.distance_km, w.runs, w.spikes) for w in p.load_weeks] == [
        *[(MON + dt.timedelta(days=7 * w), pytest.approx(16.0), 2, 0) for w in range(4)],
        (MON + dt.timedelta(days=28), 0.0, 0, 0),
        (MON + dt.timedelta(days=35), pytest.approx(14.0), 1, 1),
    ]
    assert any("Load spike this week" in r for r in reasons(database, rid, spike_day + dt.timedelta(days=3)))
    assert not any("Load spike" in r for r in reasons(database, rid, spike_day + dt.timedelta(days=8)))


def test_no_spike_no_load_reason(database: Database) -> None:
    rid = new_runner(database)
    load_report(database, rid, STEADY)
    assert reasons(database, rid, STEADY[-1][0]) == ()


# ------------------------------------------------------------------------------------------------ re-tests


def test_retests_are_scored_by_the_clinical_scoring(database: Database) -> None:
    rid = new_runner(database)
    with database.write() as s:
        records.add_test_result(s, rid, {"side_bridge": {"left_s": 30, "right_s": 60}})
    assert progress(database, rid, MON).retest_note.startswith("The re-tests are scored")
    with database.write() as s:
        records.add_intake(s, rid, INTAKE)
        records.add_test_result(s, rid, {"side_bridge": {"left_s": 60, "right_s": 60}})
    (series,) = progress(database, rid, MON).retests
    assert series.test_id == "side-bridge-endurance"
    assert series.name != series.test_id
    assert len(series.points) == 2
    first, second = series.points
    assert first.value == pytest.approx(30 / 60)  # the left/right ratio
    assert second.value == pytest.approx(1.0)
    assert first.positive
    assert not second.positive


# ------------------------------------------------------------------------------------------------ gait


def gait_result(value_left: float, value_right: float, sdd: float | None = 2.8) -> dict[str, Any]:
    def fault(side: str, value: float) -> dict[str, Any]:
        return {
            "fault_id": "contralateral-pelvic-drop",
            "name": "Contralateral pelvic drop",
            "metric": "pelvic_drop_peak_deg",
            "side": side,
            "verdict": "within",
            "value": value,
            "judged_by": "absolute",
            "judged_value": value,
            "borderline": 5.0,
            "flagged": 7.0,
            "direction": "above",
            "unit": "deg",
            "sdd": sdd,
            "ref": "dingenen2018a",
            "verification": "verified",
            "own_default": False,
            "n_stances": 10,
            "quality": 0.9,
            "reason": "",
        }

    return {
        "schema": "glutemed.gait/v1",
        "glutemed_version": "test",
        "created_utc": "2026-03-02T09:00:00Z",
        "config": {},
        "recordings": [
            {
                "path": "rear.mp4",
                "sha256": "0" * 64,
                "keypoint_source": "test",
                "view": "rear",
                "fps_hz": 60.0,
                "n_frames": 600,
                "duration_s": 10.0,
                "cadence_spm": 170.0,
                "n_stances": {"left": 10, "right": 10},
                "summary": [],
            }
        ],
        "faults": [fault("left", value_left), fault("right", value_right)],
        "missing_views": [],
    }


def add_assessment(database: Database, runner_id: int, day: dt.date, result: dict[str, Any]) -> None:
    with database.write() as s:
        row = records.add_assessment(s, runner_id=runner_id, assessment=None, gait_result=result)
        row.created_at = dt.datetime.combine(day, dt.time(9), tzinfo=dt.UTC)


def test_a_gait_change_below_the_sdd_is_no_real_change(database: Database) -> None:
    rid = new_runner(database)
    add_assessment(database, rid, MON, gait_result(6.0, 6.0))
    add_assessment(database, rid, MON + dt.timedelta(days=28), gait_result(3.5, 2.0))  # -2.5 and -4.0
    add_assessment(database, rid, MON + dt.timedelta(days=56), gait_result(9.0, 6.0))  # +3.0, 0
    p = progress(database, rid, MON + dt.timedelta(days=56))
    by_side = {g.side: g for g in p.gait}
    assert set(by_side) == {"left", "right"}
    left, right = by_side["left"], by_side["right"]
    assert left.sdd == 2.8
    assert left.label
    assert left.label != left.metric
    assert [(pt.value, pt.judgement) for pt in left.points] == [
        (6.0, "baseline"),
        (3.5, series.NO_REAL_CHANGE),  # 2.5 deg less drop is inside the SDD of 2.8: not an improvement
        (9.0, "worse"),
    ]
    assert [pt.judgement for pt in right.points] == ["baseline", "better", series.NO_REAL_CHANGE]
    assert right.points[1].change == pytest.approx(-4.0)


def test_a_gait_change_without_an_sdd_is_not_judged(database: Database) -> None:
    rid = new_runner(database)
    add_assessment(database, rid, MON, gait_result(6.0, 6.0, sdd=None))
    add_assessment(database, rid, MON + dt.timedelta(days=28), gait_result(1.0, 6.0, sdd=None))
    (left, _right) = sorted(progress(database, rid, MON).gait, key=lambda g: g.side)
    assert left.points[1].judgement == "not judged"


# ------------------------------------------------------------------------------------------------ attention


def test_low_adherence_is_a_reason_and_full_adherence_is_not(database: Database) -> None:
    low, full = new_runner(database, "Lou Low"), new_runner(database, "Fay Full")
    for rid in (low, full):
        publish(database, rid, MON, CALENDAR_MWF)
    for week in range(2):
        for day in (0, 2, 4):
            add_log(database, full, MON + dt.timedelta(days=7 * week + day))
        add_log(database, low, MON + dt.timedelta(days=7 * week))  # 1 of 3 each week
    add_log(database, low, MON + dt.timedelta(days=9))  # 3 of 6 in two weeks: 50%
    today = MON + dt.timedelta(days=15)
    (reason,) = reasons(database, low, today)
    assert reason.startswith("Adherence low: 3 of 6 planned sessions")
    assert "own threshold" in reason
    assert reasons(database, full, today) == ()
    with database.session() as s:
        items = attention.attention_list(s, None, today)
    assert [(i.runner_name, i.clinic) for i in items] == [("Lou Low", "Clinic one")]


def test_a_recent_effective_regression_is_a_reason(database: Database) -> None:
    rid = new_runner(database)
    today = MON + dt.timedelta(days=20)
    old = add_log(database, rid, today - dt.timedelta(days=10))
    recent = add_log(database, rid, today - dt.timedelta(days=2))
    add_decision(database, rid, old, "regress")  # too long ago
    add_decision(database, rid, recent, "regress", override="hold")  # the clinician held instead
    assert reasons(database, rid, today) == ()
    add_decision(database, rid, recent, "hold", override="regress", exercise="single-leg-bridge")
    (reason,) = reasons(database, rid, today)
    assert reason.startswith("Regression on")
    assert "Single" in reason
    assert "single-leg-bridge" not in reason


def test_rising_next_morning_pain_is_a_reason_by_the_progression_trend(database: Database) -> None:
    rid = new_runner(database)
    for day, pain in ((0, 1), (2, 1), (7, 3), (9, 3)):  # weekly means 1 then 3: a rise of 2 > margin 0.5
        add_log(database, rid, MON + dt.timedelta(days=day), morning=pain)
    (reason,) = reasons(database, rid, MON + dt.timedelta(days=10))
    assert reason.startswith("Next-morning pain rising")
    assert "1.0 -> 3.0" in reason


def test_steady_next_morning_pain_is_no_reason(database: Database) -> None:
    rid = new_runner(database)
    for day, pain in ((0, 2), (2, 2), (7, 2.5), (9, 2)):  # means 2.0 then 2.25: within the margin
        add_log(database, rid, MON + dt.timedelta(days=day), morning=pain)
    assert reasons(database, rid, MON + dt.timedelta(days=10)) == ()


def test_a_red_flag_in_the_latest_intake_is_a_reason_by_name(database: Database) -> None:
    rid = new_runner(database)
    with database.write() as s:
        records.add_intake(s, rid, INTAKE)
    assert reasons(database, rid, MON) == ()
    with database.write() as s:
        records.add_intake(s, rid, {**INTAKE, "red_flags": {"unexplained_weight_loss": True}})
    (reason,) = reasons(database, rid, MON)
    assert reason.startswith("Red flag in the latest intake")
    assert "unexplained_weight_loss" not in reason


def test_attention_list_of_one_clinic(database: Database) -> None:
    here = new_runner(database, "Hana Here", "Clinic one")
    there = new_runner(database, "Theo There", "Clinic two")
    for rid in (here, there):
        with database.write() as s:
            records.add_intake(s, rid, {**INTAKE, "red_flags": {"fever": True}})
    with database.session() as s:
        clinic_one = s.get(Runner, here)
        assert clinic_one is not None
        names = [i.runner_name for i in attention.attention_list(s, clinic_one.clinic_id, MON)]
        everyone = [i.runner_name for i in attention.attention_list(s, None, MON)]
    assert names == ["Hana Here"]
    assert everyone == ["Hana Here", "Theo There"]


def test_runs_logged_in_the_portal_are_weeks_of_their_own_with_the_portals_spikes(database: Database) -> None:
    rid = new_runner(database)
    spike_day = MON + dt.timedelta(days=7 * 5 + 2)
    with database.write() as s:
        for i, (day, km) in enumerate([*STEADY, (spike_day, 14.0)]):
            run = portal.validate_run(
                {"date": day.isoformat(), "distance_km": km, "duration_min": km * 5.5, "pain_during_0_10": 1}
            )
            portal.log_run(s, rid, run, client_key=f"run{i}")
    p = progress(database, rid, spike_day)
    assert p.load_weeks == ()  # no load report imported
    assert [(w.week_start, w.distance_km, w.runs, w.spikes) for w in p.portal_run_weeks] == [
        *[(MON + dt.timedelta(days=7 * w), pytest.approx(16.0), 2, 0) for w in range(4)],
        (MON + dt.timedelta(days=28), 0.0, 0, 0),
        (MON + dt.timedelta(days=35), pytest.approx(14.0), 1, 1),
    ]
    (reason,) = reasons(database, rid, spike_day + dt.timedelta(days=1))
    assert reason.startswith("Load spike this week")
    assert reasons(database, rid, spike_day + dt.timedelta(days=8)) == ()
