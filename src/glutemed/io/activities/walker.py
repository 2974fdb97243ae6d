"""Walk a file, a folder or a zip of activities and yield a session or a skip record for each activity.

Files are opened one at a time and streamed; ``.gz`` files (as in a Strava export) are decompressed on the
fly, also inside a zip. A Strava ``activities.csv`` is read first and the files its rows name are not opened
again. Files that are not activity formats (photos, other CSVs) are counted as ignored, not listed.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, cast

from glutemed.core.load import Session, Skipped
from glutemed.io.activities.common import SkipFile
from glutemed.io.activities.fit import read_fit
from glutemed.io.activities.gpx import read_gpx
from glutemed.io.activities.strava import read_strava_csv
from glutemed.io.activities.tcx import read_tcx

Reader = Callable[[IO[bytes], str], list[Session]]
READERS: dict[str, Reader] = {".fit": read_fit, ".gpx": read_gpx, ".tcx": read_tcx}
Progress = Callable[[int, int, str], None]
MAX_ZIP_MEMBER_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Entry:
    """One file to read: its display name, its path relative to the export root, and how to open it."""

    name: str
    rel: str
    opener: Callable[[], AbstractContextManager[IO[bytes]]]
    size: int

    @property
    def kind(self) -> str:
        low = self.rel.lower()
        low = low.removesuffix(".gz")
        return PurePosixPath(low).suffix

    @property
    def is_strava_csv(self) -> bool:
        return PurePosixPath(self.rel.lower()).name == "activities.csv"


def _opener(path: Path) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    return lambda: path.open("rb")


def _member_opener(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo
) -> Callable[[], AbstractContextManager[IO[bytes]]]:
    return lambda: zf.open(info)


def _file_entries(root: Path) -> list[Entry]:
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    base = root.parent if root.is_file() else root
    return [Entry(str(p), p.relative_to(base).as_posix(), _opener(p), p.stat().st_size) for p in files]


def _zip_entries(zf: zipfile.ZipFile, label: str) -> list[Entry]:
    return [
        Entry(f"{label}!{i.filename}", i.filename, _member_opener(zf, i), i.file_size)
        for i in sorted(zf.infolist(), key=lambda x: x.filename)
        if not i.is_dir()
    ]


def _read_one(entry: Entry) -> list[Session | Skipped]:
    reader = READERS[entry.kind]
    if entry.size > MAX_ZIP_MEMBER_BYTES:
        return [Skipped(entry.name, "file larger than the size limit")]
    try:
        with entry.opener() as raw:
            if entry.rel.lower().endswith(".gz"):
                with gzip.GzipFile(fileobj=raw) as unzipped:
                    return list(reader(cast("IO[bytes]", unzipped), entry.name))
            return list(reader(raw, entry.name))
    except SkipFile as exc:
        return [Skipped(entry.name, str(exc))]
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
        return [Skipped(entry.name, f"unreadable file ({type(exc).__name__}: {exc})")]


def _strava(entry: Entry, covered: set[str]) -> Iterator[Session | Skipped]:
    prefix = str(PurePosixPath(entry.rel).parent)
    try:
        with entry.opener() as raw:
            for item, filename in read_strava_csv(raw, entry.name):
                if filename:
                    covered.add(str(PurePosixPath(prefix) / filename) if prefix != "." else filename)
                yield item
    except SkipFile as exc:
        yield Skipped(entry.name, str(exc))


def _walk(
    entries: list[Entry], progress: Progress | None, stats: dict[str, int]
) -> Iterator[Session | Skipped]:
    csvs = [e for e in entries if e.is_strava_csv]
    rest = [e for e in entries if not e.is_strava_csv and e.kind in READERS]
    stats["ignored_files"] = stats.get("ignored_files", 0) + len(entries) - len(csvs) - len(rest)
    total = len(csvs) + len(rest)
    covered: set[str] = set()
    done = 0
    for e in csvs:
        yield from _strava(e, covered)
        done += 1
        if progress:
            progress(done, total, e.name)
    for e in rest:
        if e.rel in covered:
            stats["covered_by_csv"] = stats.get("covered_by_csv", 0) + 1
        else:
            yield from _read_one(e)
            stats["files_read"] = stats.get("files_read", 0) + 1
        done += 1
        if progress:
            progress(done, total, e.name)


def scan(
    path: str | Path, *, progress: Progress | None = None, stats: dict[str, int] | None = None
) -> Iterator[Session | Skipped]:
    """Sessions and skip records from a file, a folder or a ``.zip``; ``progress(done, total, name)``.

    Raises FileNotFoundError when the path does not exist; nothing else escapes for a bad file.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(str(root))
    counts = stats if stats is not None else {}
    if root.is_file() and root.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(root) as zf:
                yield from _walk(_zip_entries(zf, str(root)), progress, counts)
        except zipfile.BadZipFile as exc:
            yield Skipped(str(root), f"unreadable zip ({exc})")
        return
    yield from _walk(_file_entries(root), progress, counts)
