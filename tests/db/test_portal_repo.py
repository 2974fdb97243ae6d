"""The portal's logbook repository on SQLite and PostgreSQL: idempotent adds by client key, next-morning answers,
order by day, decisions replaced per log with the clinician's override kept, and concurrent writers."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from glutemed import db
from glutemed.db import portal
from glutemed.db.models import ProgressDecision, TrainingLog

DAY = dt.date(2026, 11, 2)


def _session_data(day: dt.date, pain: float = 1.0) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "exercises": [{"exercise": "clamshell", "sets": [{"reps": 20, "pain_during_0_10": pain}]}],
    }


def _count(database: db.Database) -> int:
    with database.session() as s:
        return int(s.scalar(select(func.count()).select_from(TrainingLog)) or 0)


def test_add_log_is_idempotent_by_client_key(database: db.Database, runner_id: int) -> None:
    with database.write() as s:
        first = portal.add_log(
            s, runner_id=runner_id, kind="session", day=DAY, data=_session_data(DAY), client_key="k1"
        )
        assert first.created
    with database.write() as s:
        again = portal.add_log(
            s,
            runner_id=runner_id,
            kind="session",
            day=DAY,
            data=_session_data(DAY, pain=9),  # a resend never overwrites what was stored
            client_key="k1",
        )
        assert not again.created
        assert again.log.id == first.log.id
        assert again.log.data["exercises"][0]["sets"][0]["pain_during_0_10"] == 1.0
    assert _count(database) == 1


def test_the_same_key_of_another_runner_is_another_entry(database: db.Database, runner_id: int) -> None:
    with database.write() as s:
        other = db.create_runner(s, clinic_id=db.get_runner(s, runner_id).clinic_id, name="Other")  # type: ignore[union-attr]
        a = portal.add_log(s, runner_id=runner_id, kind="session", day=DAY, data={}, client_key="same")
        b = portal.add_log(s, runner_id=other.id, kind="session", day=DAY, data={}, client_key="same")
    assert a.created
    assert b.created
    assert a.log.id != b.log.id


def test_bad_kind_and_key_store_nothing(database: db.Database, runner_id: int) -> None:
    for kwargs in ({"kind": "swim", "client_key": "x"}, {"kind": "run", "client_key": ""}):
        with pytest.raises(portal.PortalError), database.write() as s:
            portal.add_log(s, runner_id=runner_id, day=DAY, data={}, **kwargs)  # type: ignore[arg-type]
    assert _count(database) == 0


def test_morning_answers_and_order_by_day(database: db.Database, runner_id: int) -> None:
    with database.write() as s:
        later = portal.add_log(
            s, runner_id=runner_id, kind="run", day=DAY + dt.timedelta(days=2), data={}, client_key="b"
        ).log
        earlier = portal.add_log(s, runner_id=runner_id, kind="session", day=DAY, data={}, client_key="a").log
        portal.set_morning(s, earlier, pain_0_10=3.5, stiffness_0_10=2.0)
    with database.session() as s:
        logs = portal.list_logs(s, runner_id)
        assert [x.id for x in logs] == [earlier.id, later.id]
        assert logs[0].morning_pain_0_10 == 3.5
        assert logs[0].morning_stiffness_0_10 == 2.0
        assert logs[0].morning_logged_at is not None
        assert logs[0].morning_logged_at.tzinfo is not None
        assert [x.id for x in portal.list_logs(s, runner_id, kind="run")] == [later.id]
        assert list(portal.logs_by_day(s, runner_id)) == [DAY, DAY + dt.timedelta(days=2)]
        assert portal.get_log(s, later.id, runner_id=runner_id + 1000) is None


def test_decisions_are_replaced_per_log_and_overrides_kept(database: db.Database, runner_id: int) -> None:
    with database.write() as s:
        log = portal.add_log(s, runner_id=runner_id, kind="session", day=DAY, data={}, client_key="a").log
        portal.store_decisions(
            s,
            log,
            [
                portal.NewDecision("clamshell", "progress", "all sets at the top", "add a rep", {"n": 1}),
                portal.NewDecision("hip-hike", "hold", "pain 4/10", "same dose", {}),
            ],
        )
        row = portal.list_decisions(s, runner_id)[0]
        row.override_action = "hold"  # a clinician's override
        row.override_note = "wait for the re-test"
    with database.write() as s:
        log2 = portal.get_log(s, log.id, runner_id=runner_id)
        assert log2 is not None
        portal.store_decisions(
            s, log2, [portal.NewDecision("clamshell", "regress", "pain 6/10", "step back", {"n": 2})]
        )
    with database.session() as s:
        rows = portal.list_decisions(s, runner_id)
        assert [(r.exercise_id, r.action, r.data) for r in rows] == [("clamshell", "regress", {"n": 2})]
        assert rows[0].override_action == "hold"
        assert portal.effective_action(rows[0]) == "hold"
        assert portal.overrides_by_day(s, runner_id) == {DAY: {"clamshell": "hold"}}
    with pytest.raises(portal.PortalError), database.write() as s:
        portal.store_decisions(s, log, [portal.NewDecision("clamshell", "jump", "", "", {})])
    with database.session() as s:
        assert int(s.scalar(select(func.count()).select_from(ProgressDecision)) or 0) == 1


def test_two_devices_at_the_same_moment_lose_no_entry(database: db.Database, runner_id: int) -> None:
    """Eight threads (four devices, each sending its form twice) log for one runner at once: four rows."""
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def send(key: str) -> None:
        try:
            barrier.wait(timeout=30)
            with database.write() as s:
                portal.lock_runner(s, runner_id)
                portal.add_log(s, runner_id=runner_id, kind="session", day=DAY, data={}, client_key=key)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(f"device-{i % 4}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    with database.session() as s:
        keys = sorted(x.client_key for x in portal.list_logs(s, runner_id))
    assert keys == ["device-0", "device-1", "device-2", "device-3"]


def test_the_same_key_racing_without_the_runner_lock_stores_one_row(
    database: db.Database, runner_id: int
) -> None:
    """Even without lock_runner (plain sessions), the conflict clause keeps one row per key."""
    barrier = threading.Barrier(6)
    created: list[bool] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait(timeout=30)
            with database.session() as s:
                added = portal.add_log(
                    s, runner_id=runner_id, kind="run", day=DAY, data={}, client_key="twice"
                )
                created.append(added.created)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert sorted(created) == [False] * 5 + [True]
    assert _count(database) == 1


def test_two_devices_logging_sessions_through_the_service_lose_nothing(
    database: db.Database, runner_id: int
) -> None:
    """Two phones send different sessions for one runner at the same moment (each twice, as a flaky
    connection would): both are stored once, each with one decision per exercise for its own day."""
    from tests.web.test_portal_service import demo_intake, demo_program, first_phase_session

    from glutemed.db import records
    from glutemed.services import portal as service

    with database.write() as s:
        records.add_intake(s, runner_id, demo_intake())
        program = records.add_program(s, runner_id=runner_id, data=demo_program())
        records.publish_program(s, program, by=None)
    days = {"phone-1": DAY, "phone-2": DAY + dt.timedelta(days=2)}
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def send(key: str) -> None:
        try:
            barrier.wait(timeout=30)
            with database.write() as s:
                service.log_session(s, runner_id, first_phase_session(days[key]), client_key=key)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(key,)) for key in (*days, *days)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    n_exercises = len(demo_program()["phases"][0]["exercises"])
    with database.session() as s:
        logs = portal.list_logs(s, runner_id)
        assert [x.client_key for x in logs] == ["phone-1", "phone-2"]
        for log in logs:
            rows = portal.list_decisions(s, runner_id, training_log_id=log.id)
            assert len(rows) == n_exercises
            assert {r.data["evaluation"]["day"] for r in rows} == {log.day.isoformat()}
