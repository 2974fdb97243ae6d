"""How a command that writes files ends: the one file to open first, the next ones, the rest in one line.

A command that writes several files used to list them all (the demo eleven) without saying which one matters.
:func:`print_open_first` ends it with::

    Other files in glutemed-out/demo/: gait/result.json, gait/stances.csv, report.pdf, ...
    Open first: glutemed-out/demo/report.html (the gait report)
    Then: glutemed-out/demo/runner-summary.html (the runner's summary), glutemed-out/demo/program.html (...)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from glutemed.cli.common import console, show_path

Ranked = tuple[Path, str]  # a file and what it is, in a few words


def _folder_and_names(paths: Sequence[Path]) -> tuple[str, list[str]]:
    """The folder the paths share (empty when none) and each path relative to it."""
    try:
        common = Path(os.path.commonpath([str(p.parent) for p in paths]))
    except ValueError:  # absolute and relative paths mixed, or other drives
        return "", [str(p) for p in paths]
    if str(common) in ("", "."):
        return "", [str(p) for p in paths]
    return f"{common}/", [str(p.relative_to(common)) for p in paths]


def print_open_first(
    ranked: Sequence[Ranked], others: Sequence[Path] = (), *, to: Console | None = None
) -> None:
    """Print the other files in one line, then "Open first: ..." and "Then: ..." for the ranked ones.

    ``ranked`` is most useful first; ``others`` are listed by name under their common folder. Nothing is
    printed when no file was written.
    """
    out = to or console
    ranked_paths = {p for p, _ in ranked}
    rest = [p for p in dict.fromkeys(others) if p not in ranked_paths]
    if rest:
        folder, names = _folder_and_names(rest)
        where = f" in {show_path(folder)}" if folder else ""
        out.print(f"Other files{where}: {show_path(', '.join(names))}", highlight=False)
    if not ranked:
        return
    first, what = ranked[0]
    out.print(f"[bold]Open first:[/] {show_path(first)} ({what})", highlight=False)
    if len(ranked) > 1:
        then = ", ".join(f"{show_path(p)} ({w})" for p, w in ranked[1:])
        out.print(f"Then: {then}", highlight=False)
