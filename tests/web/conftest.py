"""A real clinic for the web tests: SQLite database migrated by Alembic, file store on disk, the app from
``create_app`` served through FastAPI's TestClient, and jobs run by the real worker (no mocks).

The world (built once per test session): clinic 1 with clinician ``clin1`` and runners A and B (each with a runner
account), clinic 2 with clinician ``clin2`` and runner C, and an admin. Runner A has an intake, a gait analysis
of real keypoints (an upload through the web, run by the worker), a draft and a published program and a
training-load report; runner C has an intake, an assessment and a draft program.

The database tests run on both databases: the tests of the modules in ``BOTH_DATABASES`` (the authorisation
matrix, uploads and jobs, programs) get a ``[sqlite]`` and a ``[postgresql]`` case, the PostgreSQL one on a
throw-away cluster from Debian's ``postgresql`` package (:class:`glutemed.db.devcluster.TempCluster`, as in
tests/db), one database per clinic copied from a migrated template. Without PostgreSQL those cases are skipped
with the reason, unless ``GLUTEMED_REQUIRE_POSTGRES=1`` (set by .ci/run), where they fail.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from glutemed.db import accounts, queue, records
from glutemed.db.devcluster import PostgresMissingError, TempCluster
from glutemed.db.engine import Database, open_database
from glutemed.db.migrate import upgrade
from glutemed.db.models import Assessment, Base, ProgramRecord
from glutemed.db.storage import FileStore
from glutemed.services.demo import DEMO_INTAKE, demo_dir
from glutemed.services.intake_schema import load_intake
from glutemed.services.jobs import Worker
from glutemed.web.app import create_app
from glutemed.web.settings import WebSettings

DATA = Path(__file__).resolve().parents[1] / "data"
POSE_JSON = DATA / "video" / "male_side_treadmill" / "male_side.pose.json"
VIDEO = DATA / "video" / "male_side_treadmill" / "male_side.mp4"
FIT_RUN = DATA / "activities" / "fitparse__garmin-fenix-5-run.fit"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token in the page"
    return found.group(1)


class Browser:
    """One person's TestClient (own cookie jar) and their current CSRF token."""

    def __init__(self, app: Any, name: str) -> None:
        self.name = name
        self.client = TestClient(app, follow_redirects=False)
        self.csrf = ""

    def refresh_csrf(self) -> str:
        self.csrf = csrf_of(self.client.get("/sign-in").text)
        return self.csrf

    def sign_in(self, email: str, password: str = PASSWORD) -> None:
        token = self.refresh_csrf()
        r = self.client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
        assert r.status_code == 303, (self.name, r.status_code, r.text[:500])
        self.csrf = self.client.get("/api/v1/me").json()["csrf_token"]

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def upload(
        self, url: str, files: list[tuple[str, tuple[str, bytes, str]]], data: dict[str, str] | None = None
    ) -> Any:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, files=files)


@dataclass
class World:
    app: Any
    database: Database
    data_dir: Path
    ids: dict[str, int] = field(default_factory=dict)
    browsers: dict[str, Browser] = field(default_factory=dict)

    def run_jobs(self) -> int:
        return Worker(self.database, FileStore(self.data_dir), poll_s=0.05).run(once=True)

    def counts(self) -> dict[str, int]:
        """Rows per table and each program's state: a denied request must change none of it."""
        with self.database.session() as s:
            out = {
                t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
                for t in Base.metadata.sorted_tables
            }
            out["login_attempts"] = 0  # sign-ins are recorded by design
            for pid, state, edits in s.execute(
                select(ProgramRecord.id, ProgramRecord.state, ProgramRecord.edits)
            ):
                out[f"program {pid}"] = hash((state, len(edits)))
        return out

    def stored_files(self) -> set[Path]:
        return {p for p in self.data_dir.rglob("*") if p.is_file() and "jobs" not in p.parts}


REQUIRE_ENV = "GLUTEMED_REQUIRE_POSTGRES"
BOTH_DATABASES = {"test_authz_matrix", "test_bad_input", "test_programs"}
TEMPLATE_DB = "glutemed_web_template"


