"""The demo clinic `glutemed serve` seeds into an empty database, and the serve command's options."""

from __future__ import annotations

from pathlib import Path

from tests.web.conftest import Browser, make_app
from typer.testing import CliRunner

from glutemed.cli.app import app as cli
from glutemed.db import queue, records
from glutemed.db.storage import FileStore
from glutemed.web.seed import is_empty, seed_demo, write_logins


def test_seed_makes_a_demo_clinic_whose_logins_work(tmp_path: Path) -> None:
    app, database = make_app(tmp_path)
    assert is_empty(database)
    logins = seed_demo(database, FileStore(tmp_path))  # the analysis stays queued (no worker here)
    assert not is_empty(database)
    assert [login.role for login in logins] == ["admin", "clinician", "runner", "runner"]
    path = write_logins(tmp_path, logins)
    assert path.stat().st_mode & 0o777 == 0o600
    with database.session() as s:
        runner = next(r for r in records.list_runners(s) if r.name == "Demo runner")
        assert records.latest_intake(s, runner.id) is not None
        (upload,) = records.list_uploads(s, runner.id)
        assert upload.kind == "video"
        (job,) = queue.list_jobs(s, runner_id=runner.id)
        assert job.kind == "analyze"
        assert job.payload["upload_ids"] == [upload.id]
    for login in logins:
        b = Browser(app, login.role)
        b.sign_in(login.email, login.password)
        assert b.get("/").status_code == 303
        b.client.close()
    database.dispose()


def test_serve_lists_its_options() -> None:
    result = CliRunner().invoke(cli, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--database-url", "--data-dir", "--no-worker", "--secure-cookies"):
        assert option in result.output
