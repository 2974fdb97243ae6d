"""Files kept for the clinic, under the data folder: uploads by content hash, and job outputs.

``FileStore(root)`` lays out::

    root/blobs/ab/abcdef...0123.mp4     an upload, named by its SHA-256 (same bytes stored once)
    root/jobs/<job id>/<attempt>/       what one attempt of a job wrote (reports, result.json, ...)
    root/tmp/                           partial files while they stream in (same file system, so renames are atomic)

:meth:`FileStore.save_stream` streams chunks to a temporary file while hashing and counting them, fsyncs it
and renames it into place; if the stream fails, is cancelled or passes ``max_bytes``, the temporary file is
removed and nothing is left behind. Paths stored in the database are relative to ``root``; :meth:`resolve`
turns them back and refuses anything that would leave ``root``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from glutemed.io.atomic import _fsync_dir

_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


class UploadTooLargeError(ValueError):
    """The stream passed the size limit; nothing was kept."""


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size_bytes: int
    relative_path: str  # relative to the store's root, with forward slashes


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def blob_path(self, sha256: str, suffix: str = "") -> str:
        suffix = suffix.lower() if _SUFFIX.match(suffix.lower()) else ""
        return f"blobs/{sha256[:2]}/{sha256}{suffix}"

    def resolve(self, relative_path: str) -> Path:
        """The absolute path of a stored file; a path outside the store raises ValueError."""
        root = self.root.resolve()
        path = (root / relative_path).resolve()
        if not path.is_relative_to(root):
            raise ValueError(f"{relative_path!r} is outside the file store")
        return path

    def save_stream(
        self, chunks: Iterable[bytes], *, suffix: str = "", max_bytes: int | None = None
    ) -> StoredFile:
        """Store the bytes of ``chunks`` by content hash; all or nothing."""
        tmp_dir = self.root / "tmp"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="upload.")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise UploadTooLargeError(f"the file is larger than {max_bytes} bytes")
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            relative = self.blob_path(digest.hexdigest(), suffix)
            target = self.root / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.replace(target)  # same bytes -> same name: replacing an existing blob changes nothing
            _fsync_dir(target.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredFile(digest.hexdigest(), size, relative)

    def save_file(self, path: str | Path, *, max_bytes: int | None = None) -> StoredFile:
        """Store a copy of a file on disk (read in 1 MiB blocks)."""
        source = Path(path)

        def blocks() -> Iterable[bytes]:
            with source.open("rb") as handle:
                yield from iter(lambda: handle.read(1 << 20), b"")

        return self.save_stream(blocks(), suffix=source.suffix, max_bytes=max_bytes)

    def job_dir(self, job_id: int, attempt: int) -> str:
        """The folder (relative) for one attempt of a job; a lost attempt's folder is never reused."""
        return f"jobs/{job_id}/{attempt}"

    def clear(self, relative_path: str) -> None:
        """Remove a stored folder (a failed attempt's partial outputs)."""
        shutil.rmtree(self.resolve(relative_path), ignore_errors=True)
