"""Repositories on SQLite and PostgreSQL: accounts, invitations, throttling, history kept, owner checks,
programs, and the content-hash file store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from glutemed import db

PASSWORD = "correct horse battery"


def test_users_have_unique_emails_argon2_hashes_and_roles(database: db.Database, runner_id: int) -> None:
    with database.session() as s:
        clinic = db.list_clinics(s)[0]
        doc = db.create_user(
            s,
            email=" Doc@Clinic.ORG ",
            display_name="Dr Doc",
            password=PASSWORD,
            role="clinician",
            clinic_id=clinic.id,
        )
        assert doc.email == "doc@clinic.org"
        assert doc.password_hash.startswith("$argon2id$")
        assert PASSWORD not in doc.password_hash
        admin = db.create_user(
            s, email="root@clinic.org", display_name="Admin", password=PASSWORD, role="admin"
        )
        assert admin.clinic_id is None
    with database.session() as s:
        for bad, message in (
            ({"email": "DOC@clinic.org", "role": "admin"}, "already has an account"),
            ({"email": "x@clinic.org", "role": "owner"}, "role must be one of"),
            ({"email": "y@clinic.org", "role": "clinician"}, "belongs to a clinic"),
            ({"email": "z@clinic.org", "role": "runner"}, "needs an existing runner"),
            ({"email": "not-an-email", "role": "admin"}, "not an email address"),
        ):
            with pytest.raises(db.AccountError, match=message):
                db.create_user(s, display_name="X", password=PASSWORD, **bad)  # type: ignore[arg-type]
        with pytest.raises(db.AccountError, match="at least 10"):
            db.create_user(s, email="short@clinic.org", display_name="S", password="short", role="admin")
    with database.session() as s:
        user = db.authenticate(s, "DOC@clinic.org", PASSWORD)
        assert user is not None
        assert user.id == doc.id
        assert db.authenticate(s, "doc@clinic.org", "wrong password") is None
        assert db.authenticate(s, "nobody@clinic.org", PASSWORD) is None
        db.set_active(s, user, False)
        assert db.authenticate(s, "doc@clinic.org", PASSWORD) is None
        db.set_active(s, user, True)
        before = user.password_changed_at
        db.set_password(s, user, "a new long password")
        assert user.password_changed_at >= before
        assert db.authenticate(s, "doc@clinic.org", "a new long password") is not None
        assert [u.email for u in db.list_users(s, clinic_id=clinic.id)] == ["doc@clinic.org"]


def test_the_database_itself_refuses_a_runner_user_without_a_runner(database: db.Database) -> None:
    def add_bare_runner_user() -> None:
        with database.session() as s:
            s.add(db.User(email="r@x.org", display_name="R", password_hash="x", role="runner"))

    with pytest.raises(IntegrityError):
        add_bare_runner_user()


def test_an_invitation_works_once_and_expires(database: db.Database, runner_id: int) -> None:
    now = dt.datetime.now(dt.UTC)
    with database.session() as s:
        invitation, token = db.create_invitation(s, runner_id=runner_id, created_by=None, email="ana@x.org")
        assert token not in invitation.token_hash
        _, old_token = db.create_invitation(
            s, runner_id=runner_id, created_by=None, now=now - dt.timedelta(days=8)
        )
        assert db.find_invitation(s, token) is not None
        assert db.find_invitation(s, old_token) is None  # expired after 7 days
        assert db.find_invitation(s, "guessed") is None
    with database.write() as s, pytest.raises(db.AccountError, match="another email"):
        db.accept_invitation(s, token, email="eve@x.org", display_name="Eve", password=PASSWORD)
    with database.write() as s:
        user = db.accept_invitation(s, token, email="ana@x.org", display_name="Ana", password=PASSWORD)
        assert (user.role, user.runner_id) == ("runner", runner_id)
        runner = db.get_runner(s, runner_id)
        assert runner is not None
        assert user.clinic_id == runner.clinic_id
    with database.write() as s, pytest.raises(db.AccountError, match="already used"):
        db.accept_invitation(s, token, email="ana@x.org", display_name="Ana", password=PASSWORD)
    with database.session() as s:
        (_expired, used) = db.list_invitations(s, runner_id)  # oldest first
        assert used.used_at is not None
        assert used.used_by == user.id


def test_failed_sign_ins_are_counted_until_a_success(database: db.Database) -> None:
    now = dt.datetime.now(dt.UTC)
    window = dt.timedelta(minutes=15)
    with database.session() as s:
        db.record_login_attempt(s, "a@x.org", success=False, ip="10.0.0.1", now=now - dt.timedelta(hours=1))
        for minutes in (5, 4, 3):
            db.record_login_attempt(
                s, "A@x.org", success=False, ip="10.0.0.1", now=now - dt.timedelta(minutes=minutes)
            )
        db.record_login_attempt(s, "a@x.org", success=False, ip="10.0.0.2", now=now)
        assert db.recent_failures(s, "a@x.org", window=window, now=now) == 4
        assert db.recent_failures(s, "a@x.org", window=window, now=now, ip="10.0.0.1") == 3
        db.record_login_attempt(s, "a@x.org", success=True, now=now + dt.timedelta(seconds=1))
        assert db.recent_failures(s, "a@x.org", window=window, now=now + dt.timedelta(seconds=2)) == 0
        assert db.prune_login_attempts(s, older_than=dt.timedelta(minutes=30), now=now) == 1


def test_history_is_kept_and_rows_of_another_owner_read_as_none(
    database: db.Database, runner_id: int
) -> None:
    with database.session() as s:
        first = db.add_intake(s, runner_id, {"version": 1})
        second = db.add_intake(s, runner_id, {"version": 2})
        db.add_test_result(s, runner_id, {"trendelenburg": []})
        other_clinic = db.create_clinic(s, "Clinic 2")
        other = db.create_runner(s, clinic_id=other_clinic.id, name="Ben")
        upload = db.add_upload(
            s, runner_id=runner_id, sha256="ab" * 32, original_name="rear.mp4", kind="video", size_bytes=10,
            storage_path="blobs/ab/x.mp4",
        )  # fmt: skip
        with pytest.raises(db.RecordError, match="upload kind"):
            db.add_upload(
                s, runner_id=runner_id, sha256="c" * 64, original_name="a.exe", kind="binary", size_bytes=1,
                storage_path="x",
            )  # fmt: skip
    with database.session() as s:
        assert [i.data for i in db.list_intakes(s, runner_id)] == [{"version": 2}, {"version": 1}]
        latest = db.latest_intake(s, runner_id)
        assert latest is not None
        assert latest.id == second.id != first.id
        assert db.latest_test_result(s, runner_id) is not None
        assert db.latest_intake(s, other.id) is None
        assert db.get_upload(s, upload.id, runner_id=other.id) is None
        assert db.get_upload(s, upload.id, runner_id=runner_id) is not None
        assert db.get_runner(s, runner_id, clinic_id=other_clinic.id) is None
        assert [r.name for r in db.list_runners(s, clinic_id=other_clinic.id)] == ["Ben"]


def test_programs_are_drafts_until_published_and_edits_are_logged(
    database: db.Database, runner_id: int
) -> None:
    with database.session() as s:
        assessment = db.add_assessment(s, runner_id=runner_id, assessment={"stopped": False})
        program = db.add_program(s, runner_id=runner_id, assessment_id=assessment.id, data={"phases": [1, 2]})
        assert db.list_programs(s, runner_id, published_only=True) == []
        db.edit_program(s, program, data={"phases": [1]}, edit={"remove": "clamshell"})
        db.publish_program(s, program, by=None)
        with pytest.raises(db.RecordError, match="published"):
            db.edit_program(s, program, data={}, edit={"swap": "x"})
    with database.session() as s:
        shown = db.latest_published_program(s, runner_id)
        assert shown is not None
        assert shown.data == {"phases": [1]}
        assert shown.edits[0]["remove"] == "clamshell"
        assert shown.published_at is not None
        assert db.get_program(s, shown.id, runner_id=runner_id + 1000) is None


def test_the_file_store_keeps_files_whole_by_content_hash_or_not_at_all(tmp_path: Path) -> None:
    store = db.FileStore(tmp_path)
    stored = store.save_stream([b"abc", b"def"], suffix=".MP4")
    assert stored.size_bytes == 6
    assert stored.relative_path == f"blobs/{stored.sha256[:2]}/{stored.sha256}.mp4"
    assert store.resolve(stored.relative_path).read_bytes() == b"abcdef"
    assert store.save_stream([b"abcdef"], suffix=".mp4") == stored  # same bytes, same file
    with pytest.raises(db.UploadTooLargeError):
        store.save_stream([b"x" * 10] * 5, max_bytes=25)

    def broken() -> object:
        yield b"half a video"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        store.save_stream(broken())  # type: ignore[arg-type]
    assert list((tmp_path / "tmp").iterdir()) == []  # nothing left behind
    assert len(list((tmp_path / "blobs").rglob("*"))) == 2  # one folder, one file
    with pytest.raises(ValueError, match="outside"):
        store.resolve("../../etc/passwd")
    assert store.blob_path("ab" * 32, ".sh;rm") == f"blobs/ab/{'ab' * 32}"  # odd suffixes are dropped
