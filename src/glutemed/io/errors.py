"""Errors raised by the keypoint and motion-capture readers."""

from __future__ import annotations

from pathlib import Path


class InputFileError(ValueError):
    """A keypoint or motion-capture file cannot be used.

    The message always starts with the file and then says what is wrong with it, so a command-line user
    can fix the right file without reading a traceback.
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
