"""The record use cases on a real SQLite database and file store: reading a logbook safely, importing it through
the portal, exporting the record without secrets, and erasing it all or nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from glutemed.db import accounts, queue, records
from glutemed.db.engine import Database, open_database
from glutemed.db.migrate import upgrade
from glutemed.db.models import Base, Job, Runner, TrainingLog, User
from glutemed.db.storage import FileStore
from glutemed.services import record_export as rx
from glutemed.services.calendar_feed import create_feed
from glutemed.services.demo import DEMO_INTAKE, demo_dir
from glutemed.services.intake_schema import InputFileError, load_intake
from glutemed.services.jobs import Worker

PASSWORD = "correct horse battery"


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[Database, FileStore, dict[str, int]]]:
    """Two runners of one clinic, each with a runner account; runner A with a published program."""
    database = open_database(f"sqlite:///{tmp_path / 'glutemed.db'}", pool_size=2, max_overflow=2)
    upgrade(database.engine)
    store = FileStore(tmp_path)
    intake = load_intake(demo_dir() / DEMO_INTAKE).model_dump(mode="json", exclude_none=True)
    with database.write() as s:
        clinic = accounts.create_clinic(s, "Clinic")
        ids = {}
        for key in ("A", "B"):
            runner = records.create_runner(s, clinic_id=clinic.id, name=f"Runner {key}")
            ids[key] = runner.id
            user = accounts.create_user(
                s,
                email=f"{key.lower()}@t.test",
                display_name=key,
                password=PASSWORD,
                role="runner",
                runner_id=runner.id,
            )
            ids[f"user{key}"] = user.id
        records.add_intake(s, ids["A"], intake)
        queue.enqueue(s, kind="assess", runner_id=ids["A"], payload={})
    assert Worker(database, store, poll_s=0.05).run(once=True) == 1
    with database.write() as s:
        (program,) = records.list_programs(s, ids["A"])
        records.publish_program(s, program, by=None)
        ids["program"] = program.id
    yield database, store, ids
    database.dispose()


def logbook(
    database: Database, runner_id: int, days: tuple[str, ...] = ("2026-11-02", "2026-11-04")
) -> bytes:
    with database.session() as s:
        program = records.latest_published_program(s, runner_id)
        assert program is not None
        phase = program.data["phases"][1]
    sessions = []
    for day in days:
        exercises = [
            {
                "exercise": item["exercise_id"],
                "sets": [{"reps": item.get("reps"), "hold_s": item.get("hold_s"), "pain_during_0_10": 1}],
                "pain_next_morning_0_10": 0,
            }
            for item in phase["exercises"]
        ]
        sessions.append({"date": day, "exercises": exercises})
    return json.dumps({"sessions": sessions}, indent=2).encode()


def rows_of(database: Database, runner_id: int) -> dict[str, int]:
    out = {}
    with database.session() as s:
        for table in Base.metadata.sorted_tables:
            if "runner_id" in table.c:
                where = table.c.runner_id == runner_id
                out[table.name] = int(s.scalar(select(func.count()).select_from(table).where(where)) or 0)
        out["runners"] = int(s.scalar(select(func.count()).where(Runner.id == runner_id)) or 0)
    return out


def files_in(store: FileStore) -> set[Path]:
    return {p for p in store.root.rglob("*") if p.is_file() and "tmp" not in p.relative_to(store.root).parts}


def test_read_logbook_names_the_file_and_field_and_keys_are_canonical() -> None:
    good = {
        "sessions": [{"date": "2026-11-02", "exercises": [{"exercise": "clamshell", "sets": [{"reps": 10}]}]}]
    }
    book = rx.read_logbook("book.json", json.dumps(good).encode())
    assert len(book.sessions) == 1
    reordered = {
        "sessions": [{"exercises": [{"sets": [{"reps": 10}], "exercise": "clamshell"}], "date": "2026-11-02"}]
    }
    again = rx.read_logbook("other.json", json.dumps(reordered, indent=4).encode())
    assert rx.client_key(again.sessions[0]) == rx.client_key(book.sessions[0])
    assert len(rx.client_key(book.sessions[0])) == 64
    later = {"sessions": [{**good["sessions"][0], "date": "2026-11-03"}]}
    assert rx.client_key(rx.read_logbook("x.json", json.dumps(later).encode()).sessions[0]) != rx.client_key(
        book.sessions[0]
    )
    bad: dict[str, Any] = json.loads(json.dumps(good))
    bad["sessions"][0]["exercises"][0]["sets"][0]["pain_during_0_10"] = 11
    for name, data, words in (
        ("pain.json", json.dumps(bad).encode(), "sessions.0.exercises.0.sets.0.pain_during_0_10"),
        (
            "date.json",
            json.dumps({"sessions": [{**good["sessions"][0], "date": "2026-02-30"}]}).encode(),
            "date",
        ),
        ("extra.json", json.dumps({**good, "owner": "x"}).encode(), "owner"),
        ("alias.yaml", b"s: &a [1]\nsessions: *a\n", "alias"),
        ("dup.json", b'{"sessions": [], "sessions": []}', "duplicate"),
        ("big.json", b'{"sessions": [' + b"1" * 40 + b"]}", "integer"),
        ("bin.json", b"\xff\xfe\x00", "UTF-8"),
    ):
        with pytest.raises(InputFileError) as caught:
            rx.read_logbook(name, data)
        assert str(caught.value).startswith(name), str(caught.value)
        assert words in str(caught.value), (name, str(caught.value))


def test_the_size_cap_of_a_logbook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLUTEMED_MAX_LOGBOOK_MB", "0.0001")  # about 100 bytes
    with pytest.raises(InputFileError, match=r"^big\.json: .*over the .* limit"):
        rx.read_logbook("big.json", b'{"sessions": []}' + b" " * 200)


def test_import_twice_stores_once_and_export_round_trips_without_secrets(
    clinic: tuple[Database, FileStore, dict[str, int]],
) -> None:
    database, _store, ids = clinic
    data = logbook(database, ids["A"])
    book = rx.read_logbook("logbook.json", data)
    with database.write() as s:
        first = rx.import_logbook(s, ids["A"], book, source="logbook.json", created_by=ids["userA"])
    with database.write() as s:
        second = rx.import_logbook(s, ids["A"], book, source="logbook.json", created_by=ids["userA"])
    assert (first.stored, first.already) == (2, 0)
    assert (second.stored, second.already) == (0, 2)
    assert rows_of(database, ids["A"])["training_logs"] == 2
    with database.write() as s:
        token = create_feed(s, ids["A"], created_by=ids["userA"])
        hashes = list(s.scalars(select(User.password_hash)))
    record = rx.export_record(database, ids["A"])
    text = json.dumps(record)
    for secret in [token, *hashes]:
        assert secret not in text
    for section, rows in record.items():
        if isinstance(rows, list):
            for row in rows:
                assert not set(row) & rx.HIDDEN, section
    # round trip: the exported logs read back as the logbook that was imported
    assert (
        rx.read_logbook(
            "again.json", json.dumps({"sessions": [x["data"] for x in record["training_logs"]]}).encode()
        )
        == book
    )
    assert record["runner"]["name"] == "Runner A"
    assert [u["email"] for u in record["accounts"]] == ["a@t.test"]
    assert len(record["programs"]) == 1
    assert len(record["progress_decisions"]) == 2 * len(record["training_logs"][0]["data"]["exercises"])
    assert rx.export_record(database, ids["B"])["training_logs"] == []


def test_a_session_the_portal_refuses_stores_none(clinic: tuple[Database, FileStore, dict[str, int]]) -> None:
    database, _store, ids = clinic
    data = json.loads(logbook(database, ids["A"], ("2026-11-02", "2026-11-04", "2026-11-06")))
    data["sessions"][2]["exercises"][0]["exercise"] = "single-leg-romanian-deadlift"  # not in this program
    book = rx.read_logbook("logbook.json", json.dumps(data).encode())
    with (
        pytest.raises(rx.portal.PortalInputError, match=r"sessions\.2\.exercises\.0\.exercise"),
        database.write() as s,
    ):
        rx.import_logbook(s, ids["A"], book, source="logbook.json", created_by=None)
    with database.session() as s:
        assert s.scalar(select(func.count()).select_from(TrainingLog)) == 0


def _shared_uploads(database: Database, store: FileStore, ids: dict[str, int], tmp: Path) -> Path:
    source = tmp / "run.gpx"
    source.write_bytes(b"<gpx>the same bytes for both runners</gpx>")
    stored = store.save_file(source)
    with database.write() as s:
        for key in ("A", "B"):
            records.add_upload(
                s,
                runner_id=ids[key],
                sha256=stored.sha256,
                original_name="run.gpx",
                kind="activities",
                size_bytes=stored.size_bytes,
                storage_path=stored.relative_path,
            )
    return store.resolve(stored.relative_path)


def test_erasure_is_all_or_nothing_and_keeps_shared_files(
    clinic: tuple[Database, FileStore, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database, store, ids = clinic
    blob = _shared_uploads(database, store, ids, tmp_path)
    with database.write() as s:
        rx.import_logbook(
            s,
            ids["A"],
            rx.read_logbook("l.json", logbook(database, ids["A"])),
            source="l.json",
            created_by=None,
        )
    rx.request_erasure(store, ids["A"], by=ids["userA"])
    assert rx.erasure_request(store, ids["A"]) is not None
    before_a, before_b, files = rows_of(database, ids["A"]), rows_of(database, ids["B"]), files_in(store)
    assert before_a["training_logs"] == 2
    assert before_a["jobs"] == 1

    # A file that cannot be moved half way: the rows stay and every file moved so far comes back.
    real_move, calls = rx._move, []

    def failing_move(source: Path, target: Path) -> None:
        calls.append(source)
        if len(calls) == 2:
            raise OSError("disk trouble")
        real_move(source, target)

    monkeypatch.setattr(rx, "_move", failing_move)
    with pytest.raises(OSError, match="disk trouble"):
        rx.erase_runner(database, store, ids["A"])
    assert len(calls) == 2
    assert rows_of(database, ids["A"]) == before_a
    assert files_in(store) == files
    monkeypatch.setattr(rx, "_move", real_move)

    # A job of the runner running now: refused, nothing changes.
    with database.write() as s:
        job = queue.enqueue(s, kind="assess", runner_id=ids["A"], payload={})
    assert queue.claim(database, "test-worker") is not None
    with pytest.raises(rx.ErasureError, match="running"):
        rx.erase_runner(database, store, ids["A"])
    with database.write() as s:
        s.get(Job, job.id).state = "failed"  # type: ignore[union-attr]
    assert rows_of(database, ids["A"])["training_logs"] == 2

    report = rx.erase_runner(database, store, ids["A"])
    assert set(rows_of(database, ids["A"]).values()) == {0}
    assert rows_of(database, ids["B"]) == before_b
    assert report.rows["training_logs"] == 2
    assert report.rows["users"] == 1
    assert report.kept_shared == 1
    assert blob.is_file()
    assert rx.erasure_request(store, ids["A"]) is None
    assert not (store.root / "jobs").exists() or not any((store.root / "jobs").iterdir())
    assert not list((store.root / "tmp").glob("erase-*"))

    report = rx.erase_runner(database, store, ids["B"])
    assert report.kept_shared == 0
    assert not blob.exists()
