"""Training sessions and the training-load report.

A :class:`Session` is one activity reduced to its totals (no GPS track, no samples): when it started (UTC),
the normalised sport, distance, moving time, climbing, heart rate and cadence, and where it came from. The
readers in ``glutemed.io.activities`` build them; :func:`glutemed.core.load_models.build_report` turns a list
of them into a :class:`LoadReport`, whose ``to_dict()`` is the JSON the assessment reads
(schema ``glutemed.load/v1``, validated by ``glutemed.contracts.load_result``). Its ``judgement`` block
(:class:`LoadJudgement`) holds what the evidence supports: single-run spikes, weekly cautions, the largest
values of the recent window and, when the acute:chronic ratio is withheld, why.

Sports are normalised to ``running``, ``treadmill`` and ``trail-running`` (the three that count as running
load); every other sport keeps its own lower-case name and is reported apart; ``unknown`` marks a file that
does not say what it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

SCHEMA = "glutemed.load/v1"
RUN_SPORTS = frozenset({"running", "treadmill", "trail-running"})
UNKNOWN_SPORT = "unknown"


@dataclass(frozen=True, slots=True)
class Session:
    """One activity's totals. ``start_utc`` is timezone-aware (UTC); distances in metres, times in seconds."""

    start_utc: dt.datetime
    sport: str
    distance_m: float
    moving_time_s: float
    sources: tuple[str, ...]
    elapsed_time_s: float | None = None
    elevation_gain_m: float | None = None
    elevation_loss_m: float | None = None
    hr_mean_bpm: float | None = None
    hr_max_bpm: float | None = None
    cadence_mean_spm: float | None = None
    rpe: float | None = None
    raw_sport: str = ""
    surface: str | None = None
    gear: str | None = None
    fmt: str = ""

    @property
    def is_run(self) -> bool:
        return self.sport in RUN_SPORTS

    @property
    def pace_s_per_km(self) -> float | None:
        if self.distance_m <= 0 or self.moving_time_s <= 0:
            return None
        return self.moving_time_s / (self.distance_m / 1000.0)

    @property
    def gain_m_per_km(self) -> float | None:
        if self.elevation_gain_m is None or self.distance_m <= 0:
            return None
        return self.elevation_gain_m / (self.distance_m / 1000.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_utc": self.start_utc.isoformat(),
            "sport": self.sport,
            "raw_sport": self.raw_sport,
            "distance_m": _r(self.distance_m, 1),
            "moving_time_s": _r(self.moving_time_s, 1),
            "elapsed_time_s": _r(self.elapsed_time_s, 1),
            "pace_s_per_km": _r(self.pace_s_per_km, 1),
            "elevation_gain_m": _r(self.elevation_gain_m, 1),
            "elevation_loss_m": _r(self.elevation_loss_m, 1),
            "gain_m_per_km": _r(self.gain_m_per_km, 2),
            "hr_mean_bpm": _r(self.hr_mean_bpm, 1),
            "hr_max_bpm": _r(self.hr_max_bpm, 1),
            "cadence_mean_spm": _r(self.cadence_mean_spm, 1),
            "rpe": self.rpe,
            "surface": self.surface,
            "gear": self.gear,
            "format": self.fmt,
            "sources": list(self.sources),
        }


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file (or one activity inside it) that was not used, and why."""

    source: str
    reason: str
    duplicate_of: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source, "reason": self.reason}
        if self.duplicate_of is not None:
            out["duplicate_of"] = self.duplicate_of
        return out


@dataclass(frozen=True, slots=True)
class Citation:
    """A statement a model rests on, with the knowledge-base reference keys behind it."""

    text: str
    refs: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "refs": list(self.refs)}


@dataclass(frozen=True, slots=True)
class ModelResult:
    """One load model's output: its rows (JSON-ready dicts), the cautions that go with it and its sources."""

    name: str
    rows: tuple[dict[str, Any], ...]
    refs: tuple[str, ...]
    notes: tuple[Citation, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "refs": list(self.refs),
            "notes": [n.to_dict() for n in self.notes],
            **self.extra,
            "rows": list(self.rows),
        }


