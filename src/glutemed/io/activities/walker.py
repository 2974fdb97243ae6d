"""Walk a file, a folder or a zip of activities and yield a session or a skip record for each activity.

Files are opened one at a time and streamed; ``.gz`` files (as in a Strava export) are decompressed on the
fly, also inside a zip. Every stream is bounded: a file or zip/gz member that inflates past the ``activity``
size cap, or by more than :data:`MAX_RATIO` times its compressed size, is skipped with the reason (a zip bomb
never reaches a parser). Sessions dated before 1990 or after tomorrow are skipped with the reason. A Strava ``activities.csv`` is read first and the files its rows name are not opened
again. Files that are not activity formats (photos, other CSVs) are counted as ignored, not listed.
"""

from __future__ import annotations

import gzip
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, cast

from glutemed.core.load import Session, Skipped
from glutemed.io.activities.common import SkipFile, check_date, max_text_bytes
from glutemed.io.activities.fit import read_fit
from glutemed.io.activities.gpx import read_gpx
from glutemed.io.activities.strava import read_strava_csv
from glutemed.io.activities.tcx import read_tcx
from glutemed.io.safe_read import check_regular, limit_bytes

Reader = Callable[[IO[bytes], str], list[Session]]
READERS: dict[str, Reader] = {".fit": read_fit, ".gpx": read_gpx, ".tcx": read_tcx}
Progress = Callable[[int, int, str], None]
MAX_RATIO = 200  # decompressed : compressed; ordinary GPX/TCX/FIT compress 5-30x
_RATIO_AFTER_BYTES = 1024 * 1024  # the ratio is judged once this much has been inflated


class _Bounded:
    """A read-only stream that stops with SkipFile past ``cap`` bytes or ``MAX_RATIO`` x ``packed`` bytes."""

    def __init__(self, raw: IO[bytes], cap: int, packed: int | None) -> None:
        self._raw, self._cap, self._packed, self.count = raw, cap, packed, 0

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        # Never more than one byte past the cap, so reaching it is seen without holding much more.
        want = self._cap + 1 - self.count if n is None or n < 0 else min(n, self._cap + 1 - self.count)
        data = self._raw.read(want)
        self.count += len(data)
        if self.count > self._cap:
            raise SkipFile(f"larger than the {self._cap // (1024 * 1024)} MB size limit once decompressed")
        if self._packed and self.count > _RATIO_AFTER_BYTES and self.count > MAX_RATIO * self._packed:
            raise SkipFile(
                f"decompresses more than {MAX_RATIO} times its packed size of {self._packed} bytes "
                "(a zip bomb?)"
            )
        return data

    def read1(self, n: int = -1) -> bytes:
        return self.read(n)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def writable(self) -> bool:
        return False

    @property
    def closed(self) -> bool:
        return False

    def readinto(self, buffer: bytearray | memoryview) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        pass

    def flush(self) -> None:
        pass


@dataclass(frozen=True)
class Entry:
    """One file to read: its display name, its path relative to the export root, and how to open it."""

    name: str
    rel: str
    opener: Callable[[], AbstractContextManager[IO[bytes]]]
    size: int
    packed: int | None = None  # compressed size of a zip member

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
    files = [p for p in files if stat.S_ISREG(p.stat().st_mode)]
    base = root.parent if root.is_file() else root
    return [Entry(str(p), p.relative_to(base).as_posix(), _opener(p), p.stat().st_size) for p in files]


def _zip_entries(zf: zipfile.ZipFile, label: str) -> list[Entry]:
    return [
        Entry(f"{label}!{i.filename}", i.filename, _member_opener(zf, i), i.file_size, i.compress_size)
        for i in sorted(zf.infolist(), key=lambda x: x.filename)
        if i.filename and not i.filename.endswith("/")  # a corrupt zip may name a member ""
    ]


def _dated(items: list[Session], source: str) -> list[Session | Skipped]:
    out: list[Session | Skipped] = []
    for item in items:
        try:
            check_date(item.start_utc)
        except SkipFile as exc:
            out.append(Skipped(item.sources[0] if item.sources else source, str(exc)))
        else:
            out.append(item)
    return out


def _precheck(entry: Entry, cap: int) -> str | None:
    """Why a file or member is refused before it is opened, or None."""
    if entry.size > cap:
        return f"file of {entry.size} bytes is larger than the {cap // (1024 * 1024)} MB size limit"
    if (
        entry.packed is not None
        and entry.size > _RATIO_AFTER_BYTES
        and entry.size > MAX_RATIO * max(entry.packed, 1)
    ):
        return f"zip member inflates {entry.size // max(entry.packed, 1)} times its packed size (a zip bomb?)"
    return None


def _read_one(entry: Entry) -> list[Session | Skipped]:
    reader = READERS[entry.kind]
    cap = max_text_bytes()
    gz = entry.rel.lower().endswith(".gz")
    why = _precheck(entry, cap)
    if why:
        return [Skipped(entry.name, why)]
    try:
        with entry.opener() as raw:
            stream = _Bounded(raw, cap, entry.packed)
            if gz:
                with gzip.GzipFile(fileobj=cast("IO[bytes]", stream)) as unzipped:
                    inner = _Bounded(cast("IO[bytes]", unzipped), cap, entry.size)
                    return _dated(list(reader(cast("IO[bytes]", inner), entry.name)), entry.name)
            return _dated(list(reader(cast("IO[bytes]", stream), entry.name)), entry.name)
    except SkipFile as exc:
        return [Skipped(entry.name, str(exc))]
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
        return [Skipped(entry.name, f"unreadable file ({type(exc).__name__}: {str(exc)[:200]})")]


def _strava(entry: Entry, covered: set[str]) -> Iterator[Session | Skipped]:
    prefix = str(PurePosixPath(entry.rel).parent)
    cap = limit_bytes("strava_csv")
    why = _precheck(entry, cap)
    if why:
        yield Skipped(entry.name, why)
        return
    try:
        with entry.opener() as raw:
            for item, filename in read_strava_csv(
                cast("IO[bytes]", _Bounded(raw, cap, entry.packed)), entry.name
            ):
                if filename:
                    covered.add(str(PurePosixPath(prefix) / filename) if prefix != "." else filename)
                if isinstance(item, Session):
                    yield from _dated([item], entry.name)
                else:
                    yield item
    except SkipFile as exc:
        yield Skipped(entry.name, str(exc))
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile, RuntimeError, ValueError) as exc:
        yield Skipped(entry.name, f"unreadable file ({type(exc).__name__}: {str(exc)[:200]})")


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
    if not root.is_dir():
        check_regular(root, "FIT/GPX/TCX file, folder or zip")  # a FIFO or device would block or never end
    counts = stats if stats is not None else {}
    if root.is_file() and root.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(root) as zf:
                yield from _walk(_zip_entries(zf, str(root)), progress, counts)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, IndexError) as exc:
            yield Skipped(str(root), f"unreadable zip ({type(exc).__name__}: {str(exc)[:200]})")
        return
    yield from _walk(_file_entries(root), progress, counts)
