"""The demo clinic a first start on an empty database seeds, so a newcomer sees the product at once.

A demo clinic with a clinician and two runners. The first runner's intake is the bundled demo intake and their
bundled side-view video (``glutemed/demo/male_side.mp4``) is uploaded and analysed by the job queue like any
upload, so the assessment, report, overlay video and draft program are there when the server starts answering.

The second runner is three weeks into a published program: their program is made by the job queue from the
same intake (an ``assess`` job), published three weeks before today, and three weeks of exercise sessions
ending yesterday are logged through the runner portal (:func:`glutemed.services.portal.log_session` and
:func:`~glutemed.services.portal.log_morning`), so every stored decision is the real progression engine's. The
logs are made to show its rules (:data:`DEMO_WEEKS`): every set at the top of the range with low pain earns
"progress"; next-morning pain and stiffness rising in the third week hold the exercises there.

The passwords are random, printed once and kept in ``demo-logins.txt`` (mode 0600) in the data folder.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from glutemed.db import accounts, queue, records
from glutemed.db.engine import Database
from glutemed.db.models import User
from glutemed.db.storage import FileStore
from glutemed.knowledge.loader import knowledge_base
from glutemed.services import portal
from glutemed.services.demo import DEMO_INTAKE, DEMO_VIDEO, demo_dir
from glutemed.services.intake_schema import ExerciseLogIn, SessionIn, SetIn, load_intake
from glutemed.services.program import targets

CLINIC = "Demo clinic"
LOGGING_RUNNER = "Demo runner, three weeks in"
LOGGING_EMAIL = "logging.runner@demo.glutemed.invalid"
DEMO_DAYS = 21  # three weeks of logs, ending yesterday
# (pain during the sets, next-morning pain, next-morning stiffness), all 0-10. The runner's everyday pain (the
# baseline) is 2/10, so every morning answer settles to it. In the last calendar week with two or more sessions
# (the pain trend's weeks are calendar weeks) the morning answers rise by more than the trend rule's margin over
# the week before, which caps the decisions at "hold"; before it, every session earns "progress".
BASELINE_PAIN = 2.0
CALM = (1.0, 1.0, 1.0)
RISING = (2.0, 2.0, 3.0)


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str
    note: str = ""  # which demo account this is, when a role has two


def is_empty(database: Database) -> bool:
    with database.session() as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0) == 0


def seed_demo(
    database: Database,
    store: FileStore,
    *,
    run_job: Callable[[], object] | None = None,
    today: dt.date | None = None,
) -> list[Login]:
    """Seed the demo clinic (the caller checked the database is empty).

    ``run_job`` runs one queued job and returns None when none is left (``Worker.run_once``); with it the
    analysis and the logging runner's program are made and that runner's three weeks are logged up to the day
    before ``today``. Without it the jobs stay queued and nothing is logged.
    """
    logins = [
        Login("admin", "admin@demo.glutemed.invalid", secrets.token_urlsafe(12)),
        Login("clinician", "clinician@demo.glutemed.invalid", secrets.token_urlsafe(12)),
        Login("runner", "runner@demo.glutemed.invalid", secrets.token_urlsafe(12), "just assessed"),
        Login("runner", LOGGING_EMAIL, secrets.token_urlsafe(12), "three weeks of logs"),
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
        logging_runner = records.create_runner(s, clinic_id=clinic.id, name=LOGGING_RUNNER)
        logging_user = accounts.create_user(
            s,
            email=logins[3].email,
            display_name=LOGGING_RUNNER,
            password=logins[3].password,
            role="runner",
            runner_id=logging_runner.id,
        )
        records.add_intake(
            s, logging_runner.id, intake.model_dump(mode="json", exclude_none=True), created_by=clinician.id
        )
        queue.enqueue(s, kind="assess", runner_id=logging_runner.id, created_by=clinician.id, payload={})
        ids = (logging_runner.id, clinician.id, logging_user.id)
    if run_job is not None:
        while run_job() is not None:  # every queued job: the analysis, then the logging runner's program
            pass
        seed_logbook(database, *ids, today=today or dt.date.today())
    return logins


def _session(cards: tuple[portal.ExerciseCard, ...], day: dt.date, pain: float) -> SessionIn:
    """Every set of every exercise at the top of the exercise's range, at the dose the portal shows."""
    tops = targets(knowledge_base())
    exercises = []
    for card in cards:
        target = tops[card.exercise_id]
        reps = target.reps_range[1] if target.reps_range else None
        hold = target.hold_s_range[1] if target.hold_s_range else None
        one = SetIn(reps=reps, hold_s=hold, load_kg=card.load_kg, pain_during_0_10=pain)
        exercises.append(
            ExerciseLogIn(exercise=card.exercise_id, sets=[one] * card.sets, baseline_pain_0_10=BASELINE_PAIN)
        )
    return SessionIn(date=day.isoformat(), exercises=exercises)


def seed_logbook(
    database: Database, runner_id: int, clinician_id: int, user_id: int, *, today: dt.date
) -> int:
    """Publish the runner's program three weeks back and log its sessions up to yesterday; sessions logged.

    Nothing is logged when the runner has no program (its job did not run).
    """
    start = today - dt.timedelta(days=DEMO_DAYS)
    with database.write() as s:
        programs = records.list_programs(s, runner_id)
        if not programs or programs[0].data.get("stopped"):
            return 0
        program = programs[0]
        records.publish_program(s, program, by=clinician_id)
        program.published_at = dt.datetime.combine(start, dt.time(9, 0), tzinfo=dt.UTC)
        days = [start + dt.timedelta(days=n) for n in range(DEMO_DAYS)]
        days = [day for day in days if portal.today(s, runner_id, day).kind == "session"]
    rising_from = _rising_week(days)
    for day in days:
        pain, morning, stiffness = RISING if day >= rising_from else CALM
        with database.write() as s:
            cards = portal.today(s, runner_id, day).exercises  # the dose after the decisions so far
            result = portal.log_session(
                s,
                runner_id,
                _session(cards, day, pain),
                client_key=f"demo-{day.isoformat()}",
                created_by=user_id,
            )
            portal.log_morning(s, runner_id, result.log.id, pain_0_10=morning, stiffness_0_10=stiffness)
    return len(days)


def _rising_week(days: list[dt.date]) -> dt.date:
    """The Monday of the last calendar week holding two or more of ``days``."""
    mondays = [day - dt.timedelta(days=day.weekday()) for day in days]
    full = [monday for monday in mondays if mondays.count(monday) >= 2]
    return max(full) if full else dt.date.max


def write_logins(data_dir: Path, logins: list[Login]) -> Path:
    path = data_dir / "demo-logins.txt"
    text = "".join(f"{login.role:<10} {login.email}  {login.password}  {login.note}\n" for login in logins)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return path