@dataclass(frozen=True, slots=True)
class LoadReport:
    """Everything the load import found: runs, other sports, skipped files and the load models."""

    runs: tuple[Session, ...]
    other_sessions: tuple[Session, ...]
    skipped: tuple[Skipped, ...]
    models: tuple[ModelResult, ...]
    summary: dict[str, Any]
    judgement: LoadJudgement
    since: dt.date | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def model(self, name: str) -> ModelResult:
        for m in self.models:
            if m.name == name:
                return m
        raise KeyError(name)

    @property
    def duplicates(self) -> tuple[Skipped, ...]:
        return tuple(s for s in self.skipped if s.duplicate_of is not None)

    def to_dict(self) -> dict[str, Any]:
        other: dict[str, int] = {}
        for s in self.other_sessions:
            other[s.sport] = other.get(s.sport, 0) + 1
        refs = sorted({r for m in self.models for r in m.refs})
        return {
            "schema": SCHEMA,
            "glutemed_version": self.meta.get("glutemed_version"),
            "meta": dict(self.meta),
            "since": self.since.isoformat() if self.since else None,
            "summary": dict(self.summary),
            "counts": {
                "runs": len(self.runs),
                "other_sessions": len(self.other_sessions),
                "other_by_sport": dict(sorted(other.items())),
                "skipped": len(self.skipped) - len(self.duplicates),
                "duplicates": len(self.duplicates),
            },
            "judgement": self.judgement.to_dict(),
            "models": {m.name: m.to_dict() for m in self.models},
            "runs": [s.to_dict() for s in self.runs],
            "other_sessions": [s.to_dict() for s in self.other_sessions],
            "skipped": [s.to_dict() for s in self.skipped],
            "references": refs,
        }


@dataclass(frozen=True, slots=True)
class LoadParams:
    """The thresholds the load judgement uses; the service reads them from the knowledge-base rules.

    ``weekly_caution_above_pct`` (nielsen2014a) and ``session_spike_above_pct_of_longest`` (frandsen2025) come
    from studies; the two minimum bases and the two acute:chronic conditions are glutemed's own defaults.
    """

    weekly_caution_above_pct: float
    weekly_min_previous_km: float
    session_spike_above_pct_of_longest: float
    session_min_longest_km: float
    acwr_layoff_days: int
    acwr_min_weeks_with_running: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "weekly_caution_above_pct": self.weekly_caution_above_pct,
            "weekly_min_previous_km": self.weekly_min_previous_km,
            "session_spike_above_pct_of_longest": self.session_spike_above_pct_of_longest,
            "session_min_longest_km": self.session_min_longest_km,
            "acwr_layoff_days": self.acwr_layoff_days,
            "acwr_min_weeks_with_running": self.acwr_min_weeks_with_running,
        }


@dataclass(frozen=True, slots=True)
class SessionSpike:
    """A run longer than the spike threshold (% of the longest run of the previous 30 days)."""

    start_utc: str
    distance_km: float
    longest_prev_30d_km: float
    pct_of_longest_prev_30d: float
    category: str
    hrr: float
    hrr_ci95: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.start_utc[:10],
            "start_utc": self.start_utc,
            "distance_km": self.distance_km,
            "longest_prev_30d_km": self.longest_prev_30d_km,
            "pct_of_longest_prev_30d": self.pct_of_longest_prev_30d,
            "category": self.category,
            "hrr": self.hrr,
            "hrr_ci95": list(self.hrr_ci95),
        }


@dataclass(frozen=True, slots=True)
class WeeklyCaution:
    """An ISO week whose running distance rose by more than the caution threshold over a real base."""

    week_start: str
    distance_km: float
    previous_km: float
    change_pct: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "week_start": self.week_start,
            "distance_km": self.distance_km,
            "previous_km": self.previous_km,
            "change_pct": self.change_pct,
        }


@dataclass(frozen=True, slots=True)
class LoadJudgement:
    """What the load history supports saying; the largest values cover the recent window only."""

    params: LoadParams
    session_spikes: tuple[SessionSpike, ...] = ()
    weekly_cautions: tuple[WeeklyCaution, ...] = ()
    window_days: int = 0
    window_from: str | None = None
    window_to: str | None = None
    max_session_pct_of_longest: float | None = None
    max_weekly_increase_pct: float | None = None
    acwr_withheld_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_spikes": [s.to_dict() for s in self.session_spikes],
            "weekly_cautions": [w.to_dict() for w in self.weekly_cautions],
            "window_days": self.window_days,
            "window_from": self.window_from,
            "window_to": self.window_to,
            "max_session_pct_of_longest": self.max_session_pct_of_longest,
            "max_weekly_increase_pct": self.max_weekly_increase_pct,
            "acwr_withheld_reason": self.acwr_withheld_reason,
            "thresholds": self.params.to_dict(),
        }


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)
