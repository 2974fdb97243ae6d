"""Use case: import a runner's activity history and compute the training-load report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from glutemed import __version__
from glutemed.core.load import UNKNOWN_SPORT, LoadReport, Session, Skipped
from glutemed.core.load_models import build_report
from glutemed.io.activities import dedupe, scan

Progress = Callable[[int, int, str], None]


def import_history(
    path: str | Path, since: dt.date | None = None, progress: Progress | None = None
) -> LoadReport:
    """Read every activity under ``path`` (file, folder or zip), drop duplicates and build the report.

    Sessions whose sport the file does not record are kept through de-duplication (a GPX twin of a FIT run
    is recognised as a duplicate) and only then skipped with the reason. Raises FileNotFoundError for a
    missing path; a bad file never stops the import.
    """
    sessions: list[Session] = []
    skipped: list[Skipped] = []
    stats: dict[str, int] = {}
    for item in scan(path, progress=progress, stats=stats):
        if isinstance(item, Session):
            if since is None or item.start_utc.date() >= since:
                sessions.append(item)
        else:
            skipped.append(item)
    kept, duplicates = dedupe(sessions)
    known: list[Session] = []
    for s in kept:
        if s.sport == UNKNOWN_SPORT:
            label = f" '{s.raw_sport}'" if s.raw_sport else ""
            skipped.append(Skipped(s.sources[0], f"unknown sport{label}: the file does not say it was a run"))
        else:
            known.append(s)
    meta = {"glutemed_version": __version__, "source": str(path), **stats}
    return build_report(known, [*skipped, *duplicates], since=since, meta=meta)
