"""Commands for running the clinic app: `glutemed db upgrade`, `glutemed admin create-user`, `glutemed worker`."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from glutemed.cli.common import console, err_console, fail

DatabaseOpt = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB (default: GLUTEMED_DATABASE_URL, "
        "else glutemed.db in the data folder).",
    ),
]
DataDirOpt = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder for uploads and job outputs (default: GLUTEMED_DATA_DIR, else the user data folder).",
    ),
]

db_app = typer.Typer(name="db", help="The clinic database: migrations.", no_args_is_help=True)
admin_app = typer.Typer(name="admin", help="Accounts for the clinic app.", no_args_is_help=True)


def _open(database_url: str | None, data_dir: Path | None, *, pool_size: int = 5) -> Any:
    from glutemed.db import open_database

    try:
        return open_database(database_url, data_folder=data_dir, pool_size=pool_size, max_overflow=2)
    except ValueError as exc:
        fail(str(exc))


def _require_current(database: Any) -> None:
    from glutemed.db import current_revision, head_revision

    current = current_revision(database.engine)
    if current != head_revision():
        fail(
            f"the database at {database.url.render_as_string(hide_password=True)} is at migration "
            f"{current or 'none'}, not {head_revision()}: run `glutemed db upgrade` first"
        )


@db_app.command("upgrade")
def upgrade_command(database_url: DatabaseOpt = None, data_dir: DataDirOpt = None) -> None:
    """Create or update the tables (Alembic migrations, the same on SQLite and PostgreSQL)."""
    from glutemed.db import upgrade

    database = _open(database_url, data_dir)
    try:
        revision = upgrade(database.engine)
    finally:
        database.dispose()
    console.print(f"Database {database.url.render_as_string(hide_password=True)} is at migration {revision}.")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@admin_app.command("create-user")
def create_user_command(
    email: Annotated[str, typer.Option("--email", help="Sign-in email (unique).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    role: Annotated[str, typer.Option("--role", help="admin, clinician or runner.")],
    clinic: Annotated[
        str | None,
        typer.Option("--clinic", help="Clinic name (made when new) or id; needed for a clinician."),
    ] = None,
    runner: Annotated[
        int | None, typer.Option("--runner", help="Runner record id, for a runner user.")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Add a user (the first admin, a clinician); the password is prompted for, or read from stdin."""
    from sqlalchemy import select

    from glutemed import db

    password = _read_password(password_stdin)
    database = _open(database_url, data_dir)
    try:
        _require_current(database)
        with database.write() as s:
            clinic_id = None
            if clinic is not None:
                found = (
                    db.get_clinic(s, int(clinic))
                    if clinic.isdigit()
                    else s.scalar(select(db.Clinic).where(db.Clinic.name == clinic.strip()))
                )
                if found is None and clinic.isdigit():
                    fail(f"there is no clinic {clinic}")
                clinic_id = (found or db.create_clinic(s, clinic)).id
            try:
                user = db.create_user(
                    s,
                    email=email,
                    display_name=name,
                    password=password,
                    role=role,
                    clinic_id=clinic_id,
                    runner_id=runner,
                )
            except db.AccountError as exc:
                fail(str(exc))
            console.print(
                f"Created {user.role} {user.email} (user {user.id}, clinic {user.clinic_id or '-'})."
            )
    finally:
        database.dispose()


