"""Training-load models over a runner's sessions; each result names the knowledge-base references behind it.

Days are UTC calendar days and weeks are ISO weeks (Monday to Sunday). Only running, treadmill and trail
running count as running load; other sports are reported apart.

- ``volume``: daily and weekly running distance and moving time.
- ``session_spikes`` (frandsen2025): each run's distance against the longest run of the previous 30 days,
  in the categories of the Garmin-RUNSAFE cohort: >10-30% longer HRR 1.64 (1.31-2.05), >30-100% longer
  HRR 1.52 (1.16-2.00), >100% longer HRR 2.28 (1.50-3.48).
- ``week_change`` (nielsen2014a, buist2008): week-over-week change in distance; >30% carries a caution,
  and the "10% rule" is not enforced because the randomised trial found no protective effect.
- ``acwr`` (williams2017, gabbett2016, frandsen2025): acute:chronic ratio of daily distance, rolling
  7/28-day means and EWMA with lambda = 2/(N+1); shown for information, since in runners it did not
  predict injury.
- ``monotony`` (foster1998): weekly mean / standard deviation of daily moving minutes; strain = weekly
  minutes x monotony.
- ``hills`` (anwyl2023): weekly elevation gain and gain per km.
- ``changes`` (anwyl2023): a new shoe (gear) label, or a week whose main surface differs from the last one.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import deque
from collections.abc import Sequence
from typing import Any

import numpy as np

from glutemed.core.load import Citation, LoadReport, ModelResult, Session, Skipped
from glutemed.core.series import FloatArray

SPIKE_WINDOW_DAYS = 30
# (lower bound exclusive, upper bound inclusive, label, HRR, 95% CI) for the distance increase in percent.
FRANDSEN_CATEGORIES: tuple[tuple[float, float, str, float, tuple[float, float]], ...] = (
    (10.0, 30.0, ">10-30%", 1.64, (1.31, 2.05)),
    (30.0, 100.0, ">30-100%", 1.52, (1.16, 2.00)),
    (100.0, float("inf"), ">100%", 2.28, (1.50, 3.48)),
)
WEEKLY_CAUTION_PCT = 30.0
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
RECENT_WINDOW_DAYS = 28

ACWR_CAUTION = Citation(
    "In 5,205 runners the acute:chronic ratio (1 week vs 3 weeks) showed no positive association with "
    "injury (a negative dose-response), so it is shown for information only, not as a risk score.",
    ("frandsen2025",),
)
TEN_PCT_NOTE = Citation(
    "The '10% rule' is not used as a limit: a graded programme keeping increases at or below 10% a week "
    "did not lower injuries in novices (20.8% vs 20.3%).",
    ("buist2008",),
)
WEEKLY_CAUTION = Citation(
    "Novice runners who raised weekly distance by more than 30% had a hazard ratio of 1.59 (0.96-2.66) "
    "for distance-related injuries, gluteus medius and trochanteric injuries among them.",
    ("nielsen2014a",),
)


def run_days(runs: Sequence[Session]) -> tuple[dt.date, FloatArray, FloatArray, FloatArray]:
    """First day, then daily distance (km), moving minutes and elevation gain (m) from first to last run."""
    first = min(s.start_utc.date() for s in runs)
    last = max(s.start_utc.date() for s in runs)
    n = (last - first).days + 1
    km, minutes, gain = np.zeros(n), np.zeros(n), np.zeros(n)
    for s in runs:
        i = (s.start_utc.date() - first).days
        km[i] += s.distance_m / 1000.0
        minutes[i] += s.moving_time_s / 60.0
        gain[i] += s.elevation_gain_m or 0.0
    return first, km, minutes, gain


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_rows(runs: Sequence[Session]) -> list[dict[str, Any]]:
    """One row per ISO week from the first to the last run, empty weeks included."""
    first = _week_start(min(s.start_utc.date() for s in runs))
    last = _week_start(max(s.start_utc.date() for s in runs))
    n = (last - first).days // 7 + 1
    dist_km, time_min, n_runs = np.zeros(n), np.zeros(n), np.zeros(n, dtype=int)
    gain_m, km_ele = np.zeros(n), np.zeros(n)
    for s in runs:
        i = (_week_start(s.start_utc.date()) - first).days // 7
        dist_km[i] += s.distance_m / 1000.0
        time_min[i] += s.moving_time_s / 60.0
        n_runs[i] += 1
        if s.elevation_gain_m is not None:
            gain_m[i] += s.elevation_gain_m
            km_ele[i] += s.distance_m / 1000.0
    return [
        {
            "week_start": (first + dt.timedelta(weeks=i)).isoformat(),
            "distance_km": round(float(dist_km[i]), 3),
            "time_min": round(float(time_min[i]), 3),
            "runs": int(n_runs[i]),
            "gain_m": round(float(gain_m[i]), 3),
            "km_with_elevation": round(float(km_ele[i]), 3),
        }
        for i in range(n)
    ]


def volume(runs: Sequence[Session]) -> ModelResult:
    first, km, minutes, _ = run_days(runs)
    daily = [
        {
            "date": (first + dt.timedelta(days=i)).isoformat(),
            "distance_km": round(float(km[i]), 3),
            "time_min": round(float(minutes[i]), 2),
        }
        for i in range(len(km))
        if km[i] > 0 or minutes[i] > 0
    ]
    weeks = [{k: r[k] for k in ("week_start", "distance_km", "time_min", "runs")} for r in weekly_rows(runs)]
    return ModelResult("volume", tuple(weeks), (), extra={"daily": daily})


def frandsen_category(increase_pct: float) -> tuple[str, float | None, tuple[float, float] | None]:
    """Category label, hazard rate ratio and its 95% CI for a distance increase over the 30-day longest run."""
    for low, high, label, hrr, ci in FRANDSEN_CATEGORIES:
        if low < increase_pct <= high:
            return label, hrr, ci
    return "<=10% (reference)", None, None


def session_spikes(runs: Sequence[Session]) -> ModelResult:
    """Each run against the longest run that started in the 30 days before it (sliding window)."""
    window: deque[Session] = deque()
    rows: list[dict[str, Any]] = []
    span = dt.timedelta(days=SPIKE_WINDOW_DAYS)
    for s in sorted(runs, key=lambda r: r.start_utc):
        while window and s.start_utc - window[0].start_utc > span:
            window.popleft()
        longest = max((w.distance_m for w in window), default=0.0)
        row: dict[str, Any] = {
            "start_utc": s.start_utc.isoformat(),
            "distance_km": round(s.distance_m / 1000, 3),
        }
        if longest <= 0:
            row.update(category="no run in the previous 30 days", longest_prev_30d_km=None)
        else:
            pct = 100.0 * s.distance_m / longest
            label, hrr, ci = frandsen_category(pct - 100.0)
            row.update(
                longest_prev_30d_km=round(longest / 1000, 3),
                pct_of_longest_prev_30d=round(pct, 1),
                category=label,
                hrr=hrr,
                hrr_ci95=list(ci) if ci else None,
            )
        rows.append(row)
        window.append(s)
    note = Citation(
        "Sessions more than 10% longer than the longest run of the previous 30 days raised the injury hazard "
        "in the Garmin-RUNSAFE cohort (588,071 sessions): >10-30% HRR 1.64, >30-100% HRR 1.52, >100% HRR 2.28.",
        ("frandsen2025",),
    )
    spikes = sum(1 for r in rows if r.get("hrr") is not None)
    return ModelResult("session_spikes", tuple(rows), ("frandsen2025",), (note,), {"n_spikes": spikes})


def week_change(runs: Sequence[Session]) -> ModelResult:
    """Week-over-week change of running distance; undefined after a week with no running."""
    weeks = weekly_rows(runs)
    rows: list[dict[str, Any]] = []
    for prev, cur in itertools.pairwise(weeks):
        row: dict[str, Any] = {
            "week_start": cur["week_start"],
            "distance_km": cur["distance_km"],
            "previous_km": prev["distance_km"],
        }
        if prev["distance_km"] > 0:
            change = 100.0 * (cur["distance_km"] - prev["distance_km"]) / prev["distance_km"]
            row.update(change_pct=round(change, 1), caution=change > WEEKLY_CAUTION_PCT)
        else:
            row.update(change_pct=None, caution=False, note="no running the week before")
        rows.append(row)
    return ModelResult(
        "week_change",
        tuple(rows),
        ("nielsen2014a", "buist2008"),
        (WEEKLY_CAUTION, TEN_PCT_NOTE),
        {"caution_above_pct": WEEKLY_CAUTION_PCT, "n_cautions": sum(1 for r in rows if r["caution"])},
    )


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


def acwr(runs: Sequence[Session]) -> ModelResult:
    """Acute (7 d) : chronic (28 d) ratio of daily distance, rolling and EWMA, sampled at each week's end."""
    first, km, _, _ = run_days(runs)
    roll_a, roll_c = rolling_mean(km, ACUTE_DAYS), rolling_mean(km, CHRONIC_DAYS)
    ew_a, ew_c = ewma(km, ACUTE_DAYS), ewma(km, CHRONIC_DAYS)
    rows: list[dict[str, Any]] = []
    last = len(km) - 1
    for i in range(CHRONIC_DAYS - 1, len(km)):
        day = first + dt.timedelta(days=i)
        if day.weekday() != 6 and i != last:
            continue
        rows.append(
            {
                "date": day.isoformat(),
                "rolling_acute_km_per_day": round(float(roll_a[i]), 3),
                "rolling_chronic_km_per_day": round(float(roll_c[i]), 3),
                "rolling_ratio": _ratio(float(roll_a[i]), float(roll_c[i])),
                "ewma_acute_km_per_day": round(float(ew_a[i]), 3),
                "ewma_chronic_km_per_day": round(float(ew_c[i]), 3),
                "ewma_ratio": _ratio(float(ew_a[i]), float(ew_c[i])),
            }
        )
    method = Citation(
        "EWMA with lambda = 2/(N+1), N = 7 (acute) and 28 (chronic) days; the EWMA is seeded with the first "
        "day's distance. The rolling ratio uses the 7- and 28-day means of daily distance.",
        ("williams2017",),
    )
    team = Citation(
        "In team sports a ratio of 0.8-1.3 was called a 'sweet spot' and >=1.5 a 'danger zone'.",
        ("gabbett2016",),
    )
    return ModelResult(
        "acwr",
        tuple(rows),
        ("williams2017", "gabbett2016", "frandsen2025"),
        (ACWR_CAUTION, method, team),
        {"acute_days": ACUTE_DAYS, "chronic_days": CHRONIC_DAYS, "informational_only": True},
    )


