"""The HTML page escapes text, draws its charts inline and calls weekly rises cautions, single runs spikes."""

from __future__ import annotations

import datetime as dt

from glutemed.core.load import LoadParams, Session, Skipped
from glutemed.core.load_models import build_report
from glutemed.reports.load_html import CAUTION_COLOUR, PLAIN_COLOUR, SPIKE_COLOUR, bar_chart, render

T0 = dt.datetime(2024, 1, 1, 7, tzinfo=dt.UTC)  # a Monday


def _runs(plan: tuple[tuple[int, float], ...]) -> list[Session]:
    return [Session(T0 + dt.timedelta(days=d), "running", km * 1000, km * 360, (f"r{d}",)) for d, km in plan]


def test_text_is_escaped_and_spikes_are_marked(params: LoadParams) -> None:
    report = build_report(
        _runs(((0, 10), (8, 25))), [Skipped("<script>alert(1)</script>.gpx", "bad & broken")], params=params
    )
    page = render(report)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "bad &amp; broken" in page
    assert page.count("<svg") == 2
    assert SPIKE_COLOUR in page  # the 25 km run is 250% of the 10 km run before it
    assert "Spikes: single runs (1)" in page


def test_weekly_rise_is_a_caution_in_amber_not_a_spike(params: LoadParams) -> None:
    # week 1: 4 x 5 km; week 2: 6 x 5 km (+50%), no run longer than the longest before it
    plan = tuple((d, 5.0) for d in (0, 1, 2, 3)) + tuple((d, 5.0) for d in (7, 8, 9, 10, 11, 12))
    page = render(build_report(_runs(plan), [], params=params))
    assert "Cautions: weekly rises (1)" in page
    assert "Spikes: single runs (0)" in page
    assert "a caution, not a spike" in page.lower()
    assert f'fill="{CAUTION_COLOUR}"' in page
    assert f'fill="{SPIKE_COLOUR}"' not in page


def test_withheld_ratio_is_explained(params: LoadParams) -> None:
    page = render(build_report(_runs(((0, 5), (3, 5))), [], params=params))
    assert "Ratio withheld:</strong> only 4 days of running history; the ratio needs 28" in page


def test_bar_chart_empty_and_titles() -> None:
    svg = bar_chart(["a<b"], [0.0], colours=[PLAIN_COLOUR], unit="km", title="t&t")
    assert "a&lt;b" in svg
    assert "t&amp;t" in svg
