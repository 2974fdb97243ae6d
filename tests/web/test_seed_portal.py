"""The demo clinic's second runner: a published program and three weeks of sessions ending yesterday, logged
through the runner portal, whose stored decisions (made by the real progression engine) show a progression and
a hold. The program is made by the real job queue (an ``assess`` job run by the worker); only the video
analysis of the first demo runner is left queued here (it takes a minute)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.web.conftest import Browser, make_app

from glutemed.db import portal as portal_repo
from glutemed.db import queue, records
from glutemed.db.models import Runner
from glutemed.db.storage import FileStore
from glutemed.services import progress_log
from glutemed.services.jobs import Worker
from glutemed.services.portal import logged_day
from glutemed.web.seed import DEMO_DAYS, LOGGING_EMAIL, LOGGING_RUNNER, seed_demo, write_logins


def test_the_demo_runner_has_three_weeks_of_logs_with_a_progression_and_a_hold(tmp_path: Path) -> None:
    app, database = make_app(tmp_path)
    store = FileStore(tmp_path)
    today = dt.date.today()
    worker = Worker(database, store, kinds=("assess",), poll_s=0.05)
    logins = seed_demo(database, store, run_job=worker.run_once, today=today)
    assert [(x.role, x.email) for x in logins][-1] == ("runner", LOGGING_EMAIL)
    assert LOGGING_EMAIL in write_logins(tmp_path, logins).read_text(encoding="utf-8")

    with database.session() as s:
        runner = s.query(Runner).filter_by(name=LOGGING_RUNNER).one()
        program = records.latest_published_program(s, runner.id)
        assert program is not None
        assert program.published_at is not None
        assert program.published_at.date() == today - dt.timedelta(days=21)
        (job,) = queue.list_jobs(s, runner_id=runner.id)
        assert (job.kind, job.state) == ("assess", "done")
        logs = portal_repo.list_logs(s, runner.id, kind="session")
        decisions = portal_repo.list_decisions(s, runner.id)

        # three weeks of sessions ending yesterday, each with its next-morning answers
        days = [log.day for log in logs]
        assert len(days) >= 8  # the program's three sessions a week
        assert min(days) >= today - dt.timedelta(days=DEMO_DAYS)
        assert max(days) < today
        assert max(days) >= today - dt.timedelta(days=3)  # no more than a rest day or two before today
        assert all(log.morning_pain_0_10 is not None for log in logs)
        assert all(log.program_id == program.id for log in logs)

        # the stored decisions: progressions first, then holds in the last week from the rising morning pain
        by_log = {log.id: log.day for log in logs}
        progress = [by_log[d.training_log_id] for d in decisions if d.action == "progress"]
        holds = [d for d in decisions if d.action == "hold"]
        assert progress
        assert holds
        assert {d.action for d in decisions} == {"progress", "hold"}
        assert max(progress) < min(by_log[d.training_log_id] for d in holds)
        assert min(by_log[d.training_log_id] for d in holds) >= today - dt.timedelta(days=14)
        for d in holds:
            trend = d.data["evaluation"]["pain_trend"]
            assert (trend["status"], trend["cap"]) == ("rising", "hold")
            assert "silbernagel2007" in d.data["refs"]

        # produced by the engine: evaluating the stored history again gives the stored decisions
        history = [logged_day(log) for log in logs]
        for n, log in enumerate(logs):
            evaluation = progress_log.evaluate(program.data, history[: n + 1])
            stored = {d.exercise_id: d.action for d in decisions if d.training_log_id == log.id}
            assert stored == {d.exercise_id: d.action for d in evaluation.decisions}, log.day

    runner_login = logins[-1]
    browser = Browser(app, "logging runner")
    browser.sign_in(runner_login.email, runner_login.password)
    assert browser.get(f"/runners/{runner.id}").status_code == 200
    browser.client.close()
    database.dispose()
