"""Import a ``glutemed log`` logbook into a runner's record, export the record, and erase it.

Real app, real databases (the erasure on SQLite and on PostgreSQL), real worker, real file store; the logbooks
are written by the real ``glutemed log`` command. Each import runs the portal's own logging (and so its
progression decisions).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.web.conftest import FIT_RUN, Browser, World, _database_url, _users, demo_intake_form, make_app
from typer.testing import CliRunner

from glutemed.cli.app import app as cli
from glutemed.db import records
from glutemed.db.models import Base, ProgressDecision, Runner, TrainingLog, Upload, User
from glutemed.services.intake_schema import LogbookIn
from glutemed.services.record_export import client_key

PEOPLE = (
    ("clin1", "clin1@t.test"),
    ("clin2", "clin2@t.test"),
    ("runnerA", "runnera@t.test"),
    ("runnerB", "runnerb@t.test"),
)


def _clinic(app: Any, database: Any, tmp: Path) -> World:
    world = World(app, database, tmp)
    _users(world)
    for name, email in PEOPLE:
        browser = Browser(app, name)
        browser.sign_in(email)
        world.browsers[name] = browser
    return world


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[World]:
    """Clinic 1 (clinician, runners A and B) and clinic 2 on SQLite."""
    app, database = make_app(tmp_path)
    world = _clinic(app, database, tmp_path)
    yield world
    for browser in world.browsers.values():
        browser.client.close()
    database.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def both(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """The same clinic on SQLite and on PostgreSQL."""
    app, database = make_app(tmp_path, _database_url(request, request.param, tmp_path))
    world = _clinic(app, database, tmp_path)
    yield world
    for browser in world.browsers.values():
        browser.client.close()
    database.dispose()


def publish_program(world: World, runner: str) -> dict[str, Any]:
    """An intake for the runner, the worker's program, published by the clinician; the program's data."""
    clin = world.browsers["clin1"]
    rid = world.ids[runner]
    assert clin.post(f"/runners/{rid}/intake", demo_intake_form()).status_code == 303
    world.run_jobs()
    with world.database.session() as s:
        program = records.list_programs(s, rid)[0]
        program_id, data = program.id, program.data
    assert clin.post(f"/programs/{program_id}/review", {"action": "publish"}).status_code == 303
    return data


def sessions_for(program: dict[str, Any], days: int) -> list[dict[str, Any]]:
    """Session files for the program's activation exercises on ``days`` days ending a week ago."""
    phase = next(p for p in program["phases"] if p["id"] == "activation")
    first = dt.date.today() - dt.timedelta(days=7 + 2 * days)
    out = []
    for n in range(days):
        exercises = []
        for item in phase["exercises"]:
            one = {"reps": item["reps"]} if item.get("reps") else {"hold_s": item["hold_s"]}
            sets = [{**one, "pain_during_0_10": 1}] * int(item["sets"])
            exercises.append({"exercise": item["exercise_id"], "sets": sets, "pain_next_morning_0_10": 0})
        out.append({"date": (first + dt.timedelta(days=2 * n)).isoformat(), "exercises": exercises})
    return out


def cli_logbook(tmp: Path, sessions: list[dict[str, Any]]) -> bytes:
    """The logbook ``glutemed log`` writes for these session files."""
    book = tmp / "logbook.json"
    book.unlink(missing_ok=True)
    for n, session in enumerate(sessions):
        path = tmp / f"session-{n}.json"
        path.write_text(json.dumps(session), encoding="utf-8")
        result = CliRunner().invoke(cli, ["log", str(path), "--logbook", str(book)])
        assert result.exit_code == 0, result.output
    return book.read_bytes()


def upload_logbook(browser: Browser, runner_id: int, data: bytes, name: str = "logbook.json") -> Any:
    return browser.upload(
        f"/runners/{runner_id}/records/import", [("logbook", (name, data, "application/json"))]
    )


def count(world: World, model: Any, runner_id: int) -> int:
    with world.database.session() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(model.runner_id == runner_id)) or 0)


def test_importing_a_logbook_twice_stores_each_session_once(clinic: World, tmp_path: Path) -> None:
    a = clinic.ids["A"]
    program = publish_program(clinic, "A")
    data = cli_logbook(tmp_path, sessions_for(program, 3))
    r = upload_logbook(clinic.browsers["runnerA"], a, data)
    assert r.status_code == 200, r.text[:500]
    assert "3 session(s), 3 new, 0 already in the record" in r.text
    assert count(clinic, TrainingLog, a) == 3
    n_ex = len(next(p for p in program["phases"] if p["id"] == "activation")["exercises"])
    assert count(clinic, ProgressDecision, a) == 3 * n_ex  # one decision per exercise, made by the portal
    with clinic.database.session() as s:
        actions = {d.action for d in s.scalars(select(ProgressDecision))}
    assert actions <= {"progress", "hold", "regress"}
    again = upload_logbook(clinic.browsers["clin1"], a, data)
    assert "3 session(s), 0 new, 3 already in the record" in again.text
    clin = clinic.browsers["clin1"]
    r = clin.client.post(f"/api/v1/runners/{a}/logbook", content=data, headers={"X-CSRF-Token": clin.csrf})
    assert r.status_code == 201
    assert r.json() == {"sessions": 3, "stored": 0, "already": 3}
    assert count(clinic, TrainingLog, a) == 3
    assert count(clinic, ProgressDecision, a) == 3 * n_ex


