"""`glutemed serve --workers`: how many web processes, from the database and the CPU cores."""

from __future__ import annotations

import os

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
