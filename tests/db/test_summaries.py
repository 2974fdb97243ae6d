"""The per-row summaries (db/summaries.py): stored when a row is added, filled in by migration 0003 for rows
that were there before, and always the same as the documents they are read from (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from glutemed import db
from glutemed.db import records
from glutemed.db.migrate import downgrade
from glutemed.db.summaries import assessment_summary, fault_verdicts, last_spike_day


def _fault(fault_id: str, side: str, verdict: str, name: str | None = None) -> dict[str, Any]:
    fault: dict[str, Any] = {"fault_id": fault_id, "side": side, "verdict": verdict, "value": 1.0}
    if name is not None:
        fault["name"] = name
    return fault


GAIT_RESULT = {
    "schema": "glutemed.gait/v1",
    "faults": [
        _fault("contralateral-pelvic-drop", "left", "flagged", "Contralateral pelvic drop"),
        _fault("contralateral-pelvic-drop", "right", "within", "Contralateral pelvic drop"),
        _fault("overstride", "left", "borderline"),  # no name: the id stands in
        _fault("overstride", "right", "not-enough-data", "Overstride"),
        _fault("hip-adduction", "left", "flagged", "Hip adduction"),
    ],
}
STOPPED = {"stopped": True, "red_flags": ["night pain", "unexplained weight loss"]}
LOAD = {
    "judgement": {
        "session_spikes": [{"date": "2026-11-20"}, {"date": "2026-12-01"}, {"date": "2026-11-29"}],
        "weekly_cautions": [],
    }
}


def test_the_summary_is_the_analyzers_own_verdicts_counted() -> None:
    summary = assessment_summary(GAIT_RESULT, STOPPED)
    assert summary.shown_verdicts == [
        {
            "fault_id": "contralateral-pelvic-drop",
            "name": "Contralateral pelvic drop",
            "side": "left",
            "verdict": "flagged",
        },
        {"fault_id": "overstride", "name": "overstride", "side": "left", "verdict": "borderline"},
        {"fault_id": "hip-adduction", "name": "Hip adduction", "side": "left", "verdict": "flagged"},
    ]
    assert (summary.flagged_count, summary.borderline_count, summary.not_judged_count) == (2, 1, 1)
    assert summary.stopped is True
    assert summary.red_flags == ["night pain", "unexplained weight loss"]
    assert len(fault_verdicts(GAIT_RESULT, all_verdicts=True)) == 5
    # no gait result, no assessment document: unknown (NULL), not zero
    empty = assessment_summary(None, None)
    assert (empty.shown_verdicts, empty.flagged_count, empty.stopped, empty.red_flags) == (
        None,
        None,
        None,
        None,
    )
    assert last_spike_day(LOAD) == dt.date(2026, 12, 1)
    assert last_spike_day({"judgement": {"session_spikes": []}}) is None


def test_rows_get_their_summary_when_added(database: db.Database, runner_id: int) -> None:
    with database.write() as s:
        gait = records.add_assessment(s, runner_id=runner_id, assessment=None, gait_result=GAIT_RESULT)
        plain = records.add_assessment(s, runner_id=runner_id, assessment={"stopped": False, "red_flags": []})
        load = records.add_load_report(s, runner_id=runner_id, data=LOAD)
        ids = gait.id, plain.id, load.id
    with database.session() as s:
        gait, plain = s.get(db.Assessment, ids[0]), s.get(db.Assessment, ids[1])
        assert gait is not None
        assert plain is not None
        assert gait.summary_verdicts == assessment_summary(GAIT_RESULT, None).shown_verdicts
        assert (gait.summary_flagged, gait.summary_borderline, gait.summary_not_judged) == (2, 1, 1)
        assert gait.summary_stopped is None
        assert plain.summary_flagged is None
        assert (plain.summary_stopped, plain.summary_red_flags) == (False, [])
        report = s.get(db.LoadReport, ids[2])
        assert report is not None
        assert report.summary_last_spike == dt.date(2026, 12, 1)


def test_migration_0003_fills_in_the_rows_that_were_there(database_url: str) -> None:
    database = db.open_database(database_url)
    try:
        db.upgrade(database.engine)
        downgrade(database.engine, "0002")  # the schema before the summaries
        meta = sa.MetaData()
        meta.reflect(database.engine, only=["clinics", "runners", "assessments", "load_reports"])
        t = meta.tables
        assert "summary_flagged" not in t["assessments"].c
        now = dt.datetime(2026, 12, 1, 8, 0)
        with database.engine.begin() as conn:
            clinic = conn.execute(
                t["clinics"].insert().values(name="c", created_at=now)
            ).inserted_primary_key[0]
            runner = conn.execute(
                t["runners"].insert().values(clinic_id=clinic, name="r", created_at=now)
            ).inserted_primary_key[0]
            row = {"runner_id": runner, "files": {}, "created_at": now}
            conn.execute(
                t["assessments"].insert(),
                [
                    {**row, "gait_result": GAIT_RESULT, "assessment": STOPPED},
                    {**row, "gait_result": sa.null(), "assessment": {"stopped": False, "red_flags": []}},
                ],
            )
            conn.execute(
                t["load_reports"].insert().values(runner_id=runner, data=LOAD, files={}, created_at=now)
            )
        db.upgrade(database.engine)
        with database.session() as s:
            first, second = s.scalars(sa.select(db.Assessment).order_by(db.Assessment.id)).all()
            expected = assessment_summary(GAIT_RESULT, STOPPED)
            assert first.summary_verdicts == expected.shown_verdicts
            assert (first.summary_flagged, first.summary_borderline, first.summary_not_judged) == (2, 1, 1)
            assert (first.summary_stopped, first.summary_red_flags) == (True, STOPPED["red_flags"])
            assert (second.summary_flagged, second.summary_stopped) == (None, False)
            report = s.scalars(sa.select(db.LoadReport)).one()
            assert report.summary_last_spike == dt.date(2026, 12, 1)
    finally:
        database.dispose()
