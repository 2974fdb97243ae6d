"""The demo clinic a first start on an empty database seeds, so a newcomer sees the product at once.

A demo clinic with a clinician and a runner; the runner's intake is the bundled demo intake and their bundled
side-view video (``glutemed/demo/male_side.mp4``) is uploaded and analysed by the job queue like any upload,
so the assessment, report, overlay video and draft program are there when the server starts answering. The
passwords are random, printed once and kept in ``demo-logins.txt`` (mode 0600) in the data folder.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from glutemed.db import accounts, queue, records
from glutemed.db.engine import Database
from glutemed.db.models import User
from glutemed.db.storage import FileStore
from glutemed.services.demo import DEMO_INTAKE, DEMO_VIDEO, demo_dir
from glutemed.services.intake_schema import load_intake

CLINIC = "Demo clinic"


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


def is_empty(database: Database) -> bool:
    with database.session() as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0) == 0


def seed_demo(
    database: Database, store: FileStore, *, run_job: Callable[[], object] | None = None
) -> list[Login]:
    """Seed the demo clinic (the caller checked the database is empty); ``run_job`` runs the queued analysis."""
    logins = [
        Login("admin", "admin@demo.glutemed.invalid", secrets.token_urlsafe(12)),
        Login("clinician", "clinician@demo.glutemed.invalid", secrets.token_urlsafe(12)),
        Login("runner", "runner@demo.glutemed.invalid", secrets.token_urlsafe(12)),
    ]
    intake = load_intake(demo_dir() / DEMO_INTAKE)
    stored = store.save_file(demo_dir() / DEMO_VIDEO)
    with database.write() as s:
        clinic = accounts.create_clinic(s, CLINIC)
        runner = records.create_runner(s, clinic_id=clinic.id, name="Demo runner")
        admin = accounts.create_user(
            s, email=logins[0].email, display_name="Demo admin", password=logins[0].password, role="admin"
        )
        clinician = accounts.create_user(
            s,
            email=logins[1].email,
            display_name="Demo clinician",
            password=logins[1].password,
            role="clinician",
            clinic_id=clinic.id,
        )
        accounts.create_user(
            s,
            email=logins[2].email,
            display_name="Demo runner",
            password=logins[2].password,
            role="runner",
            runner_id=runner.id,
        )
        records.add_intake(
            s, runner.id, intake.model_dump(mode="json", exclude_none=True), created_by=clinician.id
        )
        upload = records.add_upload(
            s,
            runner_id=runner.id,
            sha256=stored.sha256,
            original_name=DEMO_VIDEO,
            kind="video",
            size_bytes=stored.size_bytes,
            storage_path=stored.relative_path,
            view="side",
            created_by=admin.id,
        )
        queue.enqueue(
            s,
            kind="analyze",
            runner_id=runner.id,
            created_by=clinician.id,
            payload={"upload_ids": [upload.id], "report": True, "pdf": True, "overlay": True},
        )
    if run_job is not None:
        run_job()
    return logins


def write_logins(data_dir: Path, logins: list[Login]) -> Path:
    path = data_dir / "demo-logins.txt"
    text = "".join(f"{login.role:<10} {login.email}  {login.password}\n" for login in logins)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
