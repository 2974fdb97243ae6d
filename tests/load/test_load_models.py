"""Load models on hand-made histories with answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from glutemed.core.load import LoadParams, Session
from glutemed.core.load_acwr import ewma, rolling_mean
from glutemed.core.load_models import build_report, frandsen_category
from glutemed.services.load import load_params

DAY0 = dt.datetime(2024, 1, 1, 7, 0, tzinfo=dt.UTC)  # a Monday
PARAMS: LoadParams = load_params()


def run(
    day: int,
    km: float,
    *,
    minutes: float | None = None,
    gain: float | None = None,
    gear: str | None = None,
    surface: str | None = None,
) -> Session:
    return Session(
        DAY0 + dt.timedelta(days=day),
        "running",
        km * 1000,
        (minutes or km * 6) * 60,
        (f"d{day}",),
        elevation_gain_m=gain,
        gear=gear,
        surface=surface,
    )


def test_frandsen_categories_known_answers() -> None:
    # longest of the previous 30 days is 10 km; day-40 run has only day 12-39 runs in its window
    history = [run(0, 10), run(3, 10.5), run(6, 12.0), run(9, 5), run(12, 20), run(40, 41), run(80, 8)]
    rows = build_report(history, [], params=PARAMS).model("session_spikes").rows
    by_day = {r["start_utc"][:10]: r for r in rows}
    assert by_day["2024-01-01"]["category"] == "no run in the previous 30 days"
    assert by_day["2024-01-04"]["pct_of_longest_prev_30d"] == 105.0
    assert by_day["2024-01-04"]["hrr"] is None  # 5% longer: reference group
    assert by_day["2024-01-07"]["pct_of_longest_prev_30d"] == pytest.approx(114.3, abs=0.05)
    assert (by_day["2024-01-07"]["category"], by_day["2024-01-07"]["hrr"]) == (">10-30%", 1.64)
    assert (by_day["2024-01-13"]["category"], by_day["2024-01-13"]["hrr"]) == (">30-100%", 1.52)  # 20/12
    assert by_day["2024-01-13"]["hrr_ci95"] == [1.16, 2.00]
    assert (by_day["2024-02-10"]["category"], by_day["2024-02-10"]["hrr"]) == (">100%", 2.28)  # 41/20
    assert by_day["2024-03-21"]["longest_prev_30d_km"] is None  # nothing in days 50-79
    spikes = [(r["start_utc"][:10], r["spike"]) for r in rows]
    assert [day for day, spike in spikes if spike] == ["2024-01-07", "2024-01-13", "2024-02-10"]


@pytest.mark.parametrize(
    ("pct", "label"),
    [
        (10.0, "<=10% (reference)"),
        (10.01, ">10-30%"),
        (30.0, ">10-30%"),
        (30.5, ">30-100%"),
        (100.0, ">30-100%"),
        (100.1, ">100%"),
        (-40.0, "<=10% (reference)"),
    ],
)
def test_frandsen_boundaries(pct: float, label: str) -> None:
    assert frandsen_category(pct)[0] == label


def test_ewma_matches_hand_computation_of_williams_formula() -> None:
    load = np.array([10.0, 0.0, 5.0, 0.0, 20.0])
    lam = 2 / (7 + 1)  # 0.25
    expected = []
    prev = 10.0  # seeded with the first day
    for x in load:
        prev = lam * x + (1 - lam) * prev
        expected.append(prev)
    assert expected[:3] == pytest.approx([10.0, 7.5, 6.875])
    assert ewma(load, 7) == pytest.approx(expected)
    lam28 = 2 / 29
    assert ewma(load, 28)[1] == pytest.approx(lam28 * 0 + (1 - lam28) * 10.0)


def test_rolling_mean() -> None:
    out = rolling_mean(np.arange(10.0), 7)
    assert np.isnan(out[5])
    assert out[6] == pytest.approx(3.0)
    assert out[9] == pytest.approx(6.0)


def test_acwr_rows_and_caution() -> None:
    history = [run(d, 5) for d in range(0, 60, 2)]
    acwr = build_report(history, [], params=PARAMS).model("acwr")
    assert acwr.rows
    assert acwr.rows[0]["date"] == "2024-01-28"  # first Sunday with 28 days of history
    assert acwr.rows[0]["withheld_reason"] is None  # running in all 4 weeks, no layoff
    # days 21-27 hold 3 runs of 5 km, days 0-27 hold 14: (15 / 7) / (70 / 28)
    assert acwr.rows[0]["rolling_ratio"] == pytest.approx((15 / 7) / (70 / 28), abs=1e-3)
    assert "frandsen2025" in acwr.refs
    assert "williams2017" in acwr.refs
    assert "no positive association" in acwr.notes[0].text
    assert acwr.extra["informational_only"] is True


def test_week_change_and_caution() -> None:
    # week 1: 20 km, week 2: 30 km (+50%), week 3: 31 km (+3.3%), week 4: none, week 5: 10 km (undefined)
    history = [run(0, 10), run(2, 10), run(7, 15), run(9, 15), run(14, 31), run(28, 10)]
    model = build_report(history, [], params=PARAMS).model("week_change")
    changes = [(r["change_pct"], r["caution"]) for r in model.rows]
    assert changes == [(50.0, True), (3.3, False), (-100.0, False), (None, False)]
    assert model.refs == ("nielsen2014a", "frandsen2025", "buist2008")
    assert any("10% rule" in n.text for n in model.notes)
    assert "caution, not a spike" in model.notes[0].text


def test_monotony_and_strain() -> None:
    # one week: 60 min on Monday, 30 min on Wednesday, rest days 0
    week = (
        build_report([run(0, 10, minutes=60), run(2, 5, minutes=30)], [], params=PARAMS)
        .model("monotony")
        .rows[0]
    )
    daily = np.array([60, 0, 30, 0, 0, 0, 0.0])
    mono = daily.mean() / daily.std(ddof=1)
    assert week["monotony"] == pytest.approx(mono, abs=1e-3)
    assert week["strain"] == pytest.approx(90 * mono, abs=0.1)


def test_hills_and_changes() -> None:
    history = [
        run(0, 10, gain=100, gear="A", surface="road"),
        run(2, 10, gain=None, gear="A", surface="road"),
        run(7, 5, gain=150, gear="B", surface="trail"),
    ]
    report = build_report(history, [], params=PARAMS)
    hills = report.model("hills").rows
    assert hills[0]["gain_m_per_km"] == 10.0  # only the 10 km with elevation count
    assert hills[1]["gain_m_per_km"] == 30.0
    kinds = [(r["kind"], r["to"]) for r in report.model("changes").rows]
    assert kinds == [("shoes", "B"), ("surface", "trail")]


def test_judgement_holds_the_largest_recent_values() -> None:
    history = [run(0, 10), run(7, 10), run(14, 10), run(21, 16)]
    data = build_report(history, [], params=PARAMS).to_dict()
    assert data["schema"] == "glutemed.load/v1"
    j = data["judgement"]
    assert j["max_session_pct_of_longest"] == 160.0  # 16 / 10
    assert j["max_weekly_increase_pct"] == 60.0  # 16 km week after a 10 km week
    assert [s["pct_of_longest_prev_30d"] for s in j["session_spikes"]] == [160.0]
    assert [w["change_pct"] for w in j["weekly_cautions"]] == [60.0]
    assert "recent" not in data["summary"]  # one place for the judged values: the judgement block


def test_other_sports_kept_apart_and_since() -> None:
    walk = Session(DAY0, "walking", 3000, 1800, ("w",))
    report = build_report([run(0, 10), run(10, 10), walk], [], params=PARAMS, since=dt.date(2024, 1, 5))
    assert len(report.runs) == 1
    assert report.other_sessions == ()
    assert report.to_dict()["counts"]["runs"] == 1
