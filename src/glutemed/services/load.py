"""Use case: import a runner's activity history and compute the training-load report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from pathlib import Path

from glutemed import __version__
from glutemed.core.load import UNKNOWN_SPORT, LoadParams, LoadReport, Session, Skipped
from glutemed.core.load_models import build_report
from glutemed.io.activities import dedupe, scan
from glutemed.knowledge.rules import load_rules

Progress = Callable[[int, int, str], None]


@cache
def load_params() -> LoadParams:
    """The load thresholds from the bundled rules (``clinical_thresholds`` in ``rules/findings.yaml``)."""
    t = load_rules().findings.clinical_thresholds
    return LoadParams(
        weekly_caution_above_pct=t.weekly_increase_flag_pct.value,
        weekly_min_previous_km=t.weekly_change_min_previous_km.value,
        session_spike_above_pct_of_longest=t.session_spike_flag_pct.value,
        session_min_longest_km=t.session_spike_min_longest_km.value,
        acwr_layoff_days=int(t.acwr_layoff_days.value),
        acwr_min_weeks_with_running=int(t.acwr_min_weeks_with_running.value),
    )


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
    return build_report(known, [*skipped, *duplicates], params=load_params(), since=since, meta=meta)
