"""Use case: run the clinic's queued jobs (analyse an upload, import training load, re-assess).

A :class:`Worker` claims one job at a time from the database queue (:mod:`glutemed.db.queue`), keeps its lease
alive from a heartbeat thread that also stores the job's progress (stage, frames done and expected, frames per
second), and runs the job by calling the existing services:

- ``analyze`` (payload ``{"upload_ids": [...], "view": null, "report": true, "pdf": false, "overlay": false}``):
  :func:`glutemed.services.analyze.analyze_path` on each stored upload, the gait result and its files
  (:func:`~glutemed.services.analyze.write_outputs`, the HTML reports, optionally PDF and overlay video), then
  the assessment with the runner's latest intake, clinical tests and load report
  (:func:`glutemed.services.assessment.assess`) and the program (:func:`glutemed.services.program.make_program`).
- ``load`` (``{"upload_id": N, "since": "YYYY-MM-DD" | null}``): :func:`glutemed.services.load.import_history`
  on the stored activity file, folder or zip, and its HTML report.
- ``assess`` (``{}``): the assessment and program again from the latest gait result, intake, tests and load.

Files go to ``jobs/<id>/<attempt>/`` in the file store, each written atomically by the service that makes it;
the rows (assessment, program, load report) and the job's ``done`` state are written in one transaction that
holds only if this worker still holds the job. A job that raises is marked failed with the reason; a worker
that dies leaves the job to another worker once the lease expires.

With a Dask scheduler (``Worker(dask_scheduler="tcp://host:8786")``, or ``"local"`` for a LocalCluster of
single-threaded worker processes started by the worker), the database stays the source of truth: the worker
claims the job as before, sends the pose estimation of each uploaded video to the cluster (one task per video,
run in parallel, each writing the keypoint cache into the job's ``gait/`` folder), keeps renewing the lease and
storing the frames done while it waits, then runs the job's steps here, which read the keypoints from that
cache, and writes the result through the same fence. A task that fails on the cluster (a bad video, a Dask
worker that died) fails the job like any exception. The Dask workers must see the data folder at the same path.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from glutemed.db import queue, records
from glutemed.db.engine import Database
from glutemed.db.queue import Claim, LeaseLostError
from glutemed.db.storage import FileStore

if TYPE_CHECKING:
    from distributed import Client, Future

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 1.0
DASK_SCHEDULER_ENV = "GLUTEMED_DASK_SCHEDULER"
DASK_LOCAL = "local"
DASK_TOPIC = "glutemed-job-frames"
DASK_POLL_S = 0.25


class JobInputError(ValueError):
    """The job cannot run with what it was given; the message is shown to the clinician."""


class DaskUnavailableError(RuntimeError):
    """The Dask scheduler named for the worker cannot be reached."""


def json_safe(value: Any) -> Any:
    """A plain JSON document: tuples become lists, NaN and infinities null (PostgreSQL's JSONB has no NaN)."""
    return json.loads(json.dumps(value, default=str), parse_constant=lambda _constant: None)


def _safe_name(name: str, index: int) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(name).name).strip("._") or "upload"
    return f"{index}-{base[-120:]}"


class _Lease(threading.Thread):
    """Heartbeat: extends the lease and stores the latest progress every ``every_s`` seconds."""

    def __init__(self, database: Database, held: Claim, lease: dt.timedelta, every_s: float) -> None:
        super().__init__(name=f"lease-job-{held.job_id}", daemon=True)
        self.database = database
        self.held = held
        self.lease = lease
        self.every_s = every_s
        self.lost = threading.Event()
        self._stop_event = threading.Event()
        self._progress: dict[str, Any] = {"stage": "starting"}
        self._sent: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def set_progress(self, progress: dict[str, Any]) -> None:
        with self._lock:
            self._progress = progress

    def run(self) -> None:
        while not self._stop_event.wait(self.every_s):
            with self._lock:
                progress = self._progress
            try:
                held = queue.heartbeat(
                    self.database,
                    self.held,
                    lease=self.lease,
                    progress=progress if progress != self._sent else None,
                )
            except Exception:  # a database hiccup: try again next beat; the lease has slack
                log.exception("job %s: heartbeat failed", self.held.job_id)
                continue
            if not held:
                self.lost.set()
                return
            self._sent = progress

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)


