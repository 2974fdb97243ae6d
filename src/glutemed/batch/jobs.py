"""What a batch analyses: jobs from a manifest CSV or from files and folders, each with its own config.

A manifest has a header row; only ``path`` is required. Optional columns: ``runner_id``, ``view`` (rear, front,
side or auto), ``session``, ``static`` (the static trial of a C3D recording) and ``config`` (a TOML file that
replaces ``--config`` for that row). Relative paths are taken from the manifest's folder.

Without a manifest, files are taken as they are and folders are walked for known extensions: keypoint files
(``.trc``, GaitLab or glutemed keypoint ``.json``), C3D trials (a ``*static*.c3d`` in the same folder is the
static trial, never a job of its own) and videos.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from glutemed.config import AnalysisConfig, load_config
from glutemed.io import InputFileError
from glutemed.pose import VIDEO_SUFFIXES

MANIFEST_COLUMNS = ("path", "runner_id", "view", "session", "static", "config")
VIEWS = ("", "auto", "rear", "front", "side")
KEYPOINT_SCHEMAS = ("gaitlab.pose/v1", "glutemed.keypoints/v1")
MAX_MANIFEST_ROWS = 1_000_000


class ManifestError(InputFileError):
    """The manifest cannot be used; the message names the file, the row and the problem."""


@dataclass(frozen=True)
class Job:
    """One recording to analyse, with the manifest's labels and the config that applies to it."""

    path: Path
    config: AnalysisConfig
    runner_id: str = ""
    session: str = ""
    view: str = ""
    static: Path | None = None

    @property
    def config_hash(self) -> str:
        return config_hash(self.config)

    @property
    def key(self) -> str:
        """A stable folder name: the file's stem and a digest of what identifies the job."""
        ident = json.dumps([str(self.path), self.runner_id, self.session, self.view], ensure_ascii=True)
        digest = hashlib.sha256(ident.encode()).hexdigest()[:12]
        stem = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.path.stem)[:60]
        return f"{stem}-{digest}"

    @property
    def is_video(self) -> bool:
        return self.path.suffix.lower() in VIDEO_SUFFIXES


def config_hash(config: AnalysisConfig) -> str:
    """SHA-256 of the config as canonical JSON (sorted keys): equal configs, equal hashes."""
    text = json.dumps(config.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _is_static(path: Path) -> bool:
    return "static" in path.stem.lower()


def _static_beside(path: Path) -> Path | None:
    candidates = sorted(p for p in path.parent.glob("*") if p.suffix.lower() == ".c3d" and _is_static(p))
    return candidates[0] if candidates else None


def _is_keypoint_json(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return False
    return any(schema in head for schema in KEYPOINT_SCHEMAS)


def _walk(folder: Path, skip: Path | None) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if skip is not None and path.is_relative_to(skip):
            continue  # never the batch's own output folder
        suffix = path.suffix.lower()
        if (
            suffix in VIDEO_SUFFIXES
            or suffix == ".trc"
            or (suffix == ".c3d" and not _is_static(path))
            or (suffix == ".json" and _is_keypoint_json(path))
        ):
            yield path


def jobs_from_inputs(
    inputs: Iterable[Path], config: AnalysisConfig, *, skip: Path | None = None
) -> list[Job]:
    """Files as given and folders walked for known extensions; a C3D trial takes the static beside it."""
    jobs: list[Job] = []
    skip = skip.resolve() if skip is not None else None
    for given in inputs:
        if not given.exists():
            raise InputFileError(given, "no such file or folder")
        paths = list(_walk(given.resolve(), skip)) if given.is_dir() else [given.resolve()]
        for path in paths:
            static = _static_beside(path) if path.suffix.lower() == ".c3d" else None
            jobs.append(Job(path=path, config=config, static=static))
    return _unique(jobs)


def _unique(jobs: list[Job]) -> list[Job]:
    seen: dict[str, Job] = {}
    for job in jobs:
        seen.setdefault(job.key, job)
    return list(seen.values())


def _row_job(row: dict[str, str], line: int, manifest: Path, config: AnalysisConfig) -> Job:
    base = manifest.parent

    def where(value: str) -> Path:
        path = Path(value)
        return (path if path.is_absolute() else base / path).resolve()

    path_text = (row.get("path") or "").strip()
    if not path_text:
        raise ManifestError(manifest, f"row {line}: the path is empty")
    view = (row.get("view") or "").strip().lower()
    if view not in VIEWS:
        raise ManifestError(
            manifest, f"row {line}: view must be rear, front, side or auto, not {view[:20]!r}"
        )
    static_text = (row.get("static") or "").strip()
    path = where(path_text)
    static = where(static_text) if static_text else None
    if static is None and path.suffix.lower() == ".c3d":
        static = _static_beside(path)
    config_text = (row.get("config") or "").strip()
    if config_text:
        config = load_config(where(config_text))  # a ConfigError names the file and the option
    return Job(
        path=path,
        config=config,
        runner_id=(row.get("runner_id") or "").strip(),
        session=(row.get("session") or "").strip(),
        view="" if view == "auto" else view,
        static=static,
    )


def jobs_from_manifest(manifest: Path, config: AnalysisConfig) -> list[Job]:
    """Read a manifest CSV (see the module docstring); an unknown column or a bad row is a ManifestError."""
    try:
        with manifest.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            columns = [c.strip() for c in reader.fieldnames or []]
            if "path" not in columns:
                raise ManifestError(
                    manifest, "has no 'path' column (columns: " + ", ".join(MANIFEST_COLUMNS) + ")"
                )
            unknown = sorted(set(columns) - set(MANIFEST_COLUMNS))
            if unknown:
                raise ManifestError(
                    manifest, f"unknown column {unknown[0]!r} (known: {', '.join(MANIFEST_COLUMNS)})"
                )
            jobs = []
            for line, raw in enumerate(reader, start=2):
                if line > MAX_MANIFEST_ROWS:
                    raise ManifestError(manifest, f"has more than {MAX_MANIFEST_ROWS} rows")
                row = {(k or "").strip(): v for k, v in raw.items()}
                if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    continue  # a blank line
                jobs.append(_row_job(row, line, manifest, config))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ManifestError(
            manifest, f"cannot be read as a CSV manifest ({exc.__class__.__name__}: {exc})"
        ) from exc
    if not jobs:
        raise ManifestError(manifest, "names no recordings")
    return _unique(jobs)
