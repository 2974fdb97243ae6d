"""What the load history supports saying: spikes, cautions, small bases and a withheld acute:chronic ratio.

Every history here is built by hand and every expected number is worked out in the comment beside it.
"""

from __future__ import annotations

import datetime as dt

import pytest

from glutemed.core.load import LoadParams, Session
from glutemed.core.load_models import FRANDSEN_CATEGORIES, build_report
from glutemed.knowledge.rules import load_rules

DAY0 = dt.datetime(2024, 1, 1, 7, 0, tzinfo=dt.UTC)  # a Monday


def run(day: int, km: float) -> Session:
    return Session(DAY0 + dt.timedelta(days=day), "running", km * 1000, km * 360, (f"d{day}",))


def daily(first: int, last: int, km: float = 5.0) -> list[Session]:
    return [run(d, km) for d in range(first, last + 1)]


def test_3_km_after_a_half_km_week_is_neither_spike_nor_caution(params: LoadParams) -> None:
    # Before: 3 / 0.5 = 600% of the 30-day longest (a ">100%" spike) and a +500% week.
    report = build_report([run(0, 0.5), run(7, 3.0)], [], params=params)
    second = report.model("session_spikes").rows[1]
    assert second["longest_prev_30d_km"] == 0.5
    assert second["pct_of_longest_prev_30d"] is None
    assert second["category"] == "not judged: longest run of the previous 30 days under 2 km"
    assert second["spike"] is False
    week = report.model("week_change").rows[0]
    assert (week["previous_km"], week["distance_km"]) == (0.5, 3.0)
    assert week["change_pct"] is None
    assert week["caution"] is False
    assert week["note"] == "not judged: the week before was under 5 km"
    j = report.judgement
    assert (j.session_spikes, j.weekly_cautions) == ((), ())
    assert (j.max_session_pct_of_longest, j.max_weekly_increase_pct) == (None, None)


def test_bases_at_the_minimum_are_judged(params: LoadParams) -> None:
    # longest 2.0 km (the minimum), then 3 km = 150%; the week before holds exactly 5 km (2 + 3), then 8 km
    report = build_report([run(0, 2.0), run(2, 3.0), run(7, 8.0)], [], params=params)
    rows = report.model("session_spikes").rows
    assert rows[1]["pct_of_longest_prev_30d"] == 150.0
    assert rows[1]["spike"] is True
    assert report.model("week_change").rows[0]["change_pct"] == 60.0  # (8 - 5) / 5
    below = build_report([run(0, 1.99), run(2, 3.0)], [], params=params).model("session_spikes").rows[1]
    assert below["spike"] is False
    assert below["pct_of_longest_prev_30d"] is None


def test_weekly_rise_over_30_pct_on_a_real_base_is_a_caution_not_a_spike(params: LoadParams) -> None:
    # week 1: 4 x 5 km = 20 km; week 2: 6 x 5 km = 30 km (+50%); no run longer than 5 km
    history = [run(d, 5.0) for d in (0, 1, 2, 3, 7, 8, 9, 10, 11, 12)]
    j = build_report(history, [], params=params).judgement
    assert [(w.week_start, w.previous_km, w.distance_km, w.change_pct) for w in j.weekly_cautions] == [
        ("2024-01-08", 20.0, 30.0, 50.0)
    ]
    assert j.session_spikes == ()
    assert j.max_weekly_increase_pct == 50.0
    assert j.max_session_pct_of_longest == 100.0  # every run equals the 30-day longest


def test_frandsen_single_run_rule_still_spikes(params: LoadParams) -> None:
    # 10 km runs, then 12 km (120%: >10-30%), 20 km (166.7% of 12: >30-100%), 41 km (205% of 20: >100%)
    history = [run(0, 10), run(3, 10), run(6, 12), run(9, 20), run(12, 41)]
    j = build_report(history, [], params=params).judgement
    got = [(s.start_utc[:10], s.pct_of_longest_prev_30d, s.category, s.hrr) for s in j.session_spikes]
    assert got == [
        ("2024-01-07", 120.0, ">10-30%", 1.64),
        ("2024-01-10", 166.7, ">30-100%", 1.52),
        ("2024-01-13", 205.0, ">100%", 2.28),
    ]
    assert j.session_spikes[2].hrr_ci95 == (1.50, 3.48)
    assert j.max_session_pct_of_longest == 205.0
    assert j.to_dict()["session_spikes"][0]["date"] == "2024-01-07"


