"""The job queue on SQLite and PostgreSQL: claim order, leases and fencing, lost workers, retry, and two
worker processes claiming at once never take the same job."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from glutemed import db
from glutemed.db import queue
from glutemed.db.queue import LeaseLostError

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


def _enqueue(database: db.Database, runner_id: int, n: int = 1, **kw: object) -> list[int]:
    with database.session() as s:
        return [
            queue.enqueue(s, kind="analyze", runner_id=runner_id, payload={"n": i}, **kw).id for i in range(n)
        ]


def test_claims_take_the_oldest_job_and_finish_writes_the_result(
    database: db.Database, runner_id: int
) -> None:
    first, second = _enqueue(database, runner_id, 2)
    held = queue.claim(database, "w1", lease=LEASE)
    assert held is not None
    assert (held.job_id, held.attempt, held.payload) == (first, 1, {"n": 0})
    assert queue.heartbeat(database, held, lease=LEASE, progress={"stage": "pose", "frames_done": 3})
    with database.session() as s:
        job = queue.get_job(s, first)
        assert job is not None
        assert job.state == "running"
        assert job.worker_id == "w1"
        assert job.progress == {"stage": "pose", "frames_done": 3}
        assert job.started_at is not None
    with database.write() as s:
        queue.finish(s, held, {"assessment_id": None})
    with database.session() as s:
        job = queue.get_job(s, first)
        assert job is not None
        assert job.state == "done"
        assert job.result == {"assessment_id": None}
        assert job.lease_until is None
        assert job.finished_at is not None
        assert queue.get_job(s, first, runner_id=runner_id + 1) is None  # another runner's id reads nothing
    nxt = queue.claim(database, "w1", lease=LEASE)
    assert nxt is not None
    assert nxt.job_id == second
    assert queue.claim(database, "w2", lease=LEASE) is None


def test_an_expired_lease_passes_the_job_on_and_fences_the_old_worker(
    database: db.Database, runner_id: int
) -> None:
    (job_id,) = _enqueue(database, runner_id)
    old = queue.claim(database, "dead", lease=LEASE, now=T0)
    assert old is not None
    assert queue.claim(database, "other", lease=LEASE, now=T0 + LEASE / 2) is None  # still held
    new = queue.claim(database, "other", lease=LEASE, now=T0 + LEASE + dt.timedelta(seconds=1))
    assert new is not None
    assert (new.job_id, new.attempt) == (job_id, 2)
    assert not queue.heartbeat(database, old, lease=LEASE)
    assert not queue.fail(database, old, "late failure")

    def late_result() -> None:
        with database.write() as s:
            db.add_program(s, runner_id=runner_id, data={"late": True})
            queue.finish(s, old, {"by": "dead"})

    with pytest.raises(LeaseLostError):
        late_result()
    with database.write() as s:
        queue.finish(s, new, {"by": "other"})
    with database.session() as s:
        job = queue.get_job(s, job_id)
        assert job is not None
        assert (job.state, job.result, job.attempts) == ("done", {"by": "other"}, 2)
        assert db.list_programs(s, runner_id) == []  # the lost attempt's rows rolled back with it


def test_a_job_whose_worker_keeps_dying_fails_with_the_reason_and_can_be_retried(
    database: db.Database, runner_id: int
) -> None:
    (job_id,) = _enqueue(database, runner_id, max_attempts=2)
    later = T0
    for _ in range(2):
        assert queue.claim(database, "crashy", lease=LEASE, now=later) is not None
        later += LEASE + dt.timedelta(seconds=1)
    assert queue.claim(database, "next", lease=LEASE, now=later) is None
    with database.session() as s:
        job = queue.get_job(s, job_id)
        assert job is not None
        assert job.state == "failed"
        assert job.error == queue.LOST_WORKER
        assert queue.count_by_state(s) == {"failed": 1}
    with database.write() as s:
        assert queue.retry(s, job_id)
        assert not queue.retry(s, job_id)  # only a failed job is queued again
    again = queue.claim(database, "next", lease=LEASE, now=later)
    assert again is not None
    assert again.attempt == 3
    assert queue.fail(database, again, "the file is not a video")
    with database.session() as s:
        job = queue.get_job(s, job_id)
        assert job is not None
        assert (job.state, job.error) == ("failed", "the file is not a video")


def test_jobs_are_listed_per_clinic_and_state(database: db.Database, runner_id: int) -> None:
    with database.session() as s:
        other_clinic = db.create_clinic(s, "Clinic 2")
        other = db.create_runner(s, clinic_id=other_clinic.id, name="Ben")
        clinic_of_runner = db.get_runner(s, runner_id)
        assert clinic_of_runner is not None
        mine = queue.enqueue(s, kind="analyze", runner_id=runner_id).id
        theirs = queue.enqueue(s, kind="load", runner_id=other.id, payload={"upload_id": 1}).id
        with pytest.raises(ValueError, match="job kind"):
            queue.enqueue(s, kind="mine-bitcoin", runner_id=runner_id)
    with database.session() as s:
        assert [j.id for j in queue.list_jobs(s, clinic_id=clinic_of_runner.clinic_id)] == [mine]
        assert [j.id for j in queue.list_jobs(s, clinic_id=other_clinic.id, states=queue.OPEN_STATES)] == [
            theirs
        ]
        assert [j.id for j in queue.list_jobs(s, runner_id=other.id, states=["done"])] == []
    held = queue.claim(database, "w", kinds=["load"])
    assert held is not None
    assert held.job_id == theirs


CLAIMER = """
import json, sys, time
from glutemed import db
from glutemed.db import queue
database = db.open_database(sys.argv[1], pool_size=1, max_overflow=0)
claimed = []
queue.claim(database, "warm-up", kinds=["assess"])  # connect and compile before the clock starts
started = time.perf_counter()
while True:
    held = queue.claim(database, sys.argv[2])
    if held is None:
        break
    with database.write() as s:
        queue.finish(s, held, {"by": sys.argv[2]})
    claimed.append(held.job_id)
print(json.dumps({"claimed": claimed, "seconds": time.perf_counter() - started}))
"""


@pytest.mark.slow
def test_two_worker_processes_never_claim_the_same_job(database: db.Database, runner_id: int) -> None:
    n_jobs = 150
    ids = _enqueue(database, runner_id, n_jobs)
    url = database.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, url, f"w{i}"], stdout=subprocess.PIPE, text=True)
        for i in range(2)
    ]
    outputs = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    claimed = [out["claimed"] for out in outputs]
    every = sorted(claimed[0] + claimed[1])
    assert every == ids  # each job claimed exactly once, none lost
    assert claimed[0]
    assert claimed[1]  # both workers took part
    with database.session() as s:
        assert queue.count_by_state(s) == {"done": n_jobs}
        by = {job.id: (job.result or {}).get("by") for job in queue.list_jobs(s, limit=n_jobs)}
    assert all(by[j] == "w0" for j in claimed[0])
    assert all(by[j] == "w1" for j in claimed[1])
    seconds = max(out["seconds"] for out in outputs)
    print(
        f"\n{database.engine.dialect.name}: {n_jobs} claim+finish transactions by 2 processes in {seconds:.2f} s "
        f"({n_jobs / seconds:.0f} jobs/s); split {len(claimed[0])}/{len(claimed[1])}"
    )