@dataclass
class JobContext:
    """What a job handler gets: its claim, the database, the file store and a way to report progress."""

    held: Claim
    database: Database
    store: FileStore
    lease: _Lease
    out_rel: str
    started: float = field(default_factory=time.monotonic)
    stage: str = "starting"
    _frame_clock: float | None = None

    @property
    def out_dir(self) -> Path:
        return self.store.resolve(self.out_rel)

    def rel(self, path: Path) -> str:
        return path.resolve().relative_to(self.store.root.resolve()).as_posix()

    def check(self) -> None:
        """Raise :class:`LeaseLostError` when another worker has taken the job."""
        if self.lease.lost.is_set():
            raise LeaseLostError(f"job {self.held.job_id}: lease lost")

    def report(self, stage: str, **extra: Any) -> None:
        self.check()
        self.stage = stage
        self._frame_clock = None
        self.lease.set_progress({"stage": stage, **extra})

    def frames(self, done: int, total: int | None) -> None:
        """The analyse service's frame callback: frames done, expected, and frames per second."""
        self.check()
        now = time.monotonic()
        if self._frame_clock is None or done <= 1:
            self._frame_clock = now
        elapsed = now - self._frame_clock
        fps = round(done / elapsed, 1) if elapsed > 0 and done > 1 else None
        self.lease.set_progress({"stage": self.stage, "frames_done": done, "frames_total": total, "fps": fps})


@dataclass(frozen=True)
class Outcome:
    """What a job made: ``store`` adds its rows in the finishing transaction and returns their ids, which
    become the job's result together with ``summary``."""

    store: Callable[[Session], dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[JobContext], Outcome]


def _handlers() -> dict[str, Handler]:
    from glutemed.services.job_steps import run_analyze, run_assess, run_load

    return {"analyze": run_analyze, "load": run_load, "assess": run_assess}