class PostgresClinics:
    """A throw-away PostgreSQL cluster with a migrated template database; :meth:`new_url` copies it."""

    def __init__(self, cluster: TempCluster) -> None:
        self.cluster = cluster
        self._numbers = itertools.count(1)
        template = open_database(cluster.create_database(TEMPLATE_DB), pool_size=1, max_overflow=0)
        upgrade(template.engine)
        template.dispose()

    def new_url(self) -> str:
        """A fresh, migrated database (a copy of the template: no migrations to run again)."""
        name = f"glutemed_web_{next(self._numbers)}"
        admin = open_database(self.cluster.url("postgres"), pool_size=1, max_overflow=0)
        try:
            with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
        finally:
            admin.dispose()
        return self.cluster.url(name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``database_kind``: both databases for the modules in BOTH_DATABASES, SQLite for the others."""
    if "database_kind" in metafunc.fixturenames:
        module = metafunc.module.__name__.rsplit(".", 1)[-1]
        kinds = ["sqlite", "postgresql"] if module in BOTH_DATABASES else ["sqlite"]
        metafunc.parametrize("database_kind", kinds, scope="session")


@pytest.fixture(scope="session")
def postgres_clinics() -> Iterator[PostgresClinics]:
    """A running PostgreSQL cluster for this test session (stopped and removed afterwards)."""
    try:
        cluster = TempCluster.start(max_connections=60)
    except PostgresMissingError as exc:
        reason = f"{exc}; `make test` installs it"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with cluster:
        yield PostgresClinics(cluster)


def _database_url(request: pytest.FixtureRequest, kind: str, tmp: Path) -> str | None:
    if kind == "sqlite":
        return None
    clinics: PostgresClinics = request.getfixturevalue("postgres_clinics")
    return clinics.new_url()


def make_app(tmp: Path, database_url: str | None = None, **settings: Any) -> tuple[Any, Database]:
    """The app on a migrated database: SQLite in ``tmp`` unless ``database_url`` names an (already migrated)
    PostgreSQL database."""
    database = open_database(database_url or f"sqlite:///{tmp / 'glutemed.db'}", pool_size=5, max_overflow=5)
    if database_url is None:
        upgrade(database.engine)
    options: dict[str, Any] = {"data_dir": tmp, "secret_key": "test-secret-key-" + "x" * 20, **settings}
    return create_app(WebSettings(**options), database=database), database


def _users(world: World) -> None:
    with world.database.write() as s:
        c1 = accounts.create_clinic(s, "Clinic one")
        c2 = accounts.create_clinic(s, "Clinic two")
        a = records.create_runner(s, clinic_id=c1.id, name="Alice Aardvark")
        b = records.create_runner(s, clinic_id=c1.id, name="Bob Beaver")
        c = records.create_runner(s, clinic_id=c2.id, name="Carol Cormorant")
        accounts.create_user(s, email="admin@t.test", display_name="Admin", password=PASSWORD, role="admin")
        accounts.create_user(
            s,
            email="clin1@t.test",
            display_name="Clin One",
            password=PASSWORD,
            role="clinician",
            clinic_id=c1.id,
        )
        accounts.create_user(
            s,
            email="clin2@t.test",
            display_name="Clin Two",
            password=PASSWORD,
            role="clinician",
            clinic_id=c2.id,
        )
        for runner, who in ((a, "a"), (b, "b"), (c, "c")):
            accounts.create_user(
                s,
                email=f"runner{who}@t.test",
                display_name=f"Runner {who}",
                password=PASSWORD,
                role="runner",
                runner_id=runner.id,
            )
        world.ids |= {"clinic1": c1.id, "clinic2": c2.id, "A": a.id, "B": b.id, "C": c.id}


def _intake_form(intake: dict[str, Any]) -> dict[str, Any]:
    """The demo intake as the web form posts it."""
    runner, running = intake["runner"], intake["running"]
    return {
        "name": intake.get("name") or "",
        "runner.age_years": runner["age_years"],
        "runner.sex": runner["sex"],
        "runner.height_cm": runner["height_cm"],
        "runner.mass_kg": runner["mass_kg"],
        "running.km_per_week": running["km_per_week"],
        "running.sessions_per_week": running["sessions_per_week"],
        "running.minutes_per_week": running["minutes_per_week"],
        "symptoms.regions": intake["symptoms"]["regions"],
        "symptoms.side": intake["symptoms"]["side"] or "",
        "symptoms.pain_running_0_10": intake["symptoms"]["pain_running_0_10"],
        "availability.equipment": intake["availability"]["equipment"],
        "availability.sessions_per_week": intake["availability"]["sessions_per_week"],
        "availability.minutes_per_session": intake["availability"]["minutes_per_session"],
        "recent_changes.distance.change_pct": 35,
        "recent_changes.distance.weeks_ago": 2,
    }


def demo_intake_form() -> dict[str, Any]:
    return _intake_form(load_intake(demo_dir() / DEMO_INTAKE).model_dump(mode="json"))


def build_world(tmp: Path, database_url: str | None = None) -> World:
    app, database = make_app(tmp, database_url)
    world = World(app, database, tmp)
    _users(world)
    for name, email in (
        ("anonymous", ""),
        ("runnerA", "runnera@t.test"),
        ("runnerB", "runnerb@t.test"),
        ("clin1", "clin1@t.test"),
        ("clin2", "clin2@t.test"),
        ("admin", "admin@t.test"),
    ):
        browser = Browser(app, name)
        if email:
            browser.sign_in(email)
        else:
            browser.refresh_csrf()
        world.browsers[name] = browser
    clin1, clin2 = world.browsers["clin1"], world.browsers["clin2"]
    a, c = world.ids["A"], world.ids["C"]
    assert clin1.post(f"/runners/{a}/intake", demo_intake_form()).status_code == 303
    assert clin1.post(f"/runners/{world.ids['B']}/intake", demo_intake_form()).status_code == 303
    assert clin2.post(f"/runners/{c}/intake", demo_intake_form()).status_code == 303
    r = clin1.upload(
        f"/runners/{a}/uploads/gait",
        [("files", ("run.pose.json", POSE_JSON.read_bytes(), "application/json"))],
        {"view": "side"},
    )
    assert r.status_code == 303, r.text[:800]
    r = clin1.upload(
        f"/runners/{a}/uploads/load",
        [("file", ("run.fit", FIT_RUN.read_bytes(), "application/octet-stream"))],
    )
    assert r.status_code == 303, r.text[:800]
    world.run_jobs()
    with database.session() as s:
        failed = [(j.id, j.kind, j.error) for j in queue.list_jobs(s, states=["failed"])]
        assert not failed, failed
        programs = records.list_programs(s, a)
        gait = records.latest_gait_result(s, a)
        assert gait is not None
        assert programs
        world.ids["assessmentA"] = gait.id
        world.ids["programA_draft"] = programs[0].id
        world.ids["programA_published"] = programs[-1].id
        world.ids["jobA"] = gait.job_id or 0
        world.ids["loadA"] = records.list_load_reports(s, a)[0].id
        world.ids["uploadA"] = records.list_uploads(s, a)[0].id
        world.ids["assessmentC"] = records.list_assessments(s, c)[0].id
        world.ids["programC"] = records.list_programs(s, c)[0].id
        world.ids["jobC"] = queue.list_jobs(s, runner_id=c)[0].id
        world.ids["assessmentA_without_gait"] = min(x.id for x in records.list_assessments(s, a))
    assert world.ids["programA_draft"] != world.ids["programA_published"]
    assert (
        clin1.post(f"/programs/{world.ids['programA_published']}/review", {"action": "publish"}).status_code
        == 303
    )
    return world


@pytest.fixture(scope="session")
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, database_kind: str
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"clinic-{database_kind}")
    w = build_world(tmp, _database_url(request, database_kind, tmp))
    yield w
    for browser in w.browsers.values():
        browser.client.close()
    w.database.dispose()


@pytest.fixture
def fresh(request: pytest.FixtureRequest, tmp_path: Path, database_kind: str) -> Iterator[World]:
    """A small clinic of its own (clinician of clinic 1 and runner A only), for tests that change things."""
    app, database = make_app(
        tmp_path, _database_url(request, database_kind, tmp_path), max_upload_bytes=1024 * 1024
    )
    w = World(app, database, tmp_path)
    _users(w)
    browser = Browser(app, "clin1")
    browser.sign_in("clin1@t.test")
    w.browsers["clin1"] = browser
    yield w
    browser.client.close()
    database.dispose()


__all__ = ["Assessment", "Browser", "World", "csrf_of", "demo_intake_form", "make_app"]
