"""The job worker hands pose estimation to a real Dask LocalCluster: the database stays the source of truth
(claim, lease, fence), the stored result equals the in-process worker's, a failure on the cluster fails the
job like any other, and a worker that loses its lease while the cluster works drops the job."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client, LocalCluster

from glutemed import db
from glutemed.db import queue
from glutemed.db.models import utcnow
from glutemed.services.jobs import DASK_TOPIC, Worker

ROOT = Path(__file__).resolve().parents[2]
VIDEO = ROOT / "tests/data/video/vfr/male_side_vfr_drop.mp4"  # 218 frames, 360x640

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """One single-threaded Dask worker process, as `glutemed worker --dask-scheduler local` starts them."""
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as started:
        yield started


def _upload(database: db.Database, store: db.FileStore, runner_id: int, path: Path) -> int:
    stored = store.save_file(path)
    with database.session() as s:
        return db.add_upload(
            s,
            runner_id=runner_id,
            sha256=stored.sha256,
            original_name=path.name,
            kind="video",
            size_bytes=stored.size_bytes,
            storage_path=stored.relative_path,
        ).id


def _enqueue(database: db.Database, runner_id: int, upload: int) -> int:
    with database.session() as s:
        return queue.enqueue(
            s, kind="analyze", runner_id=runner_id, payload={"upload_ids": [upload], "report": False}
        ).id


def _job(database: db.Database, job_id: int) -> db.Job:
    with database.session() as s:
        job = queue.get_job(s, job_id)
        assert job is not None
        return job


def _gait(database: db.Database, job: db.Job) -> dict[str, Any]:
    with database.session() as s:
        row = db.get_assessment(s, (job.result or {})["assessment_id"])
        assert row is not None
        assert row.gait_result is not None
        return row.gait_result


def _comparable(gait: dict[str, Any]) -> dict[str, Any]:
    """What two analyses of the same video must share (times and job folders differ)."""
    return {
        "faults": gait["faults"],
        "missing_views": gait["missing_views"],
        "summaries": [r["summary"] for r in gait["recordings"]],
    }


def test_a_video_job_through_dask_stores_the_same_result_as_the_in_process_worker(
    database: db.Database, store: db.FileStore, runner_id: int, cluster: LocalCluster
) -> None:
    upload = _upload(database, store, runner_id, VIDEO)
    plain_id = _enqueue(database, runner_id, upload)
    assert Worker(database, store).run_once() == plain_id
    plain = _job(database, plain_id)
    assert plain.state == "done", plain.error

    dask_id = _enqueue(database, runner_id, upload)
    worker = Worker(database, store, lease=dt.timedelta(seconds=2), dask_scheduler=cluster.scheduler_address)
    worker.connect_dask()
    ran: list[int | None] = []
    thread = threading.Thread(target=lambda: ran.append(worker.run_once()))
    thread.start()
    seen: list[dict[str, Any]] = []
    stolen: list[queue.Claim] = []
    try:
        while thread.is_alive():
            job = _job(database, dask_id)
            progress = job.progress or {}
            if job.state == "running" and progress.get("frames_done"):
                seen.append(progress)
            # the lease is 2 s and the pose estimation takes longer: only renewals keep the job this worker's
            if job.state == "running":  # a claim now takes the job only if its lease ran out
                held = queue.claim(database, "thief", kinds=["analyze"])
                if held is not None:
                    stolen.append(held)
            time.sleep(0.25)
        thread.join()
    finally:
        worker.close()
    assert ran == [dask_id]
    assert stolen == []
    job = _job(database, dask_id)
    assert job.state == "done", job.error
    assert job.attempts == 1
    assert job.progress == plain.progress == {"stage": "done"}
    ids = {"assessment_id", "program_id"}
    assert {k: v for k, v in (job.result or {}).items() if k not in ids} == {
        k: v for k, v in (plain.result or {}).items() if k not in ids
    }

    # the same measurements; the analysis read the keypoints the Dask worker had written into the job folder
    via_dask, in_process = _gait(database, job), _gait(database, plain)
    assert _comparable(via_dask) == _comparable(in_process)
    assert in_process["recordings"][0]["pose"]["cache"].startswith("written")
    assert via_dask["recordings"][0]["pose"]["cache"].startswith(f"hit {store.root}")
    assert f"jobs/{dask_id}/1/gait/" in via_dask["recordings"][0]["pose"]["cache"]

    # the frames reached the job row while the cluster worked, as they do in process
    assert seen, "no frame progress was stored while the cluster estimated the pose"
    assert all(p["stage"] == "pose" and p["frames_done"] <= p["frames_total"] for p in seen)
    assert [p["frames_done"] for p in seen] == sorted(p["frames_done"] for p in seen)
    with Client(cluster) as client:  # type: ignore[no-untyped-call]
        events = [msg for _at, msg in client.get_events(DASK_TOPIC)]
    mine = [e for e in events if e["key"].startswith(f"glutemed-job-{dask_id}-1-")]
    assert mine
    assert mine[-1]["done"] == mine[-1]["total"] == max(p["frames_total"] for p in seen)  # all decoded


def _folderless(error: str) -> str:
    """The reason without the job's folder (``jobs/<id>/<attempt>/``), which differs between the jobs."""
    return re.sub(r"jobs/\d+/\d+/", "jobs/N/A/", error)


