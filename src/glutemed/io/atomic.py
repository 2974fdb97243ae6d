"""Never lose a stored file: atomic replacement, a lock for read-modify-write, output paths checked up front.

- :func:`atomic_write_bytes` / :func:`atomic_write_text`: the new content goes to a temporary file in the same
  folder, is flushed and fsynced, then ``os.replace`` swaps it in and the folder is fsynced. A reader sees the
  old file or the new one, never half of one; when anything fails (a full disk, a file-size limit, a
  permission) the temporary file is removed, the old file is untouched, and :class:`StorageError` says so.
- :func:`locked`: an exclusive ``fcntl.flock`` on a sidecar ``.NAME.lock`` file, held while a file is read,
  changed and written back, so concurrent writers (two ``glutemed log`` runs) are serialised and none loses
  an entry.
- :func:`check_output_file` / :func:`check_output_dir`: what a command checks before its long work starts:
  the path is not a folder where a file is expected (or a file where a folder is), its folder exists or can be
  made and is writable, and there is some free space where the file system tells.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; writes stay atomic, only unserialised
    fcntl = None  # type: ignore[assignment]

MIN_FREE_BYTES = 1024 * 1024  # refuse an output folder with less free space than this


class StorageError(OSError):
    """Writing a file the user keeps failed; the message names it and says the old file is untouched."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


class OutputPathError(ValueError):
    """An output path cannot be written; raised before any long work starts."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some file systems do not open folders; the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EFBIG:
        return "the file-size limit was reached"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or str(exc)


def atomic_write_bytes(path: str | Path, data: bytes, *, mode: int = 0o644) -> Path:
    """Replace ``path`` with ``data`` atomically; on failure the old file is untouched (StorageError)."""
    path = Path(path)
    existed = path.exists()
    if path.is_dir():
        raise StorageError(path, "is a folder; nothing was written")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise StorageError(path, f"cannot write in its folder ({_why(exc)}); nothing was written") from exc
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if existed:
            with contextlib.suppress(OSError):
                mode = path.stat().st_mode & 0o7777
        tmp.chmod(mode)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        kept = "the old file is untouched" if existed else "no file was written"
        raise StorageError(path, f"could not be written ({_why(exc)}); {kept}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str, *, encoding: str = "utf-8") -> Path:
    """:func:`atomic_write_bytes` for text."""
    return atomic_write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[None]:
    """Hold an exclusive lock for ``path`` (a sidecar ``.NAME.lock`` beside it) for a read-modify-write."""
    path = Path(path)
    lock_path = path.with_name(f".{path.name}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError(path, f"cannot take the lock {lock_path.name} ({_why(exc)})") from exc
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if fcntl is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _writable_folder(path: Path, folder: Path) -> None:
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        raise OutputPathError(path, f"cannot be created: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise OutputPathError(path, f"cannot be written: the folder {probe} is not writable")
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return
    if free < MIN_FREE_BYTES:
        raise OutputPathError(path, f"cannot be written: only {free} bytes free on the disk of {probe}")


def check_output_file(path: str | Path, what: str = "output file") -> Path:
    """Check that ``path`` can take a file: not a folder, not a device, in a writable folder with free space."""
    trailing_slash = str(path).endswith(("/", os.sep))  # Path() drops it: look first
    path = Path(path)
    if trailing_slash or path.is_dir():
        raise OutputPathError(path, f"is a folder; give a file name for the {what}")
    if path.exists() or path.is_symlink():
        if not path.is_file():
            raise OutputPathError(path, f"exists and is not a regular file; give a file name for the {what}")
        if not os.access(path, os.W_OK):
            raise OutputPathError(path, f"exists and is not writable ({what})")
    _writable_folder(path, path.parent)
    return path


def check_output_dir(path: str | Path, what: str = "output folder") -> Path:
    """Check that ``path`` can be (or is) a folder to write into."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputPathError(path, f"exists and is not a folder; give a folder for the {what}")
    _writable_folder(path, path)
    return path
