"""`glutemed db upgrade`, `glutemed admin create-user` and `glutemed worker --once` through the real app."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from glutemed import db
from glutemed.cli.app import app

runner = CliRunner()


def test_upgrade_create_user_and_an_idle_worker(database_url: str, tmp_path: Path) -> None:
    url = ["--database-url", database_url]
    not_ready = runner.invoke(app, ["worker", "--once", *url, "--data-dir", str(tmp_path)])
    assert not_ready.exit_code == 2
    assert "run `glutemed db upgrade` first" in not_ready.output

    done = runner.invoke(app, ["db", "upgrade", *url])
    assert done.exit_code == 0, done.output
    assert f"migration {db.head_revision()}" in done.output
    again = runner.invoke(app, ["db", "upgrade", *url])
    assert again.exit_code == 0

    made = runner.invoke(
        app,
        ["admin", "create-user", "--email", "Doc@Clinic.org", "--name", "Dr Doc", "--role", "clinician",
         "--clinic", "Riverside Physio", "--password-stdin", *url],
        input="a long enough password\n",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "Created clinician doc@clinic.org" in made.output
    admin = runner.invoke(
        app,
        ["admin", "create-user", "--email", "root@clinic.org", "--name", "Admin", "--role", "admin", *url],
        input="another long password\nanother long password\n",
    )
    assert admin.exit_code == 0, admin.output
    twice = runner.invoke(
        app,
        ["admin", "create-user", "--email", "doc@clinic.org", "--name", "D", "--role", "admin",
         "--password-stdin", *url],
        input="a long enough password\n",
    )  # fmt: skip
    assert twice.exit_code == 2
    assert "already has an account" in twice.output
    weak = runner.invoke(
        app,
        ["admin", "create-user", "--email", "w@clinic.org", "--name", "W", "--role", "admin",
         "--password-stdin", *url],
        input="short\n",
    )  # fmt: skip
    assert weak.exit_code == 2
    assert "at least 10 characters" in weak.output

    database = db.open_database(database_url)
    try:
        with database.session() as s:
            user = db.authenticate(s, "doc@clinic.org", "a long enough password")
            assert user is not None
            clinic = db.get_clinic(s, user.clinic_id or 0)
            assert clinic is not None
            assert clinic.name == "Riverside Physio"
            assert db.authenticate(s, "root@clinic.org", "another long password") is not None
    finally:
        database.dispose()

    idle = runner.invoke(app, ["worker", "--once", *url, "--data-dir", str(tmp_path)])
    assert idle.exit_code == 0, idle.output
    assert "0 job(s) run" in idle.output