def failure_reason(exc: BaseException) -> str:
    """What a clinician reads for a failed job: the input problem as said, or the internal error named."""
    from glutemed.contracts.gait_result import ContractError
    from glutemed.io import InputFileError
    from glutemed.services.analyze import AnalysisError
    from glutemed.services.intake_schema import InputFileError as DocumentError

    if isinstance(exc, JobInputError | InputFileError | AnalysisError | DocumentError | ContractError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"a stored file is missing: {exc.filename or exc}"
    return f"internal error ({exc.__class__.__name__}): {exc}"


class Worker:
    """Claims and runs jobs one at a time. One worker per CPU core is the usual deployment."""

    def __init__(
        self,
        database: Database,
        store: FileStore,
        *,
        worker_id: str | None = None,
        lease: dt.timedelta = queue.DEFAULT_LEASE,
        poll_s: float = 1.0,
        kinds: tuple[str, ...] | None = None,
        handlers: Mapping[str, Handler] | None = None,
        dask_scheduler: str | None = None,
        dask_workers: int | None = None,
    ) -> None:
        """``handlers`` replace or add the handler of a job kind (the bundled ones run the services);
        ``dask_scheduler`` (an address, or ``"local"`` for a LocalCluster of ``dask_workers`` processes,
        default one per core) sends each job's pose estimation to a Dask cluster."""
        self.database = database
        self.store = store
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease = lease
        self.poll_s = poll_s
        self.kinds = kinds
        self.handlers: dict[str, Handler] = dict(handlers or {})
        self.dask_scheduler = dask_scheduler or None
        self.dask_workers = dask_workers
        self.stop_event = threading.Event()
        self._dask: Client | None = None
        self._dask_stack = ExitStack()

    def connect_dask(self) -> Client | None:
        """The Dask client (connected, or the LocalCluster started, on first use); None without a scheduler.

        Raises :class:`DaskUnavailableError` when the scheduler cannot be reached."""
        if self.dask_scheduler is None:
            return None
        if self._dask is None:
            from distributed import Client, LocalCluster

            address = self.dask_scheduler
            try:
                if address == DASK_LOCAL:  # single-threaded processes: pose estimation is CPU-bound Python
                    cluster = LocalCluster(  # type: ignore[no-untyped-call]
                        n_workers=self.dask_workers or os.cpu_count() or 1,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=":0",
                    )
                    self._dask_stack.callback(cluster.close)
                    address = cluster.scheduler_address
                # not a context manager: the client may be made in one thread and closed in another
                client = Client(address, set_as_default=False)  # type: ignore[no-untyped-call]
            except (OSError, TimeoutError) as exc:
                self._dask_stack.close()
                raise DaskUnavailableError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
            self._dask_stack.callback(client.close)
            self._dask = client
        return self._dask

    def close(self) -> None:
        """Disconnect from the Dask cluster (a LocalCluster this worker started is stopped)."""
        self._dask = None
        self._dask_stack.close()

    def run_once(self) -> int | None:
        """Claim one job and run it; the job's id, or None when nothing was waiting.

        With a Dask scheduler, the cluster is reached first: no job is claimed while it is away
        (:class:`DaskUnavailableError`)."""
        self.connect_dask()
        held = queue.claim(self.database, self.worker_id, lease=self.lease, kinds=self.kinds)
        if held is None:
            return None
        self.execute(held)
        return held.job_id

    def run(self, *, once: bool = False) -> int:
        """Run jobs until :attr:`stop_event` is set (or, with ``once``, until the queue is empty).

        Returns how many jobs it ran. ``stop_event`` lets the current job finish first.
        """
        count = 0
        while not self.stop_event.is_set():
            try:
                job_id = self.run_once()
            except OperationalError as exc:  # the database is away (restart, network): wait, then try again
                log.warning("worker %s: database unavailable (%s); retrying", self.worker_id, exc.orig)
                self.stop_event.wait(max(self.poll_s, 5.0))
                continue
            if job_id is not None:
                count += 1
                continue
            if once:
                break
            self.stop_event.wait(self.poll_s)
        return count

    def execute(self, held: Claim) -> None:
        client = self.connect_dask()  # connected already when called from run_once
        every = min(PROGRESS_EVERY_S, self.lease.total_seconds() / 3)
        lease = _Lease(self.database, held, self.lease, every)
        ctx = JobContext(
            held, self.database, self.store, lease, self.store.job_dir(held.job_id, held.attempt)
        )
        shutil.rmtree(ctx.out_dir, ignore_errors=True)
        ctx.out_dir.mkdir(parents=True, exist_ok=True)
        lease.start()
        log.info(
            "job %s (%s) attempt %s: started by %s", held.job_id, held.kind, held.attempt, self.worker_id
        )
        try:
            handler = {**_handlers(), **self.handlers}.get(held.kind)
            if handler is None:
                raise JobInputError(f"this worker does not run {held.kind!r} jobs")
            if client is not None and held.kind == "analyze":
                pose_on_dask(ctx, client)
            outcome = handler(ctx)
            ctx.report("saving")
            with self.database.write() as s:
                ids = outcome.store(s)
                queue.finish(s, held, json_safe({**outcome.summary, **ids}), progress={"stage": "done"})
            log.info("job %s: done", held.job_id)
            self._drop_lost_attempts(held)
        except LeaseLostError:
            log.warning("job %s: lease lost to another worker; this attempt's work is dropped", held.job_id)
        except Exception as exc:
            reason = failure_reason(exc)
            log.warning("job %s failed: %s", held.job_id, reason, exc_info=not reason.startswith("internal"))
            queue.fail(self.database, held, reason)
        finally:
            lease.stop()

    def _drop_lost_attempts(self, held: Claim) -> None:
        """Remove the folders of earlier attempts (workers that died part way); fenced, they are dead."""
        for attempt in range(1, held.attempt):
            self.store.clear(self.store.job_dir(held.job_id, attempt))


def link_upload(ctx: JobContext, upload_id: int, index: int) -> tuple[Path, str | None, str]:
    """The stored upload under the job's ``input/`` folder with its original name (a hard link where the
    file system allows, else a copy), so readers that go by suffix see it as uploaded. Returns the path, the
    view the uploader gave, and the upload's kind."""
    with ctx.database.session() as s:
        row = records.get_upload(s, upload_id, runner_id=ctx.held.runner_id)
        if row is None:
            raise JobInputError(f"upload {upload_id} is not one of this runner's files")
        storage_path, name, view, kind = row.storage_path, row.original_name, row.view, row.kind
    source = ctx.store.resolve(storage_path)
    if not source.is_file():
        raise JobInputError(f"the stored file of upload {upload_id} ({name}) is missing")
    target = ctx.out_dir / "input" / _safe_name(name, index)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)  # linked before (the Dask step links the videos first)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target, view, kind


