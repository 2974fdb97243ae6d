"""Atomic writes, the logbook lock and the up-front output checks (real files, real processes)."""

from __future__ import annotations

import errno
import multiprocessing
import os
import resource
import time
from pathlib import Path

import pytest

from glutemed.io.atomic import (
    OutputPathError,
    StorageError,
    atomic_write_bytes,
    atomic_write_text,
    check_output_dir,
    check_output_file,
    locked,
)


def test_replaces_whole_and_keeps_mode(tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o600)
    atomic_write_text(path, "new")
    assert path.read_text(encoding="utf-8") == "new"
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.json"]


def _write_under_fsize(path: str, size: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    try:
        atomic_write_bytes(path, b"x" * (size * 2))
    except StorageError as exc:
        queue.put(("StorageError", str(exc), exc.__cause__.errno if exc.__cause__ else None))
    else:
        queue.put(("written", "", None))


def test_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    path.write_bytes(b"precious")
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    proc = multiprocessing.get_context("fork").Process(
        target=_write_under_fsize, args=(str(path), 4096, queue)
    )
    proc.start()
    proc.join(60)
    kind, message, err = queue.get(timeout=5)
    assert kind == "StorageError"
    assert err == errno.EFBIG
    assert "could not be written (the file-size limit was reached); the old file is untouched" in message
    assert path.read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.json"]


def test_write_into_a_folder_path_fails_cleanly(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a folder"):
        atomic_write_text(tmp_path, "x")


def _hold(path: str, seconds: float) -> None:
    with locked(path):
        time.sleep(seconds)


def test_lock_serialises(tmp_path: Path) -> None:
    path = tmp_path / "book.json"
    holder = multiprocessing.get_context("fork").Process(target=_hold, args=(str(path), 1.5))
    holder.start()
    time.sleep(0.5)
    began = time.monotonic()
    with locked(path):
        waited = time.monotonic() - began
    holder.join()
    assert waited > 0.5


def test_output_checks(tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    afile = tmp_path / "file.txt"
    afile.write_text("x", encoding="utf-8")
    with pytest.raises(OutputPathError, match="is a folder"):
        check_output_file(folder)
    with pytest.raises(OutputPathError, match="is a folder"):
        check_output_file(f"{tmp_path}/new/")
    with pytest.raises(OutputPathError, match="not a folder"):
        check_output_dir(afile)
    with pytest.raises(OutputPathError, match="is a file, not a folder"):
        check_output_file(afile / "x.html")
    with pytest.raises(OutputPathError, match="not a regular file"):
        check_output_file("/dev/null")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OutputPathError, match="not a regular file"):
        check_output_file(fifo)
    assert check_output_file(tmp_path / "deeper" / "new.html") == tmp_path / "deeper" / "new.html"
    assert check_output_dir(tmp_path / "new-folder") == tmp_path / "new-folder"
