"""The queue under load: several worker processes (four on PostgreSQL, two on SQLite) claim and finish 200
queued jobs through the real Worker (claim, lease, heartbeat, fence, finishing transaction), one of them is
killed with SIGKILL in the middle of a job, and still every job completes exactly once.

The job body is registered through the worker's public ``handlers`` hook: it records that it started (a line
in a shared file), hashes its payload (PBKDF2, about a millisecond of real work), writes the digest into the
job's folder and, in the finishing transaction, a row into an ``executions`` table made for this test. A
job that completes twice would show as two rows; one that is lost would leave the job not done.
"""

from __future__ import annotations

import collections
import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select

from glutemed import db
from glutemed.db import queue

N_JOBS = 200
ITERATIONS = 2_000  # PBKDF2 rounds per job: about a millisecond of CPU (the queue is what is measured)
EXECUTIONS = MetaData()
Table(
    "executions",
    EXECUTIONS,
    Column("id", Integer, primary_key=True),
    Column("job_id", Integer, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("worker", String(40), nullable=False),
    Column("digest", String(64), nullable=False),
)


def digest_of(n: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", f"job {n}".encode(), b"glutemed-load", ITERATIONS).hex()


WORKER = f"""
import datetime as dt, hashlib, os, sys, time
from pathlib import Path
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from glutemed import db
from glutemed.db import queue
from glutemed.io.atomic import atomic_write_text
from glutemed.services.jobs import Outcome, Worker

url, data, name = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
executions = Table(
    "executions", MetaData(), Column("id", Integer, primary_key=True), Column("job_id", Integer),
    Column("attempt", Integer), Column("worker", String(40)), Column("digest", String(64)),
)
log = os.open(data / "started.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT)

def work(ctx):
    held = ctx.held
    hold = data / f"hold-{{name}}"
    os.write(log, f"{{held.job_id}} {{held.attempt}} {{name}} {{'held' if hold.exists() else 'run'}}\\n".encode())
    while hold.exists():  # the test kills this worker here, in the middle of the job
        time.sleep(0.05)
    ctx.report("hashing")
    n = held.payload["n"]
    digest = hashlib.pbkdf2_hmac("sha256", f"job {{n}}".encode(), b"glutemed-load", {ITERATIONS}).hex()
    path = atomic_write_text(ctx.out_dir / "digest.txt", digest + "\\n")

    def store(s):
        s.execute(insert(executions).values(job_id=held.job_id, attempt=held.attempt, worker=name, digest=digest))
        return {{"digest": digest, "file": ctx.rel(path)}}

    return Outcome(store=store, summary={{"worker": name}})

database = db.open_database(url, pool_size=2, max_overflow=2)
worker = Worker(
    database, db.FileStore(data), worker_id=name, lease=dt.timedelta(seconds=3), poll_s=0.1,
    handlers={{"assess": work}},
)
queue.claim(database, "warm-up", kinds=["load"])  # connected and compiled before the start
(data / f"ready-{{name}}").touch()
while not (data / "go").exists():
    time.sleep(0.02)
ran = 0
while True:
    if worker.run_once() is not None:
        ran += 1
        continue
    with database.session() as s:
        counts = queue.count_by_state(s)
    if not counts.get("queued") and not counts.get("running"):
        break  # nothing left, not even a job whose dead worker's lease has yet to expire
    time.sleep(0.1)
print(ran)
"""


def _wait(condition: Any, what: str, procs: list[subprocess.Popen[str]], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for proc in procs:
            if proc.poll() is not None and proc.returncode != -signal.SIGKILL:
                pytest.fail(f"a worker ended early ({proc.returncode}) while waiting for {what}")
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _run_workers(database: db.Database, data: Path, n_workers: int) -> tuple[int, list[str], float]:
    """Start the workers together, SIGKILL w0 inside a job once a quarter of the jobs are done, wait for the
    others to finish the queue. Returns the killed worker's job, the others' outputs and the seconds taken."""
    data.mkdir(parents=True, exist_ok=True)
    url = database.url.render_as_string(hide_password=False)
    names = [f"w{i}" for i in range(n_workers)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, url, str(data), name],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    victim, log = procs[0], data / "started.log"
    try:
        _wait(lambda: all((data / f"ready-{n}").exists() for n in names), "the workers to start", procs)
        started = time.perf_counter()
        (data / "go").touch()

        def done() -> int:
            with database.session() as s:
                return queue.count_by_state(s).get("done", 0)

        _wait(lambda: done() >= N_JOBS // 4, "a quarter of the jobs", procs)
        (data / "hold-w0").touch()  # w0's next job stops inside its handler
        held_line: list[str] = []

        def w0_holds() -> bool:
            held_line[:] = [ln for ln in log.read_text().splitlines() if ln.endswith("w0 held")]
            return bool(held_line)

        _wait(w0_holds, "w0 to start a job", procs)
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        outputs = [p.communicate(timeout=240) for p in procs[1:]]
        seconds = time.perf_counter() - started
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert victim.returncode == -signal.SIGKILL
    assert [p.returncode for p in procs[1:]] == [0] * (n_workers - 1), [err for _out, err in outputs]
    return int(held_line[0].split()[0]), [out for out, _err in outputs], seconds


@pytest.mark.slow
def test_worker_processes_finish_every_job_exactly_once_when_one_is_killed_mid_job(
    database: db.Database, runner_id: int, store: db.FileStore
) -> None:
    n_workers = 4 if database.engine.dialect.name == "postgresql" else 2
    EXECUTIONS.create_all(database.engine)
    with database.session() as s:
        by_n = {
            queue.enqueue(s, kind="assess", runner_id=runner_id, payload={"n": n}).id: n
            for n in range(N_JOBS)
        }
    lost_job, outputs, seconds = _run_workers(database, store.root, n_workers)

    with database.session() as s:
        jobs = {job.id: job for job in queue.list_jobs(s, limit=N_JOBS + 1)}
        rows = s.execute(select(EXECUTIONS.tables["executions"])).mappings().all()
    assert len(jobs) == N_JOBS
    assert {job.state for job in jobs.values()} == {"done"}, collections.Counter(
        j.state for j in jobs.values()
    )
    completed = collections.Counter(row["job_id"] for row in rows)
    assert sorted(completed) == sorted(by_n)  # none lost
    assert set(completed.values()) == {1}  # none completed twice

    # the killed worker's job: started by w0, then finished by another worker on the next attempt
    (lost_row,) = [row for row in rows if row["job_id"] == lost_job]
    assert lost_row["worker"] != "w0"
    assert lost_row["attempt"] == jobs[lost_job].attempts == 2
    assert not store.resolve(f"jobs/{lost_job}/1").exists()  # the dead attempt's folder was cleared
    log = store.root / "started.log"
    starts = collections.Counter(int(line.split()[0]) for line in log.read_text().splitlines())
    assert starts[lost_job] == 2

    # each result is its own job's work, written by the worker that completed it
    for job_id, job in jobs.items():
        result = job.result or {}
        assert result["digest"] == digest_of(by_n[job_id])
        assert store.resolve(result["file"]).read_text().strip() == result["digest"]
    by_worker = collections.Counter(row["worker"] for row in rows)
    every_worker = {f"w{i}" for i in range(n_workers)}
    assert set(by_worker) == every_worker  # every worker took part (w0 before it was killed)
    ran = {f"w{i}": int(out.strip()) for i, out in enumerate(outputs, start=1)}
    assert all(by_worker[name] <= n for name, n in ran.items())  # ran: claimed and run, fenced or not
    print(
        f"\n{database.engine.dialect.name}: {N_JOBS} jobs by {n_workers} worker processes in {seconds:.1f} s, "
        f"one killed mid-job (job {lost_job}, done on attempt 2); "
        f"completed per worker {json.dumps(dict(sorted(by_worker.items())))}; "
        f"jobs started more than once: {sum(1 for n in starts.values() if n > 1)}"
    )