def estimate_pose(video: str, cache_dir: str, pose_mode: str | None, key: str) -> int:
    """On a Dask worker: the pose keypoints of one video into the keypoint cache in ``cache_dir`` (what the
    analysis reads back), sending the frames done at most once a second as a ``glutemed-job-frames`` event.
    Returns the number of frames."""
    from glutemed.services.video import video_to_keypoints

    sent = [0.0]

    def progress(done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - sent[0] >= PROGRESS_EVERY_S:
            sent[0] = now
            _send_frames(key, done, total)

    series = video_to_keypoints(
        Path(video), progress=progress, cache_dir=Path(cache_dir), pose_mode=pose_mode
    )
    frames = len(series.times_s)
    _send_frames(key, frames, frames)
    return frames


def _send_frames(key: str, done: int, total: int | None) -> None:
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:  # run outside a Dask worker: nobody to tell
        return
    worker.log_event(DASK_TOPIC, {"key": key, "done": done, "total": total})


class _DaskFrames:
    """Frames done per video of one job, from the Dask workers' events (which arrive on the client's thread)."""

    def __init__(self, keys: set[str]) -> None:
        self.keys = keys
        self.by_key: dict[str, tuple[int, int | None]] = {}
        self.lock = threading.Lock()

    def event(self, event: tuple[float, dict[str, Any]]) -> None:
        msg = event[1]
        if msg.get("key") in self.keys:
            with self.lock:
                self.by_key[msg["key"]] = (int(msg["done"]), msg.get("total"))

    def totals(self) -> tuple[int, int | None]:
        with self.lock:
            seen = list(self.by_key.values())
        done = sum(d for d, _t in seen)
        totals = [t for _d, t in seen]
        complete = len(seen) == len(self.keys) and all(t is not None for t in totals)
        return done, sum(int(t) for t in totals if t is not None) if complete else None


def pose_on_dask(ctx: JobContext, client: Client) -> int:
    """Send the pose estimation of the job's uploaded videos to the Dask cluster and wait for it, renewing
    nothing itself (the lease thread does) but storing the frames done and stopping when the lease is lost.

    The keypoints land in the job's ``gait/`` keypoint cache, where the analysis step finds them. Returns the
    number of videos sent; a task's exception is raised here (the job then fails with its reason).
    """
    from glutemed.config import load_config
    from glutemed.pose import is_video

    upload_ids = ctx.held.payload.get("upload_ids") or []
    if not isinstance(upload_ids, list):
        return 0  # the analysis step says what is wrong with the payload
    mode = load_config().pose.mode
    cache = ctx.out_dir / "gait"
    tag = f"glutemed-job-{ctx.held.job_id}-{ctx.held.attempt}-{uuid.uuid4().hex[:8]}"
    futures: list[Future[int]] = []
    keys: set[str] = set()
    for index, upload_id in enumerate(upload_ids):
        path, _view, kind = link_upload(ctx, int(upload_id), index)
        if kind == "activities" or not is_video(path):
            continue
        key = f"{tag}-{index}"
        keys.add(key)
        futures.append(client.submit(estimate_pose, str(path), str(cache), mode, key, key=key, pure=False))
    if not futures:
        return 0
    frames = _DaskFrames(keys)
    ctx.report("pose")
    client.subscribe_topic(DASK_TOPIC, frames.event)  # type: ignore[no-untyped-call]
    shown: tuple[int, int | None] = (0, None)
    pending = list(futures)
    try:
        while pending:
            ctx.check()
            for future in [f for f in pending if f.done()]:  # type: ignore[no-untyped-call]
                future.result()  # the task's own exception (or Dask's: a dead worker, a cancelled task)
                pending.remove(future)
            now = frames.totals()
            if now != shown and now[0] > 0:
                ctx.frames(*now)
                shown = now
            if pending:
                time.sleep(DASK_POLL_S)
    finally:
        client.unsubscribe_topic(DASK_TOPIC)  # type: ignore[no-untyped-call]
        if pending:
            client.cancel(pending)  # type: ignore[no-untyped-call]
    log.info("job %s: pose of %d video(s) estimated on the Dask cluster", ctx.held.job_id, len(futures))
    return len(futures)
