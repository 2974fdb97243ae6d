"""`glutemed serve`: the clinic web app under uvicorn, with one job worker in the same process."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from glutemed.cli.common import console, err_console, fail

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from glutemed.db import Database
    from glutemed.web.settings import WebSettings


def serve_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB (default: GLUTEMED_DATABASE_URL, "
            "else glutemed.db in the data folder).",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder for the database, uploads and job outputs (default: GLUTEMED_DATA_DIR).",
        ),
    ] = None,
    no_worker: Annotated[
        bool,
        typer.Option("--no-worker", help="Do not run a job worker in this process (run `glutemed worker`)."),
    ] = False,
    no_demo: Annotated[
        bool, typer.Option("--no-demo", help="Do not seed the demo clinic into an empty database.")
    ] = False,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="Mark cookies Secure (serve behind an HTTPS proxy).")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Web server processes (default: one per CPU core, at most 4; always 1 for an in-memory SQLite).",
        ),
    ] = None,
) -> None:
    """Serve the clinic web app (http://HOST:PORT). Migrates the database to the newest schema, seeds a demo
    clinic into an empty database and prints its logins, and runs one job worker unless --no-worker. Several web
    processes (--workers) share the database; the job worker runs in this, the supervising, process."""
    from glutemed.db import FileStore, open_database, upgrade
    from glutemed.services.jobs import DaskUnavailableError, Worker
    from glutemed.web.seed import is_empty, seed_demo, write_logins
    from glutemed.web.settings import WebSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    overrides: dict[str, object] = {"secure_cookies": True} if secure_cookies else {}
    if database_url:
        overrides["database_url"] = database_url
    if data_dir:
        overrides["data_dir"] = data_dir
    settings = WebSettings(**overrides)  # type: ignore[arg-type]
    try:
        database = open_database(settings.database_url or None, data_folder=settings.data_dir)
    except ValueError as exc:
        fail(str(exc))
    revision = upgrade(database.engine)
    where = database.url.render_as_string(hide_password=True)
    err_console.print(f"database {where} at migration {revision}; files in {settings.data_dir}")
    store = FileStore(settings.data_dir)
    # GLUTEMED_DASK_SCHEDULER sends the built-in worker's pose estimation to a Dask cluster, as `glutemed worker`
    worker = Worker(database, store, dask_scheduler=os.environ.get("GLUTEMED_DASK_SCHEDULER") or None)
    try:
        dask_client = None if no_worker else worker.connect_dask()
    except DaskUnavailableError as exc:
        database.dispose()
        fail(f"GLUTEMED_DASK_SCHEDULER: {exc}")
    if dask_client is not None:
        err_console.print(
            f"pose estimation goes to the Dask scheduler at {dask_client.scheduler_info()['address']}"
        )
    if not no_demo and is_empty(database):
        err_console.print(
            "empty database: seeding the demo clinic and analysing the demo video (about a minute)"
        )
        logins = seed_demo(database, store, run_job=worker.run_once)
        path = write_logins(settings.data_dir, logins)
        console.print("[bold]Demo logins[/] (also in " + str(path) + "):")
        for login in logins:
            note = f"  ({login.note})" if login.note else ""
            console.print(
                f"  {login.role:<10} {login.email}  password: {login.password}{note}", highlight=False
            )
    thread = None
    if not no_worker:
        thread = threading.Thread(target=worker.run, name="glutemed-worker", daemon=True)
        thread.start()
    processes = web_processes(database.url, workers)
    console.print(
        f"glutemed at http://{host}:{port}  (API docs at /docs; {processes} web process"
        f"{'es' if processes > 1 else ''})",
        highlight=False,
    )
    try:
        _run_uvicorn(settings, database, host=host, port=port, processes=processes)
    finally:
        worker.stop_event.set()
        if thread is not None:
            thread.join(timeout=30)
        worker.close()
        database.dispose()


def _run_uvicorn(settings: WebSettings, database: Database, *, host: str, port: int, processes: int) -> None:
    import uvicorn

    from glutemed.web.app import create_app

    if processes == 1:
        app = create_app(settings, database=database)
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)
        return
    # each process builds its own app (and connection pool) from the environment set here; the key that signs
    # the session cookies is made once now, so every process accepts the others' cookies
    settings.effective_secret_key()
    os.environ["GLUTEMED_DATABASE_URL"] = database.url.render_as_string(hide_password=False)
    os.environ["GLUTEMED_DATA_DIR"] = str(settings.data_dir)
    if settings.secure_cookies:
        os.environ["GLUTEMED_SECURE_COOKIES"] = "true"
    uvicorn.run(
        "glutemed.web.app:create_app",
        factory=True,
        workers=processes,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=True,
    )


MAX_DEFAULT_PROCESSES = 4  # each process keeps its own pool of up to 20 database connections


def web_processes(url: URL, asked: int | None) -> int:
    """How many uvicorn processes to run: ``asked``, else one per CPU core this process may use (at most
    :data:`MAX_DEFAULT_PROCESSES`). An in-memory SQLite database lives in one process, so it gets one; a
    SQLite file is opened in WAL mode (``db/engine.py``), where readers in several processes do not block each
    other and writers wait their turn."""
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return 1
    if asked is not None:
        return asked
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_DEFAULT_PROCESSES))


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
