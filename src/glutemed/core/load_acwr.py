"""The acute:chronic ratio of daily running distance, and when glutemed withholds it.

Acute 7 days, chronic 28 days, as rolling means and as EWMA with lambda = 2/(N+1) (williams2017). It is shown
for information only: in 5,205 runners it showed no positive association with injury (frandsen2025). No ratio
is given until the 28-day chronic window is full, holds no layoff and has running in most of its four weeks.
The layoff length (``LoadParams.acwr_layoff_days``) and the number of weeks
(``LoadParams.acwr_min_weeks_with_running``) are glutemed defaults: a 14-day gap is half the chronic window, so
for a runner who runs the same every week it halves the chronic mean and doubles the ratio after the return
with no rise in training. wang2020 explains why a ratio can misrepresent a change in activity and describes the
EWMA's initial-load problem and the trouble with sparse data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glutemed.core.load import Citation, LoadParams, ModelResult
from glutemed.core.series import FloatArray

ACUTE_DAYS = 7
CHRONIC_DAYS = 28  # williams2017: N = 28 days for the chronic load
WEEKS_IN_CHRONIC = CHRONIC_DAYS // 7

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int_]

ACWR_CAUTION = Citation(
    "In 5,205 runners the acute:chronic ratio (1 week vs 3 weeks) showed no positive association with "
    "injury (a negative dose-response), so it is shown for information only, not as a risk score.",
    ("frandsen2025",),
)


def ran_days(km: FloatArray, minutes: FloatArray) -> BoolArray:
    """A day counts as a running day when a run on it recorded distance or moving time."""
    return np.asarray((km > 0) | (minutes > 0))


def spell_starts(ran: BoolArray, layoff_days: int) -> tuple[IntArray, IntArray]:
    """Per day: the index where the current running spell began, and the days since the last run.

    A layoff is ``layoff_days`` or more consecutive days without a run; the first run after one starts a new
    spell. ``ran[0]`` is the first run day.
    """
    n = len(ran)
    start, since = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    current, last = 0, 0
    for i in range(n):
        if ran[i]:
            if i - last - 1 >= layoff_days:
                current = i
            last = i
        start[i], since[i] = current, i - last
    return start, since


def acwr_withheld_reason(
    i: int, first: dt.date, ran: BoolArray, spells: tuple[IntArray, IntArray], params: LoadParams
) -> str | None:
    """Why no acute:chronic ratio can be given for day ``i`` (days from ``first``), or None when it can."""
    start, since = spells
    if i + 1 < CHRONIC_DAYS:
        return f"only {i + 1} days of running history; the ratio needs {CHRONIC_DAYS}"
    if since[i] >= params.acwr_layoff_days:
        return (
            f"no run in the last {int(since[i])} days (a layoff: {params.acwr_layoff_days} or more days without "
            f"running); the ratio resumes {CHRONIC_DAYS} days after the first run back"
        )
    if i - start[i] + 1 < CHRONIC_DAYS:
        back = int(start[i])
        gap = back - int(np.flatnonzero(ran[:back])[-1]) - 1
        resume = first + dt.timedelta(days=back + CHRONIC_DAYS - 1)
        return (
            f"back on {(first + dt.timedelta(days=back)).isoformat()} from a layoff of {gap} days without running "
            f"(a layoff is {params.acwr_layoff_days} days or more); the ratio resumes once the {CHRONIC_DAYS}-day "
            f"window holds no part of the layoff, on {resume.isoformat()}"
        )
    weeks = ran[i + 1 - CHRONIC_DAYS : i + 1].reshape(WEEKS_IN_CHRONIC, 7).any(axis=1)
    n_weeks = int(weeks.sum())
    if n_weeks < params.acwr_min_weeks_with_running:
        return (
            f"running in only {n_weeks} of the last {WEEKS_IN_CHRONIC} weeks; the ratio needs running in at "
            f"least {params.acwr_min_weeks_with_running}"
        )
    return None


def ewma(load: FloatArray, n_days: int) -> FloatArray:
    """EWMA_t = lambda * load_t + (1 - lambda) * EWMA_(t-1), lambda = 2 / (N + 1), seeded with the first day."""
    lam = 2.0 / (n_days + 1.0)
    out = np.empty_like(load, dtype=float)
    prev = float(load[0]) if len(load) else 0.0
    for i, value in enumerate(load):
        prev = lam * float(value) + (1.0 - lam) * prev
        out[i] = prev
    return out


def rolling_mean(load: FloatArray, n_days: int) -> FloatArray:
    """Mean of the last ``n_days`` days (NaN until there are that many days)."""
    out = np.full(len(load), np.nan)
    if len(load) >= n_days:
        csum = np.concatenate(([0.0], np.cumsum(load)))
        out[n_days - 1 :] = (csum[n_days:] - csum[:-n_days]) / n_days
    return out


def _ratio(a: float, c: float) -> float | None:
    return None if not np.isfinite(a) or not np.isfinite(c) or c <= 0 else round(a / c, 3)


def _acwr_row(day: dt.date, means: Sequence[FloatArray], i: int, reason: str | None) -> dict[str, Any]:
    roll_a, roll_c, ew_a, ew_c = (float(m[i]) for m in means)
    return {
        "date": day.isoformat(),
        "rolling_acute_km_per_day": round(roll_a, 3),
        "rolling_chronic_km_per_day": round(roll_c, 3),
        "rolling_ratio": None if reason else _ratio(roll_a, roll_c),
        "ewma_acute_km_per_day": round(ew_a, 3),
        "ewma_chronic_km_per_day": round(ew_c, 3),
        "ewma_ratio": None if reason else _ratio(ew_a, ew_c),
        "withheld_reason": reason,
    }


def acwr(first: dt.date, km: FloatArray, minutes: FloatArray, params: LoadParams) -> ModelResult:
    """Acute (7 d) : chronic (28 d) ratio of daily distance (km) and moving minutes from ``first`` onwards,
    rolling and EWMA, sampled at each week's end and on the last day.

    The ratio is withheld (None, with the reason) where the chronic window is too short, holds a layoff or has
    running in too few of its weeks.
    """
    means = (
        rolling_mean(km, ACUTE_DAYS),
        rolling_mean(km, CHRONIC_DAYS),
        ewma(km, ACUTE_DAYS),
        ewma(km, CHRONIC_DAYS),
    )
    ran = ran_days(km, minutes)
    spells = spell_starts(ran, params.acwr_layoff_days)
    rows: list[dict[str, Any]] = []
    last = len(km) - 1
    for i in range(CHRONIC_DAYS - 1, len(km)):
        day = first + dt.timedelta(days=i)
        if day.weekday() == 6 or i == last:
            rows.append(_acwr_row(day, means, i, acwr_withheld_reason(i, first, ran, spells, params)))
    method = Citation(
        "EWMA with lambda = 2/(N+1), N = 7 (acute) and 28 (chronic) days; the EWMA is seeded with the first "
        "day's distance. The rolling ratio uses the 7- and 28-day means of daily distance.",
        ("williams2017",),
    )
    withheld = Citation(
        f"No ratio is given until the 28-day chronic window is full, holds no layoff ({params.acwr_layoff_days} "
        f"or more days without running) and has running in at least {params.acwr_min_weeks_with_running} of its "
        "4 weeks (glutemed defaults). A layoff inside the window shrinks the chronic mean, so the ratio rises "
        "after the return even when training did not; a ratio can misrepresent a change in activity, and "
        "sparse data make it worse.",
        ("wang2020",),
    )
    team = Citation(
        "In team sports a ratio of 0.8-1.3 was called a 'sweet spot' and >=1.5 a 'danger zone'.",
        ("gabbett2016",),
    )
    extra: dict[str, Any] = {
        "acute_days": ACUTE_DAYS,
        "chronic_days": CHRONIC_DAYS,
        "informational_only": True,
    }
    if not rows:
        extra["withheld_reason"] = acwr_withheld_reason(last, first, ran, spells, params)
    return ModelResult(
        "acwr",
        tuple(rows),
        ("williams2017", "gabbett2016", "frandsen2025", "wang2020"),
        (ACWR_CAUTION, withheld, method, team),
        extra,
    )