def test_a_bad_logbook_is_refused_naming_the_file_and_field_and_stores_nothing(
    clinic: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = clinic.ids["A"]
    runner = clinic.browsers["runnerA"]
    program = publish_program(clinic, "A")
    good = sessions_for(program, 2)
    pain = json.loads(json.dumps(good))
    pain[1]["exercises"][0]["sets"][0]["pain_during_0_10"] = 14
    foreign = json.loads(json.dumps(good))
    foreign[1]["exercises"][0]["exercise"] = "single-leg-squat-nonexistent"
    not_in_program = json.loads(json.dumps(good))
    not_in_program[1]["exercises"][0]["exercise"] = "single-leg-romanian-deadlift"
    deep = "[" * 200 + "]" * 200
    cases = {
        "pain.json": (json.dumps({"sessions": pain}), "sessions.1.exercises.0.sets.0.pain_during_0_10"),
        "program.json": (json.dumps({"sessions": not_in_program}), "sessions.1.exercises.0.exercise"),
        "foreign.json": (json.dumps({"sessions": foreign}), "sessions.1.exercises.0.exercise"),
        "dup.json": ('{"sessions": [], "sessions": []}', "duplicate"),
        "deep.json": ('{"sessions": ' + deep + "}", "nested"),
        "alias.yaml": ("a: &x [1]\nsessions: *x\n", "alias"),
        "latin1.json": (b'{"sessions": "\xe9"}', "not UTF-8"),
        "empty.json": ('{"sessions": []}', "no sessions"),
        "list.json": ("[1, 2]", "expected a mapping"),
    }
    for name, (body, field) in cases.items():
        data = body if isinstance(body, bytes) else body.encode()
        r = upload_logbook(runner, a, data, name)
        assert r.status_code == 422, (name, r.status_code, r.text[:300])
        assert name in r.text, name
        assert field in r.text, (name, field, r.text[r.text.find('role="alert"') :][:400])
        assert "nothing was imported" in r.text or name not in ("program.json", "foreign.json")
    book = cli_logbook(tmp_path, good)
    monkeypatch.setenv("GLUTEMED_MAX_LOGBOOK_MB", "0.001")  # 1 KB: the logbook is over it
    r = upload_logbook(runner, a, book)
    assert r.status_code == 422
    assert "logbook.json" in r.text
    assert "over the" in r.text
    r = upload_logbook(runner, a, book + b" " * 100_000)  # refused from its length, before it is parsed
    assert r.status_code == 413
    assert count(clinic, TrainingLog, a) == 0
    assert count(clinic, ProgressDecision, a) == 0


def test_the_export_holds_the_whole_record_and_no_secrets(clinic: World, tmp_path: Path) -> None:
    a = clinic.ids["A"]
    clin, runner = clinic.browsers["clin1"], clinic.browsers["runnerA"]
    program = publish_program(clinic, "A")
    sessions = sessions_for(program, 2)
    book = cli_logbook(tmp_path, sessions)
    assert upload_logbook(runner, a, book).status_code == 200
    feed = runner.post(f"/runners/{a}/feed").text
    invitation = clin.post(f"/runners/{a}/invitations").text
    r = runner.get(f"/runners/{a}/export.json")
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith("attachment")
    record = json.loads(r.content)
    assert record["schema"] == "glutemed.record/v1"
    assert record["runner"]["name"] == "Alice Aardvark"
    # round trip: the exported logs are the logbook that was imported
    exported = LogbookIn.model_validate({"sessions": [log["data"] for log in record["training_logs"]]})
    assert exported == LogbookIn.model_validate_json(book)
    assert [log["client_key"] for log in record["training_logs"]] == [
        client_key(x) for x in exported.sessions
    ]
    with clinic.database.session() as s:
        decisions = s.scalars(select(ProgressDecision).order_by(ProgressDecision.id)).all()
        assert [(d["exercise_id"], d["action"]) for d in record["progress_decisions"]] == [
            (d.exercise_id, d.action) for d in decisions
        ]
        hashes = list(s.scalars(select(User.password_hash)))
    assert len(record["programs"]) == 1
    assert record["programs"][0]["data"] == program
    assert len(record["intakes"]) == 1
    assert [u["email"] for u in record["accounts"]] == ["runnera@t.test"]
    assert len(record["calendar_feeds"]) == 1
    assert len(record["invitations"]) == 1
    feed_token = feed.split("/feeds/", 1)[1].split(".ics", 1)[0]
    invite_token = invitation.split("/invite/", 1)[1].split('"', 1)[0].split("<", 1)[0]
    for secret in [*hashes, feed_token, invite_token, "password_hash", "token_hash", "storage_path"]:
        assert secret not in r.text, secret
    api = clin.get(f"/api/v1/runners/{a}/export").json()
    assert api["training_logs"] == record["training_logs"]
    for other in ("runnerB", "clin2"):
        r = clinic.browsers[other].get(f"/runners/{a}/export.json")
        assert r.status_code == 404
        assert "Alice" not in r.text


def _runner_rows(world: World, runner_id: int) -> dict[str, int]:
    out = {}
    with world.database.session() as s:
        for table in Base.metadata.sorted_tables:
            if "runner_id" in table.c:
                out[table.name] = int(
                    s.scalar(select(func.count()).select_from(table).where(table.c.runner_id == runner_id))
                    or 0
                )
        out["runners"] = int(
            s.scalar(select(func.count()).select_from(Runner).where(Runner.id == runner_id)) or 0
        )
    return out


def test_erasure_removes_that_runners_rows_and_files_only(both: World, tmp_path: Path) -> None:
    world = both
    a, b = world.ids["A"], world.ids["B"]
    clin, runner_a = world.browsers["clin1"], world.browsers["runnerA"]
    fit = [("file", ("run.fit", FIT_RUN.read_bytes(), "application/octet-stream"))]
    for rid in (a, b):  # the same bytes for both: one stored file, two upload rows
        assert clin.upload(f"/runners/{rid}/uploads/load", fit).status_code == 303
    world.run_jobs()
    program = publish_program(world, "A")
    book = cli_logbook(tmp_path, sessions_for(program, 2))
    assert upload_logbook(runner_a, a, book).status_code == 200
    assert runner_a.post(f"/runners/{a}/feed").status_code == 200
    assert clin.post(f"/runners/{a}/invitations").status_code == 200
    with world.database.session() as s:
        blob = s.scalars(select(Upload.storage_path).where(Upload.runner_id == a)).one()
        jobs_a = [r.job_id for r in records.list_load_reports(s, a) if r.job_id]
    blob_path = world.data_dir / blob
    job_dirs_a = [world.data_dir / "jobs" / str(j) for j in jobs_a]
    assert blob_path.is_file()
    assert job_dirs_a
    assert all(d.is_dir() for d in job_dirs_a)
    rows_a, rows_b = _runner_rows(world, a), _runner_rows(world, b)
    assert rows_a["training_logs"] == 2
    assert rows_a["calendar_feeds"] == 1
    assert rows_b["uploads"] == 1
    files_b = {p for p in world.stored_files() if "jobs" in p.parts} - {
        p for d in job_dirs_a for p in d.rglob("*")
    }

    # The runner asks; only the clinician erases, and only with the runner's name typed exactly.
    assert runner_a.post(f"/runners/{a}/erasure-request").status_code == 303
    assert "The runner asked for this record to be erased" in clin.get(f"/runners/{a}/records").text
    assert runner_a.post(f"/runners/{a}/erasure", {"confirm_name": "Alice Aardvark"}).status_code == 403
    assert (
        world.browsers["clin2"].post(f"/runners/{a}/erasure", {"confirm_name": "Alice Aardvark"}).status_code
        == 404
    )
    assert clin.post(f"/runners/{a}/erasure", {"confirm_name": "Alice"}).status_code == 422
    assert _runner_rows(world, a) == rows_a

    r = clin.post(f"/runners/{a}/erasure", {"confirm_name": "Alice Aardvark"})
    assert r.status_code == 303
    assert set(_runner_rows(world, a).values()) == {0}
    assert _runner_rows(world, b) == rows_b
    with world.database.session() as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.email == "runnera@t.test")) == 0
        assert s.scalar(select(func.count()).select_from(User).where(User.email == "runnerb@t.test")) == 1
    assert blob_path.is_file(), "runner B's upload of the same bytes keeps the file"
    assert not any(d.exists() for d in job_dirs_a)
    assert all(p.is_file() for p in files_b)
    assert not (world.data_dir / "requests" / f"erasure-{a}.json").exists()
    assert runner_a.get(f"/runners/{a}").status_code == 401  # the account is gone with the record
    assert world.browsers["runnerB"].get(f"/runners/{b}").status_code == 200

    # Erasing B too: now nobody references the file, so it goes.
    r = clin.client.post(
        f"/api/v1/runners/{b}/erasure",
        json={"confirm_name": "Bob Beaver"},
        headers={"X-CSRF-Token": clin.csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["rows"]["uploads"] == 1
    assert not blob_path.exists()
    assert set(_runner_rows(world, b).values()) == {0}
    assert _runner_rows(world, world.ids["C"])["runners"] == 1
