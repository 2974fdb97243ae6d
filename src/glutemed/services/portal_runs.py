"""The runner portal's runs: a logged run validated, and judged with the training-load models of ``glutemed load``
(:func:`glutemed.core.load_models.build_report` with the bundled thresholds): a run longer than the spike
threshold of the longest run of the previous 30 days is a spike (frandsen2025). See :mod:`glutemed.services.portal`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field, ValidationError
from sqlalchemy.orm import Session

from glutemed.core.load import Session as LoadSession
from glutemed.core.load_models import build_report
from glutemed.db import portal as repo
from glutemed.db.models import TrainingLog
from glutemed.services.intake_schema import _Strict
from glutemed.services.load import load_params
from glutemed.services.portal_views import PortalInputError


class RunIn(_Strict):
    """One run as the runner logs it on the phone."""

    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    distance_km: float = Field(gt=0, le=300)
    duration_min: float = Field(gt=0, le=3000)
    pain_during_0_10: float = Field(ge=0, le=10)
    pain_next_morning_0_10: float | None = Field(default=None, ge=0, le=10)


@dataclass(frozen=True)
class RunJudgement:
    """A logged run against the runner's logged runs, the way ``glutemed load`` judges an import."""

    spike: bool
    distance_km: float
    longest_prev_30d_km: float | None
    pct_of_longest_prev_30d: float | None
    category: str
    weekly_caution: bool
    week_km: float
    previous_week_km: float | None
    plain: str
    refs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "spike": self.spike,
            "distance_km": self.distance_km,
            "longest_prev_30d_km": self.longest_prev_30d_km,
            "pct_of_longest_prev_30d": self.pct_of_longest_prev_30d,
            "category": self.category,
            "weekly_caution": self.weekly_caution,
            "week_km": self.week_km,
            "previous_week_km": self.previous_week_km,
            "plain": self.plain,
            "refs": list(self.refs),
        }


def validate_run(data: dict[str, Any]) -> RunIn:
    """A run from a form or JSON; PortalInputError with a message per field."""
    try:
        run = RunIn.model_validate(data)
        dt.date.fromisoformat(run.date)
    except ValidationError as exc:
        fields = {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
        raise PortalInputError("The run was not stored: " + "; ".join(fields.values()), fields) from None
    except ValueError:
        raise PortalInputError(
            "The run was not stored: not a real date.", {"date": "not a real date"}
        ) from None
    return run


# ------------------------------------------------------------------------------------------- runs


def _load_sessions(runs: Sequence[TrainingLog]) -> list[LoadSession]:
    """Logged runs as the load models' sessions: noon UTC of their day, a minute apart within a day."""
    out: list[LoadSession] = []
    per_day: dict[dt.date, int] = {}
    for row in runs:
        n = per_day.get(row.day, 0)
        per_day[row.day] = n + 1
        start = dt.datetime.combine(row.day, dt.time(12, 0), tzinfo=dt.UTC) + dt.timedelta(minutes=n)
        out.append(
            LoadSession(
                start_utc=start,
                sport="running",
                distance_m=float(row.data.get("distance_km", 0)) * 1000.0,
                moving_time_s=float(row.data.get("duration_min", 0)) * 60.0,
                sources=(f"portal log {row.id}",),
            )
        )
    return out


def judge_run(s: Session, runner_id: int, run: TrainingLog) -> RunJudgement:
    """The run's spike category and its week's change, by the load models and thresholds of ``glutemed load``."""
    runs = repo.list_logs(s, runner_id, kind="run")
    sessions = _load_sessions(runs)
    index = next(i for i, r in enumerate(runs) if r.id == run.id)
    mine = sessions[index]
    params = load_params()
    report = build_report(sessions, [], params=params)
    spike_row = next(
        r for r in report.model("session_spikes").rows if r["start_utc"] == mine.start_utc.isoformat()
    )
    week = mine.start_utc.date() - dt.timedelta(days=mine.start_utc.weekday())
    week_row = next((r for r in report.model("week_change").rows if r["week_start"] == week.isoformat()), {})
    caution = bool(week_row.get("caution"))
    spike = bool(spike_row.get("spike"))
    pct = spike_row.get("pct_of_longest_prev_30d")
    longest = spike_row.get("longest_prev_30d_km")
    km = round(mine.distance_m / 1000, 2)
    if spike and pct is not None and longest is not None:
        plain = (
            f"This run was {pct - 100:.0f}% longer than your longest run of the 30 days before it "
            f"({longest:g} km). Runs that much longer than usual came with more injuries in a large study "
            "of runners: build up your long run in smaller steps."
        )
    elif longest is None:
        plain = "This is your first logged run in 30 days, so there is nothing to compare it with yet."
    elif pct is None:
        plain = "Your runs of the last 30 days are still short, so this run is not compared with them."
    else:
        plain = f"This run was within the usual range: your longest run of the 30 days before it was {longest:g} km."
    if caution:
        plain += (
            f" Your running this week ({week_row.get('distance_km')} km) is more than "
            f"{params.weekly_caution_above_pct:g}% above last week's ({week_row.get('previous_km')} km): "
            "take it as a caution."
        )
    refs = ("frandsen2025",) + (("nielsen2014a",) if caution else ())
    return RunJudgement(
        spike=spike,
        distance_km=km,
        longest_prev_30d_km=longest,
        pct_of_longest_prev_30d=pct,
        category=str(spike_row.get("category", "")),
        weekly_caution=caution,
        week_km=float(week_row.get("distance_km") or km),
        previous_week_km=week_row.get("previous_km"),
        plain=plain,
        refs=refs,
    )