def test_a_failure_on_the_cluster_fails_the_job_with_the_same_reason_and_it_can_be_retried(
    database: db.Database, store: db.FileStore, runner_id: int, cluster: LocalCluster, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"this is not a video\n" * 100)
    upload = _upload(database, store, runner_id, broken)
    plain_id = _enqueue(database, runner_id, upload)
    Worker(database, store).run_once()
    dask_id = _enqueue(database, runner_id, upload)
    worker = Worker(database, store, dask_scheduler=cluster.scheduler_address)
    try:
        assert worker.run_once() == dask_id
        plain, failed = _job(database, plain_id), _job(database, dask_id)
        assert (plain.state, failed.state) == ("failed", "failed")
        assert failed.error is not None
        assert plain.error is not None
        assert _folderless(failed.error) == _folderless(plain.error)
        assert "broken.mp4" in failed.error
        assert not failed.error.startswith("internal error")
        with database.session() as s:
            assert db.list_assessments(s, runner_id) == []  # nothing stored
            assert queue.retry(s, dask_id)
        assert worker.run_once() == dask_id  # queued again, claimed again, failed again
    finally:
        worker.close()
    again = _job(database, dask_id)
    assert (again.state, again.attempts) == ("failed", 2)
    assert _folderless(again.error or "") == _folderless(plain.error)


def test_a_worker_that_loses_its_lease_while_the_cluster_works_drops_the_job(
    database: db.Database, store: db.FileStore, runner_id: int, cluster: LocalCluster
) -> None:
    upload = _upload(database, store, runner_id, VIDEO)
    job_id = _enqueue(database, runner_id, upload)
    worker = Worker(database, store, lease=dt.timedelta(seconds=3), dask_scheduler=cluster.scheduler_address)
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while (_job(database, job_id).progress or {}).get("stage") != "pose":
            assert thread.is_alive(), "the worker ended before the job reached the cluster"
            assert time.monotonic() < deadline, "the job never reached the cluster"
            time.sleep(0.05)
        # another worker takes the job as if the lease had run out (a later clock): the first is fenced off
        thief = queue.claim(database, "thief", now=utcnow() + dt.timedelta(minutes=5))
        assert thief is not None
        assert (thief.job_id, thief.attempt) == (job_id, 2)
        thread.join(timeout=60)
        assert not thread.is_alive()
    finally:
        worker.close()
    job = _job(database, job_id)
    assert (job.state, job.worker_id, job.attempts) == ("running", "thief", 2)
    assert job.progress == {"stage": "starting"}  # the first worker's progress writes were refused
    with database.session() as s:
        assert db.list_assessments(s, runner_id) == []


def test_an_unreachable_scheduler_stops_the_worker_command_with_exit_2(
    database: db.Database, store: db.FileStore, runner_id: int
) -> None:
    upload = _upload(database, store, runner_id, VIDEO)
    job_id = _enqueue(database, runner_id, upload)
    url = database.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "GLUTEMED_DASK_SCHEDULER": "tcp://127.0.0.1:9",  # the discard port: nobody listens
        "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s",
    }
    done = subprocess.run(
        [sys.executable, "-m", "glutemed", "worker", "--database-url", url, "--data-dir", str(store.root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in " ".join(done.stderr.split())
    job = _job(database, job_id)
    assert (job.state, job.attempts) == ("queued", 0)  # nothing claimed
