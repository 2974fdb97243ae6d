"""The worker runs jobs through the real services on SQLite and PostgreSQL; a worker process killed with
SIGKILL mid-job loses nothing: the job completes once, on another worker, with the same result."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from glutemed import db
from glutemed.db import queue
from glutemed.services.jobs import JobContext, Worker, _Lease

ROOT = Path(__file__).resolve().parents[2]
KEYPOINTS = ROOT / "tests/data/video/male_side_treadmill/male_side.pose.json"
ACTIVITY = ROOT / "tests/data/activities/fitparse__garmin-fenix-5-run.fit"
INTAKE = ROOT / "src/glutemed/demo/runner.yaml"


def _upload(database: db.Database, store: db.FileStore, runner_id: int, path: Path, kind: str) -> int:
    stored = store.save_file(path)
    with database.session() as s:
        row = db.add_upload(
            s,
            runner_id=runner_id,
            sha256=stored.sha256,
            original_name=path.name,
            kind=kind,
            size_bytes=stored.size_bytes,
            storage_path=stored.relative_path,
        )
        return row.id


def _enqueue(database: db.Database, runner_id: int, kind: str, payload: dict[str, Any]) -> int:
    with database.session() as s:
        return queue.enqueue(s, kind=kind, runner_id=runner_id, payload=payload).id


def _job(database: db.Database, job_id: int) -> db.Job:
    with database.session() as s:
        job = queue.get_job(s, job_id)
        assert job is not None
        return job


def _intake(database: db.Database, runner_id: int) -> None:
    with database.session() as s:
        db.add_intake(s, runner_id, yaml.safe_load(INTAKE.read_text(encoding="utf-8")))


def test_analysis_without_intake_stores_the_gait_result_then_assess_uses_it(
    database: db.Database, store: db.FileStore, runner_id: int
) -> None:
    upload = _upload(database, store, runner_id, KEYPOINTS, "keypoints")
    analyze = _enqueue(database, runner_id, "analyze", {"upload_ids": [upload], "report": False})
    worker = Worker(database, store, lease=dt.timedelta(seconds=20))
    assert worker.run(once=True) == 1
    job = _job(database, analyze)
    assert job.state == "done", job.error
    assert job.result is not None
    assert job.result["needs_intake"] is True
    assert job.result["program_id"] is None
    with database.session() as s:
        row = db.get_assessment(s, job.result["assessment_id"], runner_id=runner_id)
        assert row is not None
        assert row.assessment is None
        assert row.gait_result is not None
        assert row.gait_result["schema"] == "glutemed.gait/v1"
        assert "gait/result.json" in row.files
        assert all(store.resolve(p).is_file() for p in row.files.values())

    _intake(database, runner_id)
    assess = _enqueue(database, runner_id, "assess", {})
    assert worker.run(once=True) == 1
    job = _job(database, assess)
    assert job.state == "done", job.error
    assert job.result is not None
    with database.session() as s:
        row = db.get_assessment(s, job.result["assessment_id"])
        assert row is not None
        assert row.assessment is not None
        assert row.assessment["runner"].startswith("Demo runner")
        assert row.gait_result is not None  # the latest gait result was used
        program = db.get_program(s, job.result["program_id"], runner_id=runner_id)
        assert program is not None
        assert program.state == "draft"
        assert program.data["phases"]
        assert {"program.html", "program.ics", "program.json"} <= set(program.files)


def test_a_load_job_imports_the_activity_file(
    database: db.Database, store: db.FileStore, runner_id: int
) -> None:
    upload = _upload(database, store, runner_id, ACTIVITY, "activities")
    job_id = _enqueue(database, runner_id, "load", {"upload_id": upload})
    Worker(database, store).run(once=True)
    job = _job(database, job_id)
    assert job.state == "done", job.error
    assert job.result is not None
    assert job.result["runs"] >= 1
    with database.session() as s:
        report = db.latest_load_report(s, runner_id)
        assert report is not None
        assert report.id == job.result["load_report_id"]
        assert report.data["schema"] == "glutemed.load/v1"
        assert store.resolve(report.files["load.html"]).read_text(encoding="utf-8").startswith("<!")


def test_bad_input_fails_the_job_with_the_reason_and_stores_nothing(
    database: db.Database, store: db.FileStore, runner_id: int, tmp_path: Path
) -> None:
    text = tmp_path / "notes.json"
    text.write_text("this is not a keypoint file\n", encoding="utf-8")
    upload = _upload(database, store, runner_id, text, "keypoints")
    with database.session() as s:
        other = db.create_runner(s, clinic_id=db.list_clinics(s)[0].id, name="Ben").id
    bad = _enqueue(database, runner_id, "analyze", {"upload_ids": [upload]})
    foreign = _enqueue(database, other, "analyze", {"upload_ids": [upload]})
    empty = _enqueue(database, runner_id, "analyze", {"upload_ids": []})
    assert Worker(database, store).run(once=True) == 3
    bad_job, foreign_job, empty_job = (_job(database, j) for j in (bad, foreign, empty))
    assert bad_job.state == "failed"
    assert "notes.json" in (bad_job.error or "")
    assert not (bad_job.error or "").startswith("internal error")
    assert foreign_job.state == "failed"
    assert foreign_job.error == f"upload {upload} is not one of this runner's files"
    assert empty_job.state == "failed"
    assert "at least one" in (empty_job.error or "")
    with database.session() as s:
        assert db.list_assessments(s, runner_id) == []
        assert db.list_assessments(s, other) == []
        assert queue.retry(s, bad)
    assert _job(database, bad).state == "queued"


def test_frame_progress_reaches_the_job_row(
    database: db.Database, store: db.FileStore, runner_id: int
) -> None:
    _enqueue(database, runner_id, "analyze", {"upload_ids": [1]})
    held = queue.claim(database, "progress-test", lease=dt.timedelta(seconds=5))
    assert held is not None
    lease = _Lease(database, held, dt.timedelta(seconds=5), every_s=0.05)
    ctx = JobContext(held, database, store, lease, store.job_dir(held.job_id, held.attempt))
    lease.start()
    try:
        ctx.report("pose", file=1, files=1)
        ctx.frames(1, 300)
        time.sleep(0.05)
        ctx.frames(120, 300)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            progress = _job(database, held.job_id).progress or {}
            if progress.get("frames_done") == 120:
                break
            time.sleep(0.05)
    finally:
        lease.stop()
    assert progress["stage"] == "pose"
    assert progress["frames_total"] == 300
    assert progress["fps"] > 0
    assert _job(database, held.job_id).lease_until is not None


MID_JOB = {"keypoints", "gait", "report", "assess", "program"}


def _worker(url: str, data: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "glutemed", "worker", "--database-url", url, "--data-dir", str(data)]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, "--lease-seconds", "2", "--poll-seconds", "0.2", *extra], stdout=out, stderr=out
        )


def _comparable(gait: dict[str, Any]) -> dict[str, Any]:
    """A gait result without what differs between two runs of the same input (time, job folder)."""
    return {
        "faults": gait["faults"],
        "missing_views": gait["missing_views"],
        "summaries": [r["summary"] for r in gait["recordings"]],
    }


def _kill_mid_job(database: db.Database, job_id: int, worker: subprocess.Popen[bytes], log: Path) -> str:
    """Wait until the worker is inside the job, SIGKILL it, and return the stage it died in."""
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            job = _job(database, job_id)
            stage = (job.progress or {}).get("stage")
            if job.state == "running" and stage in MID_JOB:
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=30)
                return str(stage)
            assert worker.poll() is None, log.read_text()
            time.sleep(0.05)
        pytest.fail(f"the first worker never got mid-job:\n{log.read_text()}")
    finally:
        if worker.poll() is None:
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait()


def _same_outcome(
    database: db.Database, store: db.FileStore, recovered_job: db.Job, twin_job: db.Job
) -> None:
    with database.session() as s:
        recovered = db.get_assessment(s, (recovered_job.result or {})["assessment_id"])
        reference = db.get_assessment(s, (twin_job.result or {})["assessment_id"])
        assert recovered is not None
        assert reference is not None
        assert recovered.gait_result is not None
        assert reference.gait_result is not None
        assert _comparable(recovered.gait_result) == _comparable(reference.gait_result)
        assert recovered.assessment == reference.assessment
        program = db.get_program(s, (recovered_job.result or {})["program_id"])
        twin_program = db.get_program(s, (twin_job.result or {})["program_id"])
        assert program is not None
        assert twin_program is not None
        assert program.data == twin_program.data
        assert all(path.startswith(f"jobs/{recovered_job.id}/2/") for path in recovered.files.values())
        assert all(store.resolve(path).is_file() for path in recovered.files.values())
    assert not store.resolve(f"jobs/{recovered_job.id}/1").exists()  # the killed attempt's partial files went


@pytest.mark.slow
def test_a_worker_killed_mid_job_loses_no_job(
    database: db.Database, store: db.FileStore, runner_id: int, tmp_path: Path
) -> None:
    _intake(database, runner_id)
    upload = _upload(database, store, runner_id, KEYPOINTS, "keypoints")
    killed_job = _enqueue(database, runner_id, "analyze", {"upload_ids": [upload]})
    twin_job = _enqueue(database, runner_id, "analyze", {"upload_ids": [upload]})  # the same work, unharmed
    url = database.url.render_as_string(hide_password=False)
    log = tmp_path / "workers.log"
    stage = _kill_mid_job(database, killed_job, _worker(url, store.root, log), log)
    lost = _job(database, killed_job)
    assert lost.state == "running"
    assert lost.attempts == 1
    second = _worker(url, store.root, log, "--once")
    assert second.wait(timeout=300) == 0, log.read_text()

    job, twin = _job(database, killed_job), _job(database, twin_job)
    assert (job.state, twin.state) == ("done", "done"), (job.error, twin.error)
    assert job.attempts == 2  # claimed once by the killed worker, once by the second
    assert job.worker_id == twin.worker_id != lost.worker_id
    with database.session() as s:
        rows = db.list_assessments(s, runner_id)
        assert sorted(row.job_id for row in rows) == sorted([killed_job, twin_job])  # one each: none twice
        assert len(db.list_programs(s, runner_id)) == 2
    _same_outcome(database, store, job, twin)
    print(
        f"\n{database.engine.dialect.name}: worker killed at stage {stage!r}; job {killed_job} done on attempt 2"
    )


VIDEO = ROOT / "tests/data/video/vfr/male_side_vfr_drop.mp4"  # 218 frames, 360x640


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_video_job_shows_frames_and_fps_while_it_runs(
    database: db.Database, store: db.FileStore, runner_id: int
) -> None:
    upload = _upload(database, store, runner_id, VIDEO, "video")
    job_id = _enqueue(database, runner_id, "analyze", {"upload_ids": [upload], "report": False})
    worker = Worker(database, store, lease=dt.timedelta(seconds=3))
    thread = threading.Thread(target=worker.run, kwargs={"once": True})
    thread.start()
    seen: list[dict[str, Any]] = []
    while thread.is_alive():
        progress = _job(database, job_id).progress or {}
        if progress.get("stage") == "pose" and progress.get("frames_done"):
            seen.append(progress)
        time.sleep(0.1)
    thread.join()
    job = _job(database, job_id)
    assert job.state == "done", job.error
    assert seen, "no frame progress was stored while the video was analysed"
    assert all(p["frames_total"] and p["frames_done"] <= p["frames_total"] for p in seen)
    assert any(p["fps"] for p in seen)
    assert [p["frames_done"] for p in seen] == sorted(p["frames_done"] for p in seen)
    assert job.progress == {"stage": "done"}


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sigterm_lets_the_current_job_finish_then_the_worker_exits(
    database: db.Database, store: db.FileStore, runner_id: int, tmp_path: Path
) -> None:
    upload = _upload(database, store, runner_id, KEYPOINTS, "keypoints")
    job_id = _enqueue(database, runner_id, "analyze", {"upload_ids": [upload]})
    waiting = _enqueue(database, runner_id, "analyze", {"upload_ids": [upload]})
    log = tmp_path / "worker.log"
    worker = _worker(database.url.render_as_string(hide_password=False), store.root, log)
    try:
        deadline = time.monotonic() + 240
        while _job(database, job_id).state != "running" and time.monotonic() < deadline:
            time.sleep(0.05)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=240) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert _job(database, job_id).state == "done"
    assert _job(database, waiting).state == "queued"  # not started after the signal
    assert "finishing the current job" in log.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_one_command_runs_a_worker_process_per_core(
    database: db.Database, store: db.FileStore, runner_id: int, tmp_path: Path
) -> None:
    upload = _upload(database, store, runner_id, KEYPOINTS, "keypoints")
    jobs = [
        _enqueue(database, runner_id, "analyze", {"upload_ids": [upload], "report": False}) for _ in range(4)
    ]
    log = tmp_path / "workers.log"
    supervisor = _worker(
        database.url.render_as_string(hide_password=False), store.root, log, "--processes", "2", "--once"
    )
    assert supervisor.wait(timeout=400) == 0, log.read_text()
    done = [_job(database, j) for j in jobs]
    assert [j.state for j in done] == ["done"] * 4, [j.error for j in done]
    assert len({j.worker_id for j in done}) == 2  # two processes shared the queue
    assert "supervising 2 worker processes" in log.read_text()
