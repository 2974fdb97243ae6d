"""Training-load models over a runner's sessions; each result names the knowledge-base references behind it.

Days are UTC calendar days and weeks are ISO weeks (Monday to Sunday). Only running, treadmill and trail
running count as running load; other sports are reported apart.

- ``volume``: daily and weekly running distance and moving time.
- ``session_spikes`` (frandsen2025): each run's distance against the longest run of the previous 30 days,
  in the categories of the Garmin-RUNSAFE cohort: >10-30% longer HRR 1.64 (1.31-2.05), >30-100% longer
  HRR 1.52 (1.16-2.00), >100% longer HRR 2.28 (1.50-3.48). These are the *spikes*. A run is judged only
  when that longest run reached ``LoadParams.session_min_longest_km`` (a glutemed default).
- ``week_change`` (nielsen2014a, frandsen2025, buist2008): week-over-week change in distance; a rise over
  30% is a *caution*, not a spike, and counts only when the week before reached
  ``LoadParams.weekly_min_previous_km`` (a glutemed default). The "10% rule" is not enforced because the
  randomised trial found no protective effect.
- ``acwr`` (williams2017, gabbett2016, frandsen2025, wang2020): acute:chronic ratio of daily distance,
  rolling 7/28-day means and EWMA with lambda = 2/(N+1); shown for information, since in runners it did not
  predict injury, and withheld after a layoff or with too little history (see ``core.load_judgement``).
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

from glutemed.core.load import Citation, LoadParams, LoadReport, ModelResult, Session, Skipped
from glutemed.core.load_acwr import acwr
from glutemed.core.load_judgement import judge, no_runs_judgement, week_start
from glutemed.core.series import FloatArray

SPIKE_WINDOW_DAYS = 30
# (lower bound exclusive, upper bound inclusive, label, HRR, 95% CI) for the distance increase in percent.
FRANDSEN_CATEGORIES: tuple[tuple[float, float, str, float, tuple[float, float]], ...] = (
    (10.0, 30.0, ">10-30%", 1.64, (1.31, 2.05)),
    (30.0, 100.0, ">30-100%", 1.52, (1.16, 2.00)),
    (100.0, float("inf"), ">100%", 2.28, (1.50, 3.48)),
)

TEN_PCT_NOTE = Citation(
    "The '10% rule' is not used as a limit: a graded programme keeping increases at or below 10% a week "
    "did not lower injuries in novices (20.8% vs 20.3%).",
    ("buist2008",),
)
WEEKLY_CAUTION = Citation(
    "A caution, not a spike: novice runners who raised weekly distance by more than 30% had a hazard ratio of "
    "1.59 (95% CI 0.96-2.66, crossing 1) for distance-related injuries, gluteus medius and trochanteric "
    "injuries among them, and no higher rate for all injuries together.",
    ("nielsen2014a",),
)
WEEK_TO_WEEK_NOTE = Citation(
    "In 5,205 runners the week-to-week ratio of running distance showed no association with injury.",
    ("frandsen2025",),
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


def weekly_rows(runs: Sequence[Session]) -> list[dict[str, Any]]:
    """One row per ISO week from the first to the last run, empty weeks included."""
    first = week_start(min(s.start_utc.date() for s in runs))
    last = week_start(max(s.start_utc.date() for s in runs))
    n = (last - first).days // 7 + 1
    dist_km, time_min, n_runs = np.zeros(n), np.zeros(n), np.zeros(n, dtype=int)
    gain_m, km_ele = np.zeros(n), np.zeros(n)
    for s in runs:
        i = (week_start(s.start_utc.date()) - first).days // 7
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


def _spike_row(s: Session, longest_m: float, params: LoadParams) -> dict[str, Any]:
    row: dict[str, Any] = {"start_utc": s.start_utc.isoformat(), "distance_km": round(s.distance_m / 1000, 3)}
    if longest_m <= 0:
        return {
            **row,
            "longest_prev_30d_km": None,
            "category": "no run in the previous 30 days",
            "spike": False,
        }
    row["longest_prev_30d_km"] = round(longest_m / 1000, 3)
    if longest_m / 1000 < params.session_min_longest_km:
        return {
            **row,
            "pct_of_longest_prev_30d": None,
            "category": f"not judged: longest run of the previous 30 days under {params.session_min_longest_km:g} km",
            "spike": False,
        }
    pct = 100.0 * s.distance_m / longest_m
    label, hrr, ci = frandsen_category(pct - 100.0)
    return {
        **row,
        "pct_of_longest_prev_30d": round(pct, 1),
        "category": label,
        "hrr": hrr,
        "hrr_ci95": list(ci) if ci else None,
        "spike": pct > params.session_spike_above_pct_of_longest,
    }


def session_spikes(runs: Sequence[Session], params: LoadParams) -> ModelResult:
    """Each run against the longest run that started in the 30 days before it (sliding window)."""
    window: deque[Session] = deque()
    rows: list[dict[str, Any]] = []
    span = dt.timedelta(days=SPIKE_WINDOW_DAYS)
    for s in sorted(runs, key=lambda r: r.start_utc):
        while window and s.start_utc - window[0].start_utc > span:
            window.popleft()
        rows.append(_spike_row(s, max((w.distance_m for w in window), default=0.0), params))
        window.append(s)
    note = Citation(
        "A spike is a single run more than 10% longer than the longest run of the previous 30 days; such runs "
        "raised the injury hazard in the Garmin-RUNSAFE cohort (588,071 sessions): >10-30% HRR 1.64, "
        ">30-100% HRR 1.52, >100% HRR 2.28.",
        ("frandsen2025",),
    )
    base = Citation(
        f"A run is judged only when the longest run of the previous 30 days was at least "
        f"{params.session_min_longest_km:g} km (a glutemed default, not from the study): below it a warm-up or "
        "a short test recording stands in for the month's longest run and inflates the percentage.",
        (),
    )
    extra = {
        "spike_above_pct_of_longest": params.session_spike_above_pct_of_longest,
        "min_longest_km": params.session_min_longest_km,
        "n_spikes": sum(1 for r in rows if r["spike"]),
        "n_not_judged_small_base": sum(1 for r in rows if r["category"].startswith("not judged")),
    }
    return ModelResult("session_spikes", tuple(rows), ("frandsen2025",), (note, base), extra)


def _week_row(prev: dict[str, Any], cur: dict[str, Any], params: LoadParams) -> dict[str, Any]:
    row: dict[str, Any] = {
        "week_start": cur["week_start"],
        "distance_km": cur["distance_km"],
        "previous_km": prev["distance_km"],
    }
    if prev["distance_km"] <= 0:
        return {**row, "change_pct": None, "caution": False, "note": "no running the week before"}
    if prev["distance_km"] < params.weekly_min_previous_km:
        note = f"not judged: the week before was under {params.weekly_min_previous_km:g} km"
        return {**row, "change_pct": None, "caution": False, "note": note}
    change = 100.0 * (cur["distance_km"] - prev["distance_km"]) / prev["distance_km"]
    return {**row, "change_pct": round(change, 1), "caution": change > params.weekly_caution_above_pct}


def week_change(runs: Sequence[Session], params: LoadParams) -> ModelResult:
    """Week-over-week change of running distance; undefined after a week with no running or a tiny week."""
    rows = [_week_row(prev, cur, params) for prev, cur in itertools.pairwise(weekly_rows(runs))]
    base = Citation(
        f"A weekly change counts only when the week before held at least {params.weekly_min_previous_km:g} km "
        "(a glutemed default, not from a study): on a smaller week one short run moves the percentage by "
        "hundreds.",
        (),
    )
    extra = {
        "caution_above_pct": params.weekly_caution_above_pct,
        "min_previous_km": params.weekly_min_previous_km,
        "n_cautions": sum(1 for r in rows if r["caution"]),
        "n_not_judged_small_base": sum(1 for r in rows if str(r.get("note", "")).startswith("not judged")),
    }
    return ModelResult(
        "week_change",
        tuple(rows),
        ("nielsen2014a", "frandsen2025", "buist2008"),
        (WEEKLY_CAUTION, WEEK_TO_WEEK_NOTE, base, TEN_PCT_NOTE),
        extra,
    )


def monotony(runs: Sequence[Session]) -> ModelResult:
    """Weekly monotony (mean / SD of the 7 daily loads) and strain (weekly load x monotony), load = minutes."""
    first, _, minutes, _ = run_days(runs)
    start = week_start(first)
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
            bucket = week_surface.setdefault(week_start(s.start_utc.date()), {})
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


def build_report(
    sessions: Sequence[Session],
    skipped: Sequence[Skipped],
    *,
    params: LoadParams,
    since: dt.date | None = None,
    meta: dict[str, Any] | None = None,
) -> LoadReport:
    """Split runs from other sports, apply ``since``, compute every model and judge the result."""
    kept = [s for s in sessions if since is None or s.start_utc.date() >= since]
    runs = tuple(sorted((s for s in kept if s.is_run), key=lambda s: s.start_utc))
    others = tuple(sorted((s for s in kept if not s.is_run), key=lambda s: s.start_utc))
    models: tuple[ModelResult, ...] = ()
    summary: dict[str, Any] = {"runs": len(runs)}
    judgement = no_runs_judgement(params)
    if runs:
        models = (
            volume(runs),
            session_spikes(runs, params),
            week_change(runs, params),
            acwr(*run_days(runs)[:3], params),
            monotony(runs),
            hills(runs),
            changes(runs),
        )
        judgement = judge(models, runs[-1].start_utc.date(), params)
        summary.update(
            first_run=runs[0].start_utc.date().isoformat(),
            last_run=runs[-1].start_utc.date().isoformat(),
            total_distance_km=round(sum(s.distance_m for s in runs) / 1000, 2),
            total_time_h=round(sum(s.moving_time_s for s in runs) / 3600, 2),
        )
    return LoadReport(runs, others, tuple(skipped), models, summary, judgement, since, dict(meta or {}))
