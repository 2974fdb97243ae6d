"""`glutemed serve --workers`: how many web processes, from the database and the CPU cores."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import make_url

from glutemed.cli.serve import MAX_DEFAULT_PROCESSES, web_processes


def test_processes_follow_the_cores_and_the_database() -> None:
    cores = len(os.sched_getaffinity(0))
    postgres = make_url("postgresql+psycopg://u@h/clinic")
    sqlite_file = make_url("sqlite:////var/lib/glutemed/glutemed.db")
    assert web_processes(postgres, None) == max(1, min(cores, MAX_DEFAULT_PROCESSES))
    assert web_processes(sqlite_file, None) == max(1, min(cores, MAX_DEFAULT_PROCESSES))  # WAL: shared
    assert web_processes(postgres, 7) == 7  # asked for
    # an in-memory SQLite database exists in one process only
    assert web_processes(make_url("sqlite://"), 4) == 1
    assert web_processes(make_url("sqlite:///:memory:"), None) == 1


def test_serve_with_an_unreachable_dask_scheduler_stops_with_exit_2(tmp_path: Path) -> None:
    """GLUTEMED_DASK_SCHEDULER reaches the built-in worker too: a scheduler nobody answers is named and the server
    does not start (exit 2) rather than answering pages whose jobs would never run."""
    env = {
        **os.environ,
        "GLUTEMED_DASK_SCHEDULER": "tcp://127.0.0.1:9",  # the discard port: nobody listens
        "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s",
    }
    done = subprocess.run(
        [sys.executable, "-m", "glutemed", "serve", "--no-demo", "--data-dir", str(tmp_path), "--port", "9"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    text = " ".join(done.stderr.split())
    assert "GLUTEMED_DASK_SCHEDULER" in text
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in text
    assert "Traceback" not in done.stderr
