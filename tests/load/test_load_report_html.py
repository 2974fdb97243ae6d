"""The HTML page escapes text and draws its charts inline."""

from __future__ import annotations

import datetime as dt

from glutemed.core.load import Session, Skipped
from glutemed.core.load_models import build_report
from glutemed.reports.load_html import bar_chart, render


def test_text_is_escaped_and_spikes_are_marked() -> None:
    t0 = dt.datetime(2024, 1, 1, 7, tzinfo=dt.UTC)
    runs = [
        Session(t0 + dt.timedelta(days=d), "running", km * 1000, km * 360, (f"r{d}",))
        for d, km in ((0, 10), (8, 25))
    ]
    report = build_report(runs, [Skipped("<script>alert(1)</script>.gpx", "bad & broken")])
    page = render(report)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "bad &amp; broken" in page
    assert page.count("<svg") == 2
    assert "#c62828" in page  # the 25 km week is marked as a spike


def test_bar_chart_empty_and_titles() -> None:
    svg = bar_chart(["a<b"], [0.0], marked=[False], unit="km", title="t&t")
    assert "a&lt;b" in svg
    assert "t&amp;t" in svg
