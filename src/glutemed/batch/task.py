"""The work of one job, run on a Dask worker (or in this process): skip, analyse, or report the error.

Nothing here raises for a bad recording: the readers' documented errors (an unreadable or malformed file, a
recording with nothing to measure, nobody in a video) and anything unexpected come back as an
:class:`Outcome` with the message, so one bad file never stops the batch.

Each finished recording is stored in its own folder under ``OUT/recordings/``: ``result.json`` (the
``glutemed.gait/v1`` contract) and then ``batch.json`` (the job's labels, input SHA-256 and config hash), both
replaced atomically. ``batch.json`` is the "done" mark: a crash between the two files only costs a re-analysis.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glutemed import __version__
from glutemed.batch.jobs import Job
from glutemed.config import ConfigError
from glutemed.io import InputFileError
from glutemed.io.atomic import StorageError, atomic_write_text
from glutemed.knowledge.loader import knowledge_base
from glutemed.services.analyze import AnalysisError, analyze_path, build_result, sha256_of

RESULT = "result.json"
MARK = "batch.json"
FrameReport = Callable[[str, int], None]  # (job key, frames done so far)


@dataclass(frozen=True)
class Outcome:
    """What became of one job: ``done``, ``skipped`` (already done with the same input and config) or
    ``failed`` (``kind`` is input, analysis or internal; ``reason`` the message)."""

    key: str
    path: str
    status: str
    reason: str = ""
    kind: str = ""
    video_frames: int = 0
    seconds: float = 0.0


def folder_of(out: Path, job: Job) -> Path:
    return out / "recordings" / job.key


def read_mark(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and (folder / RESULT).is_file() else None


def _static_sha(job: Job) -> str:
    return sha256_of(job.static) if job.static is not None and job.static.is_file() else ""


def _analyse(job: Job, folder: Path, input_sha: str, static_sha: str, on_frames: FrameReport | None) -> int:
    kb = knowledge_base()  # loaded once per worker process
    frames = {"n": 0}

    def progress(done: int, _expected: int | None) -> None:
        frames["n"] = done
        if on_frames is not None:
            on_frames(job.key, done)

    recordings = analyze_path(
        job.path,
        kb=kb,
        config=job.config,
        view=job.view or None,
        static=job.static,
        progress=progress,
        cache_dir=folder,
    )
    result = build_result(recordings, job.config)
    atomic_write_text(folder / RESULT, json.dumps(result, indent=2) + "\n")
    mark = {
        "path": str(job.path),
        "runner_id": job.runner_id,
        "session": job.session,
        "view": job.view,
        "static": str(job.static) if job.static else "",
        "input_sha256": input_sha,
        "static_sha256": static_sha,
        "config_hash": job.config_hash,
        "glutemed_version": __version__,
        "video_frames": frames["n"] if job.is_video else 0,
    }
    atomic_write_text(folder / MARK, json.dumps(mark, indent=2) + "\n")
    return frames["n"] if job.is_video else 0


def classify(exc: Exception, path: Path) -> tuple[str, str]:
    """The kind (input, analysis, internal) and the message recorded for a failed job."""
    if isinstance(exc, FileNotFoundError):
        return "input", f"{exc.filename or path}: no such file"
    if isinstance(exc, InputFileError | ConfigError):
        return "input", str(exc)
    if isinstance(exc, AnalysisError):
        return "analysis", str(exc)
    if isinstance(exc, StorageError):
        return "internal", f"storage error: {exc}"
    if isinstance(exc, MemoryError):
        return "internal", "out of memory: the input is too large to analyse on this worker"
    return "internal", f"internal error ({type(exc).__name__}: {exc})"


def run_job(job: Job, out: Path, on_frames: FrameReport | None = None) -> Outcome:
    """Analyse one job into ``out/recordings/KEY/`` unless it is already done with the same input and config."""
    started = time.perf_counter()
    folder = folder_of(out, job)
    try:
        input_sha = sha256_of(job.path)
        static_sha = _static_sha(job)
        mark = read_mark(folder)
        if (
            mark is not None
            and mark.get("input_sha256") == input_sha
            and mark.get("static_sha256", "") == static_sha
            and mark.get("config_hash") == job.config_hash
        ):
            return Outcome(job.key, str(job.path), "skipped", seconds=time.perf_counter() - started)
        frames = _analyse(job, folder, input_sha, static_sha, on_frames)
    except Exception as exc:  # a bad file or a bug must not stop the batch: recorded as data
        kind, reason = classify(exc, job.path)
        return Outcome(job.key, str(job.path), "failed", reason, kind, 0, time.perf_counter() - started)
    return Outcome(job.key, str(job.path), "done", video_frames=frames, seconds=time.perf_counter() - started)
