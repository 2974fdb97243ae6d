"""Keep MediaPipe's native log lines off the terminal while its graphs start.

MediaPipe, TensorFlow Lite and absl log from C++ straight to file descriptor 2 when a graph opens its
inference calculators ("INFO: Created TensorFlow Lite XNNPACK delegate for CPU.", "WARNING: All log messages
before absl::InitializeLog() is called are written to STDERR", "W0000 ... inference_feedback_manager.cc ...").
Environment variables do not reach all of them (absl's C++ log level is fixed when the wheel is built), and
they break the progress bar. :func:`native_stderr_silenced` points descriptor 2 at the null device for the
duration of a ``with`` block, and meanwhile gives Python's ``sys.stderr`` (warnings, Rich's progress bar) a
stream on the real terminal, so only the native lines are lost. It is reentrant and thread-safe: the first
block to enter redirects, the last to leave restores.

``GLUTEMED_NATIVE_LOGS=1`` turns the silencing off (to see MediaPipe's own diagnostics).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import TextIO


class _Redirect:
    """The one process-wide redirect of descriptor 2, counted by the blocks inside it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.saved_fd: int | None = None
        self.python_stderr: TextIO | None = None  # sys.stderr before the redirect, when it was replaced

    def enter(self) -> None:
        with self.lock:
            self.depth += 1
            if self.depth > 1:
                return
            try:
                if sys.stderr is not None:
                    sys.stderr.flush()
                saved = os.dup(2)
            except (OSError, ValueError):
                return  # no descriptor 2 to save: leave everything as it is
            null = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(null, 2)
            finally:
                os.close(null)
            self.saved_fd = saved
            if _stderr_is_fd2():
                self.python_stderr = sys.stderr
                encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
                errors = getattr(sys.stderr, "errors", None) or "backslashreplace"
                sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, encoding=encoding, errors=errors)

    def leave(self) -> None:
        with self.lock:
            self.depth -= 1
            if self.depth > 0 or self.saved_fd is None:
                return
            if self.python_stderr is not None:
                replacement, sys.stderr = sys.stderr, self.python_stderr
                self.python_stderr = None
                # not closed: a thread (Rich's refresh) may still hold it; it closes when collected
                with suppress(OSError, ValueError):
                    replacement.flush()
            os.dup2(self.saved_fd, 2)
            os.close(self.saved_fd)
            self.saved_fd = None


def _stderr_is_fd2() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):  # pytest's capture, a StringIO, a closed stream
        return False


_REDIRECT = _Redirect()


@contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Within the block, C/C++ writes to descriptor 2 are dropped; Python's ``sys.stderr`` still shows."""
    if os.environ.get("GLUTEMED_NATIVE_LOGS", "") not in ("", "0"):
        yield
        return
    _REDIRECT.enter()
    try:
        yield
    finally:
        _REDIRECT.leave()
