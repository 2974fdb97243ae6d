"""Run jobs on a ``dask.distributed`` cluster and rebuild the tables from the stored results.

Without a scheduler address a LocalCluster is started with one single-threaded worker *process* per core
(pose estimation and the gait engine are CPU-bound Python and NumPy, so threads would share one GIL) and is
stopped when the batch ends, Ctrl-C included. With ``scheduler="tcp://host:8786"`` the jobs go to an existing
cluster, whose workers must see the input and output paths at the same place (a shared file system).

Video frames reach the client as they are decoded: each worker sends a ``glutemed-frames`` event (at most one a
second per recording) and the client sums them into frames per second across the cluster.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import Client, LocalCluster, as_completed, get_worker

from glutemed.batch.jobs import Job
from glutemed.batch.tables import write_tables
from glutemed.batch.task import Outcome, folder_of, run_job

TOPIC = "glutemed-frames"
EVENT_EVERY_S = 1.0
_last_sent: dict[str, float] = {}


@dataclass
class BatchSummary:
    total: int
    done: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    video_frames: int = 0
    workers: int = 0
    scheduler: str = ""
    worker_peak_rss_mb: dict[str, float] = field(default_factory=dict)
    tables: list[str] = field(default_factory=list)
    failures: list[Outcome] = field(default_factory=list)

    @property
    def frames_per_s(self) -> float:
        return self.video_frames / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "seconds": round(self.seconds, 3),
            "video_frames": self.video_frames,
            "frames_per_s": round(self.frames_per_s, 1),
            "workers": self.workers,
            "scheduler": self.scheduler,
            "worker_peak_rss_mb": self.worker_peak_rss_mb,
            "tables": self.tables,
            "errors": [{"file": f.path, "kind": f.kind, "reason": f.reason} for f in self.failures],
        }


def report_frames(key: str, frames: int) -> None:
    """On a worker: send the frames decoded so far for one recording, at most once a second."""
    now = time.monotonic()
    if now - _last_sent.get(key, 0.0) < EVENT_EVERY_S:
        return
    _last_sent[key] = now
    with contextlib.suppress(ValueError):  # not on a worker (run in this process): no events to send
        get_worker().log_event(TOPIC, {"key": key, "frames": frames})


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MB since it started.

    On Linux this is ``VmHWM`` of the process's own address space: ``ru_maxrss`` survives ``execve`` and so
    reports the parent's peak for a process started by vfork from a large parent. Elsewhere ``ru_maxrss``
    (macOS bytes, BSD kB); 0 where the ``resource`` module is missing (Windows).
    """
    import sys

    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1e3
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1e6 if sys.platform == "darwin" else 1e3)


@contextmanager
def connect(scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """A client on the given scheduler, or on a LocalCluster of single-threaded worker processes."""
    if scheduler:
        with Client(scheduler) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as client,  # type: ignore[no-untyped-call]
    ):
        yield client


class _Frames:
    """Frames decoded per recording, summed across the cluster (events arrive on the client's thread)."""

    def __init__(self, on_frames: Callable[[int], None] | None) -> None:
        self.by_key: dict[str, int] = {}
        self.lock = threading.Lock()
        self.on_frames = on_frames

    def event(self, event: tuple[float, dict[str, Any]]) -> None:
        msg = event[1]
        with self.lock:
            self.by_key[msg["key"]] = max(self.by_key.get(msg["key"], 0), int(msg["frames"]))
            total = sum(self.by_key.values())
        if self.on_frames is not None:
            self.on_frames(total)

    def finish(self, key: str, frames: int) -> None:
        if frames:
            self.event((0.0, {"key": key, "frames": frames}))


def _outcome(future: Any, job: Job) -> Outcome:
    if future.status == "finished":
        result: Outcome = future.result()
        return result
    exc = future.exception()  # a worker that died, a task that could not be sent
    return Outcome(
        job.key, str(job.path), "failed", f"internal error ({type(exc).__name__}: {exc})", "internal"
    )


def run_batch(
    jobs: list[Job],
    out: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
    on_frames: Callable[[int], None] | None = None,
) -> BatchSummary:
    """Analyse every job (skipping those already done), then write the tables into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    summary = BatchSummary(total=len(jobs))
    frames = _Frames(on_frames)
    started = time.perf_counter()
    with connect(scheduler, workers) as client:
        summary.scheduler = str(client.scheduler_info().get("address", ""))
        summary.workers = len(client.scheduler_info().get("workers", {}))
        client.subscribe_topic(TOPIC, frames.event)  # type: ignore[no-untyped-call]
        by_future = {}
        for job in jobs:
            size = job.path.stat().st_size if job.path.is_file() else 0
            future = client.submit(
                run_job,
                job,
                out,
                report_frames,
                key=f"glutemed-analyse-{job.key}-{uuid.uuid4().hex[:8]}",
                pure=False,
                priority=min(size // 1_000_000, 1_000_000),  # the largest first: shorter tail
            )
            by_future[future] = job
        for future in as_completed(list(by_future)):  # type: ignore[no-untyped-call]
            outcome = _outcome(future, by_future.pop(future))
            future.release()
            setattr(summary, outcome.status, getattr(summary, outcome.status) + 1)
            if outcome.status == "failed":
                summary.failures.append(outcome)
            frames.finish(outcome.key, outcome.video_frames)
            if on_outcome is not None:
                on_outcome(outcome)
        summary.worker_peak_rss_mb = {str(k): round(v, 1) for k, v in client.run(peak_rss_mb).items()}
        client.unsubscribe_topic(TOPIC)  # type: ignore[no-untyped-call]
    summary.seconds = time.perf_counter() - started
    summary.video_frames = sum(frames.by_key.values())
    failed = {f.key for f in summary.failures}
    folders = [folder_of(out, job) for job in jobs if job.key not in failed]
    summary.tables = [str(p) for p in write_tables(out, folders, summary.failures)]
    return summary
