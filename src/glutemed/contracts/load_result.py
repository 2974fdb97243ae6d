"""The training-load result (``glutemed.load/v1``) written by ``glutemed load --json`` and read by ``assess``.

The load command owns every judgement: readers take ``judgement`` as it is and never re-derive a spike or a
caution from the model rows. In it:

- ``session_spikes``: runs longer than ``thresholds.session_spike_above_pct_of_longest`` (110) percent of the
  longest run of the previous 30 days, in the Garmin-RUNSAFE categories (frandsen2025). Only these are spikes.
- ``weekly_cautions``: weeks more than ``thresholds.weekly_caution_above_pct`` (30) percent above the week
  before, judged only when that week held at least ``thresholds.weekly_min_previous_km``. A caution, not a
  spike (nielsen2014a: HR 1.59, 95% CI 0.96-2.66).
- ``max_session_pct_of_longest`` and ``max_weekly_increase_pct``: the largest judged values over the
  ``window_days`` days up to ``window_to`` (the last run); null when nothing in the window could be judged.
- ``acwr_withheld_reason``: why the acute:chronic ratio of the last day is not given, or null when it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from glutemed.contracts.gait_result import ContractError, require_schema, validate_contract

SCHEMA = "glutemed.load/v1"

SpikeCategory = Literal[">10-30%", ">30-100%", ">100%"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionSpikeOut(_Model):
    """One run that is a spike under the single-run rule."""

    date: dt.date = Field(description="UTC calendar day of the run")
    start_utc: AwareDatetime
    distance_km: float = Field(ge=0)
    longest_prev_30d_km: float = Field(gt=0)
    pct_of_longest_prev_30d: float = Field(gt=0)
    category: SpikeCategory
    hrr: float = Field(gt=0, description="hazard rate ratio of the category (frandsen2025)")
    hrr_ci95: tuple[float, float]


class WeeklyCautionOut(_Model):
    """One ISO week (Monday start) whose running distance rose past the caution threshold."""

    week_start: dt.date
    distance_km: float = Field(ge=0)
    previous_km: float = Field(gt=0)
    change_pct: float


class LoadThresholdsOut(_Model):
    """The thresholds the judgement used (from ``clinical_thresholds`` in the rules)."""

    weekly_caution_above_pct: float
    weekly_min_previous_km: float = Field(ge=0, description="glutemed default")
    session_spike_above_pct_of_longest: float
    session_min_longest_km: float = Field(ge=0, description="glutemed default")
    acwr_layoff_days: int = Field(ge=1, description="glutemed default")
    acwr_min_weeks_with_running: int = Field(ge=0, le=4, description="glutemed default")


class LoadJudgementOut(_Model):
    session_spikes: list[SessionSpikeOut]
    weekly_cautions: list[WeeklyCautionOut]
    window_days: int = Field(ge=0)
    window_from: dt.date | None
    window_to: dt.date | None
    max_session_pct_of_longest: float | None = Field(ge=0)
    max_weekly_increase_pct: float | None = Field(ge=-100)
    acwr_withheld_reason: str | None
    thresholds: LoadThresholdsOut

    @model_validator(mode="after")
    def _consistent(self) -> LoadJudgementOut:
        t = self.thresholds
        for spike in self.session_spikes:
            if spike.pct_of_longest_prev_30d <= t.session_spike_above_pct_of_longest:
                raise ValueError(f"session spike on {spike.date} is not above the spike threshold")
        for week in self.weekly_cautions:
            if week.change_pct <= t.weekly_caution_above_pct or week.previous_km < t.weekly_min_previous_km:
                raise ValueError(f"weekly caution of {week.week_start} does not meet the caution rule")
        has_max = self.max_session_pct_of_longest is not None or self.max_weekly_increase_pct is not None
        if has_max and (self.window_from is None or self.window_to is None):
            raise ValueError("largest values given without the window they cover")
        return self


class CountsOut(_Model):
    runs: int = Field(ge=0)
    other_sessions: int = Field(ge=0)
    other_by_sport: dict[str, int]
    skipped: int = Field(ge=0)
    duplicates: int = Field(ge=0)


class SessionOut(_Model):
    """One activity's totals (distances in metres, times in seconds)."""

    start_utc: AwareDatetime
    sport: str
    raw_sport: str
    distance_m: float = Field(ge=0)
    moving_time_s: float = Field(ge=0)
    elapsed_time_s: float | None
    pace_s_per_km: float | None
    elevation_gain_m: float | None
    elevation_loss_m: float | None
    gain_m_per_km: float | None
    hr_mean_bpm: float | None
    hr_max_bpm: float | None
    cadence_mean_spm: float | None
    rpe: float | None
    surface: str | None
    gear: str | None
    format: str
    sources: list[str] = Field(min_length=1)


class SkippedOut(_Model):
    source: str
    reason: str
    duplicate_of: str | None = None


class LoadResult(_Model):
    """The whole ``glutemed load --json`` output. ``models`` keeps each load model's rows for display only."""

    schema_: Literal["glutemed.load/v1"] = Field(alias="schema")
    glutemed_version: str = Field(min_length=1)
    meta: dict[str, Any]
    since: dt.date | None
    summary: dict[str, Any]
    counts: CountsOut
    judgement: LoadJudgementOut
    models: dict[str, dict[str, Any]]
    runs: list[SessionOut]
    other_sessions: list[SessionOut]
    skipped: list[SkippedOut]
    references: list[str]

    @model_validator(mode="after")
    def _counts_match(self) -> LoadResult:
        if self.counts.runs != len(self.runs):
            raise ValueError(f"counts.runs is {self.counts.runs} but {len(self.runs)} runs are listed")
        return self


def read_load_result(data: Mapping[str, Any], source: str) -> LoadResult:
    """Validate a parsed load result; a wrong shape is a :class:`ContractError` (a ValueError) naming ``source``.

    The assessment maps ``result.judgement.max_session_pct_of_longest`` and
    ``result.judgement.max_weekly_increase_pct`` to its load evidence.
    """
    data = require_schema(
        data, source, schema=SCHEMA, what="load result", how="make one with `glutemed load HISTORY --json`"
    )
    if "judgement" not in data:
        raise ContractError(
            f"{source}: a load result without a judgement block, made by an older glutemed; "
            "run `glutemed load HISTORY --json` again"
        )
    return validate_contract(LoadResult, data, source, SCHEMA)