def test_recent_window_covers_the_last_28_days_only(params: LoadParams) -> None:
    # a 200% spike on day 3, then steady 10 km runs; the last run is on day 60, so the window is days 33-60
    history = [run(0, 10), run(3, 20), *[run(d, 10) for d in range(33, 61, 3)]]
    j = build_report(history, [], params=params).judgement
    assert [s.start_utc[:10] for s in j.session_spikes] == ["2024-01-04"]
    assert (j.window_from, j.window_to) == ("2024-02-03", "2024-03-01")
    assert j.max_session_pct_of_longest == 100.0


def test_layoff_withholds_the_ratio_that_would_double_by_arithmetic(params: LoadParams) -> None:
    # 5 km a day on days 0-55, no run on days 56-69 (14 days: a layoff), 5 km a day again on days 70-83
    report = build_report([*daily(0, 55), *daily(70, 83)], [], params=params)
    last = report.model("acwr").rows[-1]
    assert last["date"] == "2024-03-24"  # day 83
    # the chronic window (days 56-83) holds 14 empty days: mean 2.5 km against an acute 5 km a day, ratio 2.0
    assert (last["rolling_acute_km_per_day"], last["rolling_chronic_km_per_day"]) == (5.0, 2.5)
    assert (last["rolling_ratio"], last["ewma_ratio"]) == (None, None)
    reason = report.judgement.acwr_withheld_reason
    assert reason is not None
    assert reason.startswith("back on 2024-03-11 from a layoff of 14 days without running")
    assert reason.endswith("on 2024-04-07")  # day 70 + 27: the first window free of the layoff
    resumed = build_report([*daily(0, 55), *daily(70, 97)], [], params=params)
    assert resumed.judgement.acwr_withheld_reason is None
    assert resumed.model("acwr").rows[-1]["rolling_ratio"] == 1.0


def test_13_empty_days_are_not_a_layoff(params: LoadParams) -> None:
    report = build_report([*daily(0, 55), *daily(69, 83)], [], params=params)
    assert report.judgement.acwr_withheld_reason is None
    last = report.model("acwr").rows[-1]
    assert last["rolling_ratio"] == pytest.approx(5.0 / (15 * 5 / 28), abs=1e-3)  # 15 running days in 28


def test_layoff_in_progress_and_sparse_weeks(params: LoadParams) -> None:
    report = build_report([*daily(0, 40), run(61, 5)], [], params=params)
    by_date = {r["date"]: r["withheld_reason"] for r in report.model("acwr").rows}
    assert by_date["2024-02-25"].startswith("no run in the last 15 days")  # day 55, last run day 40
    # one run every 14 days (13 empty days between: no layoff); days 29-56 hold runs in weeks 2 and 4 only
    sparse = build_report([run(d, 10) for d in (0, 14, 28, 42, 56)], [], params=params)
    assert sparse.judgement.acwr_withheld_reason == (
        "running in only 2 of the last 4 weeks; the ratio needs running in at least 3"
    )


def test_short_history_gives_no_ratio(params: LoadParams) -> None:
    report = build_report(daily(0, 9), [], params=params)
    assert report.model("acwr").rows == ()
    assert report.judgement.acwr_withheld_reason == "only 10 days of running history; the ratio needs 28"


def test_no_runs_judgement(params: LoadParams) -> None:
    j = build_report([], [], params=params).judgement
    assert j.acwr_withheld_reason == "no runs"
    assert j.to_dict()["thresholds"] == params.to_dict()


def test_thresholds_come_from_the_rules_and_match_the_categories(params: LoadParams) -> None:
    t = load_rules().findings.clinical_thresholds
    assert params.weekly_caution_above_pct == t.weekly_increase_flag_pct.value == 30
    assert params.session_spike_above_pct_of_longest == t.session_spike_flag_pct.value == 110
    assert params.session_spike_above_pct_of_longest == 100 + FRANDSEN_CATEGORIES[0][0]
    for default in (
        t.weekly_change_min_previous_km,
        t.session_spike_min_longest_km,
        t.acwr_layoff_days,
        t.acwr_min_weeks_with_running,
    ):
        assert default.basis == "glutemed-default"
        assert default.why.startswith("Not from a study.")
    assert "crossing 1" in (t.weekly_increase_flag_pct.note or "")
    assert "frandsen2025" in t.weekly_increase_flag_pct.refs