def worker_command(
    database_url: DatabaseOpt = None,
    data_dir: DataDirOpt = None,
    once: Annotated[bool, typer.Option("--once", help="Run the queued jobs, then exit.")] = False,
    lease_seconds: Annotated[
        float, typer.Option("--lease-seconds", min=1.0, help="How long a job is held without a heartbeat.")
    ] = 60.0,
    poll_seconds: Annotated[
        float, typer.Option("--poll-seconds", min=0.05, help="Wait between polls.")
    ] = 1.0,
    processes: Annotated[
        int,
        typer.Option(
            "--processes", min=0, help="Worker processes to run and keep running (0: one per CPU core)."
        ),
    ] = 1,
    dask_scheduler: Annotated[
        str | None,
        typer.Option(
            "--dask-scheduler",
            envvar="GLUTEMED_DASK_SCHEDULER",
            help="Send pose estimation to this Dask scheduler (tcp://HOST:8786), or 'local' for a "
            "LocalCluster of one worker process per core; its workers must see the data folder.",
        ),
    ] = None,
) -> None:
    """Run the clinic's queued jobs (analysis, training load, assessment), one per CPU core.

    SIGTERM or Ctrl-C lets the current job finish, then exits; a worker killed outright loses no job: its
    lease expires and another worker takes the job. With --processes, a worker process that dies is started
    again (unless --once). With --dask-scheduler the jobs stay in the database as before and the pose
    estimation of their videos runs on the Dask cluster.
    """
    from glutemed.services.jobs import DASK_LOCAL, DaskUnavailableError, Worker

    count = processes or os.cpu_count() or 1
    if count > 1:
        database = _open(database_url, data_dir, pool_size=1)
        try:
            _require_current(database)
        finally:
            database.dispose()
        forwarded = ["--lease-seconds", str(lease_seconds), "--poll-seconds", str(poll_seconds)]
        forwarded += ["--database-url", database_url] if database_url else []
        forwarded += ["--data-dir", str(data_dir)] if data_dir else []
        with contextlib.ExitStack() as stack:
            if dask_scheduler == DASK_LOCAL:  # one LocalCluster shared by the worker processes
                from glutemed.batch.runner import connect

                client = stack.enter_context(connect(None, None))
                dask_scheduler = str(client.scheduler_info()["address"])
            forwarded += ["--dask-scheduler", dask_scheduler] if dask_scheduler else []
            code = _supervise(count, [*forwarded, *(["--once"] if once else [])], once=once)
        raise typer.Exit(code)
    from glutemed.db import FileStore
    from glutemed.db import data_dir as default_data_dir

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    database = _open(database_url, data_dir, pool_size=2)
    worker: Worker | None = None
    try:
        _require_current(database)
        store = FileStore(default_data_dir(data_dir))
        worker = Worker(
            database,
            store,
            lease=dt.timedelta(seconds=lease_seconds),
            poll_s=poll_seconds,
            dask_scheduler=dask_scheduler,
        )
        try:
            dask_client = worker.connect_dask()
        except DaskUnavailableError as exc:
            fail(str(exc))
        if dask_client is not None:
            address = dask_client.scheduler_info()["address"]
            err_console.print(f"pose estimation goes to the Dask scheduler at {address}")

        def stop(signum: int, _frame: Any) -> None:
            err_console.print(f"signal {signum}: finishing the current job, then stopping")
            worker.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        err_console.print(f"worker {worker.worker_id} on {database.url.render_as_string(hide_password=True)}")
        count = worker.run(once=once)
        err_console.print(f"worker {worker.worker_id}: {count} job(s) run")
    finally:
        if worker is not None:
            worker.close()
        database.dispose()


def _supervise(count: int, args: list[str], *, once: bool) -> int:
    """Run ``count`` worker processes; start a new one for any that ends (not with ``once``), at most one
    start per slot every 5 s; SIGTERM/Ctrl-C reach them all and each finishes its job. Returns 0, or 1 when a
    worker of a ``--once`` run failed."""
    command = [sys.executable, "-m", "glutemed", "worker", "--processes", "1", *args]
    stopping = threading.Event()
    children = [subprocess.Popen(command) for _ in range(count)]
    started = [time.monotonic()] * count

    def stop(_signum: int, _frame: Any) -> None:
        stopping.set()
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    err_console.print(f"supervising {count} worker processes: {' '.join(str(c.pid) for c in children)}")
    while True:
        if stopping.is_set() or once:
            if all(child.poll() is not None for child in children):
                break
        else:
            for i, child in enumerate(children):
                if child.poll() is not None and time.monotonic() - started[i] >= 5.0:
                    err_console.print(
                        f"worker process {child.pid} ended ({child.returncode}); starting another"
                    )
                    children[i], started[i] = subprocess.Popen(command), time.monotonic()
        time.sleep(0.5)
    return 1 if once and any(child.returncode != 0 for child in children) else 0


def register(app: typer.Typer) -> None:
    app.add_typer(db_app)
    app.add_typer(admin_app)
    app.command("worker")(worker_command)
