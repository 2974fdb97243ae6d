"""What a runner's load history supports saying: spikes, cautions, and when the acute:chronic ratio is withheld.

- A *spike* is the single-run rule of the Garmin-RUNSAFE cohort (frandsen2025): a run longer than 110% of the
  longest run of the previous 30 days. It is judged only when that longest run was at least
  ``session_min_longest_km`` long (a glutemed default): below it a warm-up or a short test recording stands in
  for the month's longest run and turns an ordinary run into a percentage of thousands.
- A *caution* is a week more than 30% above the week before (nielsen2014a: novices, HR 1.59 with a 95% CI of
  0.96-2.66 that crosses 1; frandsen2025 found no association for the week-to-week ratio). It is judged only
  when the week before held at least ``weekly_min_previous_km`` (a glutemed default), for the same reason.
- The acute:chronic ratio, when ``core.load_acwr`` withholds it, is reported with the reason for the last day.

The largest session percentage and weekly increase are taken over the last ``RECENT_WINDOW_DAYS`` days up to
the last run (a glutemed default that matches the 28-day chronic window); they are what the assessment reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from glutemed.core.load import LoadJudgement, LoadParams, ModelResult, SessionSpike, WeeklyCaution

RECENT_WINDOW_DAYS = 28


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _spikes(rows: Sequence[Mapping[str, Any]]) -> tuple[SessionSpike, ...]:
    return tuple(
        SessionSpike(
            start_utc=r["start_utc"],
            distance_km=r["distance_km"],
            longest_prev_30d_km=r["longest_prev_30d_km"],
            pct_of_longest_prev_30d=r["pct_of_longest_prev_30d"],
            category=r["category"],
            hrr=r["hrr"],
            hrr_ci95=(r["hrr_ci95"][0], r["hrr_ci95"][1]),
        )
        for r in rows
        if r.get("spike")
    )


def _cautions(rows: Sequence[Mapping[str, Any]]) -> tuple[WeeklyCaution, ...]:
    return tuple(
        WeeklyCaution(r["week_start"], r["distance_km"], r["previous_km"], r["change_pct"])
        for r in rows
        if r.get("caution")
    )


def judge(models: Sequence[ModelResult], last_day: dt.date, params: LoadParams) -> LoadJudgement:
    """Collect spikes and cautions, the largest judged values of the recent window, and the ACWR verdict."""
    by_name = {m.name: m for m in models}
    spikes, weeks, acwr = by_name["session_spikes"].rows, by_name["week_change"].rows, by_name["acwr"].rows
    since = last_day - dt.timedelta(days=RECENT_WINDOW_DAYS - 1)
    pcts = [
        r["pct_of_longest_prev_30d"]
        for r in spikes
        if r.get("pct_of_longest_prev_30d") is not None
        and dt.date.fromisoformat(r["start_utc"][:10]) >= since
    ]
    changes = [
        r["change_pct"]
        for r in weeks
        if r["change_pct"] is not None and dt.date.fromisoformat(r["week_start"]) >= week_start(since)
    ]
    reason = acwr[-1]["withheld_reason"] if acwr else by_name["acwr"].extra.get("withheld_reason")
    return LoadJudgement(
        params=params,
        session_spikes=_spikes(spikes),
        weekly_cautions=_cautions(weeks),
        window_days=RECENT_WINDOW_DAYS,
        window_from=since.isoformat(),
        window_to=last_day.isoformat(),
        max_session_pct_of_longest=max(pcts, default=None),
        max_weekly_increase_pct=max(changes, default=None),
        acwr_withheld_reason=reason,
    )


def no_runs_judgement(params: LoadParams) -> LoadJudgement:
    return LoadJudgement(params=params, acwr_withheld_reason="no runs")
