"""Copies of one run from a watch and a phone disagree on distance but not on time: they count once."""

from __future__ import annotations

import datetime as dt

from glutemed.core.load import Session
from glutemed.io.activities.dedupe import dedupe, time_overlap

T0 = dt.datetime(2024, 5, 1, 7, 0, tzinfo=dt.UTC)


def run(start_min: float, minutes: float, km: float, source: str, fmt: str = "fit") -> Session:
    return Session(
        start_utc=T0 + dt.timedelta(minutes=start_min),
        sport="running",
        distance_m=km * 1000,
        moving_time_s=minutes * 60,
        elapsed_time_s=minutes * 60,
        sources=(source,),
        fmt=fmt,
    )


def test_same_time_span_with_different_distance_counts_once() -> None:
    watch = run(0, 40, 8.0, "watch.fit")
    phone = run(2.5, 38, 5.4, "phone.gpx", fmt="gpx")  # 32 % shorter distance, 2.5 min later start
    assert time_overlap(watch, phone) > 0.95
    kept, dups = dedupe([watch, phone])
    assert [s.sources for s in kept] == [("watch.fit",)]
    assert dups[0].duplicate_of == "watch.fit"


def test_back_to_back_runs_are_two_sessions() -> None:
    warm_up = run(0, 15, 2.5, "a.fit")
    session = run(16, 45, 9.0, "b.fit")
    assert time_overlap(warm_up, session) == 0.0
    kept, dups = dedupe([warm_up, session])
    assert len(kept) == 2
    assert dups == []
