"""`glutemed serve`: the clinic web app under uvicorn, with one job worker in the same process."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Annotated

import typer

from glutemed.cli.common import console, err_console, fail


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
) -> None:
    """Serve the clinic web app (http://HOST:PORT). Migrates the database to the newest schema, seeds a demo
    clinic into an empty database and prints its logins, and runs one job worker unless --no-worker."""
    import uvicorn

    from glutemed.db import FileStore, open_database, upgrade
    from glutemed.services.jobs import Worker
    from glutemed.web.app import create_app
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
    worker = Worker(database, store)
    if not no_demo and is_empty(database):
        err_console.print(
            "empty database: seeding the demo clinic and analysing the demo video (about a minute)"
        )
        logins = seed_demo(database, store, run_job=worker.run_once)
        path = write_logins(settings.data_dir, logins)
        console.print("[bold]Demo logins[/] (also in " + str(path) + "):")
        for login in logins:
            console.print(f"  {login.role:<10} {login.email}  password: {login.password}", highlight=False)
    thread = None
    if not no_worker:
        thread = threading.Thread(target=worker.run, name="glutemed-worker", daemon=True)
        thread.start()
    app = create_app(settings, database=database)
    console.print(f"glutemed at http://{host}:{port}  (API docs at /docs)", highlight=False)
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", proxy_headers=True)
    finally:
        worker.stop_event.set()
        if thread is not None:
            thread.join(timeout=30)
        database.dispose()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