def monotony(runs: Sequence[Session]) -> ModelResult:
    """Weekly monotony (mean / SD of the 7 daily loads) and strain (weekly load x monotony), load = minutes."""
    first, _, minutes, _ = run_days(runs)
    start = _week_start(first)
    pad = (first - start).days
    daily = np.concatenate((np.zeros(pad), minutes))
    daily = np.concatenate((daily, np.zeros((-len(daily)) % 7)))
    rows: list[dict[str, Any]] = []
    for w in range(len(daily) // 7):
        week = daily[7 * w : 7 * w + 7]
        sd = float(np.std(week, ddof=1))
        total = float(week.sum())
        mono = float(week.mean()) / sd if sd > 0 else None
        rows.append(
            {
                "week_start": (start + dt.timedelta(weeks=w)).isoformat(),
                "load_min": round(total, 1),
                "monotony": round(mono, 3) if mono is not None else None,
                "strain": round(total * mono, 1) if mono is not None else None,
            }
        )
    note = Citation(
        "Monotony = mean daily load / standard deviation (n - 1) of the week's 7 daily loads, rest days as 0; "
        "strain = weekly load x monotony. Foster used session RPE x minutes; here the load is moving minutes, "
        "because most files carry no RPE.",
        ("foster1998",),
    )
    return ModelResult("monotony", tuple(rows), ("foster1998",), (note,), {"load_unit": "moving minutes"})


def hills(runs: Sequence[Session]) -> ModelResult:
    rows = []
    for r in weekly_rows(runs):
        km = r["km_with_elevation"]
        per_km = round(r["gain_m"] / km, 2) if km > 0 else None
        rows.append(
            {
                "week_start": r["week_start"],
                "gain_m": r["gain_m"],
                "gain_m_per_km": per_km,
                "km_with_elevation": km,
            }
        )
    note = Citation(
        "Hills and stair climbs are one of the forms of overload the physio article lists.", ("anwyl2023",)
    )
    return ModelResult("hills", tuple(rows), ("anwyl2023",), (note,))


def changes(runs: Sequence[Session]) -> ModelResult:
    """New shoes (a gear label not seen before) and weeks whose main surface differs from the previous one."""
    rows: list[dict[str, Any]] = []
    seen_gear: set[str] = set()
    week_surface: dict[dt.date, dict[str, float]] = {}
    for s in sorted(runs, key=lambda r: r.start_utc):
        if s.gear and s.gear not in seen_gear:
            if seen_gear:
                rows.append({"date": s.start_utc.date().isoformat(), "kind": "shoes", "to": s.gear})
            seen_gear.add(s.gear)
        if s.surface:
            bucket = week_surface.setdefault(_week_start(s.start_utc.date()), {})
            bucket[s.surface] = bucket.get(s.surface, 0.0) + s.distance_m
    previous: str | None = None
    for week in sorted(week_surface):
        main = max(week_surface[week].items(), key=lambda kv: kv[1])[0]
        if previous is not None and main != previous:
            rows.append({"date": week.isoformat(), "kind": "surface", "from": previous, "to": main})
        previous = main
    note = Citation(
        "A change of running surface or footwear is one of the forms of overload the physio "
        "article lists; shown only where the files record gear or surface.",
        ("anwyl2023",),
    )
    return ModelResult("changes", tuple(rows), ("anwyl2023",), (note,))


def recent_summary(report_models: Sequence[ModelResult], last_day: dt.date) -> dict[str, Any]:
    """Largest session spike and weekly increase in the last 28 days (keys the assessment reads)."""
    since = last_day - dt.timedelta(days=RECENT_WINDOW_DAYS - 1)
    spikes = next(m for m in report_models if m.name == "session_spikes").rows
    weeks = next(m for m in report_models if m.name == "week_change").rows
    pcts = [
        r["pct_of_longest_prev_30d"]
        for r in spikes
        if "pct_of_longest_prev_30d" in r and dt.date.fromisoformat(r["start_utc"][:10]) >= since
    ]
    changes_pct = [
        r["change_pct"]
        for r in weeks
        if r["change_pct"] is not None and dt.date.fromisoformat(r["week_start"]) >= _week_start(since)
    ]
    return {
        "window_days": RECENT_WINDOW_DAYS,
        "from": since.isoformat(),
        "to": last_day.isoformat(),
        "pct_of_longest_30d": max(pcts, default=None),
        "weekly_increase_pct": max(changes_pct, default=None),
    }


def build_report(
    sessions: Sequence[Session],
    skipped: Sequence[Skipped],
    *,
    since: dt.date | None = None,
    meta: dict[str, Any] | None = None,
) -> LoadReport:
    """Split runs from other sports, apply ``since`` and compute every model."""
    kept = [s for s in sessions if since is None or s.start_utc.date() >= since]
    runs = tuple(sorted((s for s in kept if s.is_run), key=lambda s: s.start_utc))
    others = tuple(sorted((s for s in kept if not s.is_run), key=lambda s: s.start_utc))
    models: tuple[ModelResult, ...] = ()
    summary: dict[str, Any] = {"runs": len(runs)}
    if runs:
        models = (
            volume(runs),
            session_spikes(runs),
            week_change(runs),
            acwr(runs),
            monotony(runs),
            hills(runs),
            changes(runs),
        )
        summary.update(
            first_run=runs[0].start_utc.date().isoformat(),
            last_run=runs[-1].start_utc.date().isoformat(),
            total_distance_km=round(sum(s.distance_m for s in runs) / 1000, 2),
            total_time_h=round(sum(s.moving_time_s for s in runs) / 3600, 2),
            recent=recent_summary(models, runs[-1].start_utc.date()),
        )
    return LoadReport(runs, others, tuple(skipped), models, summary, since, dict(meta or {}))
