"""The load report page: status first, spikes and cautions in words, local times, charts that scale, no raw ids."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from glutemed.core.load import LoadParams, Session, Skipped
from glutemed.core.load_models import build_report
from glutemed.knowledge.loader import load_knowledge_base
from glutemed.reports.load_html import (
    CAUTION_COLOUR,
    SPIKE_COLOUR,
    file_name,
    local_time,
    recent_weeks,
    render,
)

T0 = dt.datetime(2024, 1, 1, 7, tzinfo=dt.UTC)  # a Monday
PLUS_TWO = dt.timezone(dt.timedelta(hours=2))
RAW_COLUMNS = (
    "distance_km",
    "pct_of_longest_prev_30d",
    "longest_prev_30d_km",
    "first_run",
    "last_run",
    "total_time_h",
    "total_distance_km",
    "week_start",
    "change_pct",
    "previous_km",
    "rolling_ratio",
    "ewma_ratio",
    "withheld_reason",
    "duplicate_of",
)


def _runs(plan: tuple[tuple[int, float], ...]) -> list[Session]:
    return [Session(T0 + dt.timedelta(days=d), "running", km * 1000, km * 360, (f"r{d}",)) for d, km in plan]


def _text(page: str) -> str:
    """What a reader sees: no style sheet, no chart internals, no tags."""
    page = re.sub(r"<style>.*?</style>|<svg.*?</svg>", " ", page, flags=re.S)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def _spike_page(params: LoadParams) -> str:
    skipped = [
        Skipped("/home/ann/export/<script>alert(1)</script>.gpx", "bad & broken"),
        Skipped("/home/ann/export/sub/b.fit", "duplicate", duplicate_of="/home/ann/export/a.fit"),
    ]
    report = build_report(
        _runs(((0, 10), (8, 25))), skipped, params=params, meta={"source": "/home/ann/export"}
    )
    return render(report, zone=PLUS_TWO)


def test_text_is_escaped(params: LoadParams) -> None:
    page = _spike_page(params)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "bad &amp; broken" in page


def test_sections_in_order_with_the_status_first(params: LoadParams) -> None:
    page = _spike_page(params)
    ids = re.findall(r'<section id="([a-z]+)"', page)
    assert ids == ["summary", "weekly", "spikes", "cautions", "acwr", "changes", "skipped", "sources"]
    for heading in (
        "Training load",
        "Weekly running distance",
        "Spikes: single runs",
        "Cautions: weekly rises",
    ):
        assert heading in page
    text = _text(page)
    assert "As of your last run on 9 Jan 2024: 1 spike in the last 30 days" in text
    assert text.index("As of your last run") < text.index("Weekly running distance")


def test_spike_in_words_with_what_the_research_says(params: LoadParams) -> None:
    text = _text(_spike_page(params))
    assert "Tue 9 Jan 2024, 09:00" in text  # 07:00 UTC shown at +02:00
    assert "25.0 km: 250% of the longest run of the 30 days before it (10.0 km), so 150% longer." in text
    assert "hazard rate ratio of 2.28" in text
    assert "(Frandsen et al. 2025)" in text


def test_no_raw_column_names_no_bibliography_keys(params: LoadParams) -> None:
    text = _text(_spike_page(params))
    shown = [c for c in RAW_COLUMNS if c in text]
    assert not shown, shown
    assert not re.search(r"\bhrr\b", text)
    keys = [k for k in load_knowledge_base().references if re.search(rf"\b{re.escape(k)}\b", text)]
    assert not keys, keys
    assert "Frandsen et al. (2025). How much running is too much?" in text  # the full citation at the end


def test_no_empty_table_none_said_in_words(params: LoadParams) -> None:
    # Two 5 km runs: no spike, no caution, nothing skipped, no ratio yet.
    page = render(build_report(_runs(((0, 5), (3, 5))), [], params=params), zone=dt.UTC)
    for table in re.findall(r"<table.*?</table>", page, flags=re.S):
        assert re.search(r"<tbody>\s*<tr>", table), table
    text = _text(page)
    assert text.count("None in the whole history.") == 2  # spikes and cautions
    assert "None: every file was used." in text
    assert "No spike line in these weeks" in text  # the week's longest run is its first: nothing before it
    assert "None seen: the files record no change of shoes or running surface." in text
    assert "no spike in the last 30 days; no weekly caution in the last 28 days" in text


def test_withheld_ratio_is_explained(params: LoadParams) -> None:
    text = _text(render(build_report(_runs(((0, 5), (3, 5))), [], params=params), zone=dt.UTC))
    assert "the acute:chronic ratio is withheld because the history is too short" in text
    assert "Withheld on the day of the last run: only 4 days of running history; the ratio needs 28" in text


def test_local_time_and_which_clock(params: LoadParams, monkeypatch: pytest.MonkeyPatch) -> None:
    start = dt.datetime(2024, 7, 1, 7, tzinfo=dt.UTC)
    assert local_time(start, offset=dt.timedelta(hours=-4)).strftime("%H:%M %z") == "03:00 -0400"
    assert local_time(start, zone=PLUS_TWO).hour == 9
    text = _text(_spike_page(params))
    assert "Times are in the time zone UTC+02:00, because the activity files" in text
    time = pytest.importorskip("time")
    if not hasattr(time, "tzset"):
        pytest.skip("no tzset on this platform")
    monkeypatch.setenv("TZ", "Europe/Copenhagen")
    time.tzset()
    try:
        page = render(build_report(_runs(((0, 10), (8, 25))), [], params=params))
        text = _text(page)
        assert "Tue 9 Jan 2024, 08:00" in text  # CET in winter
        assert "Times are in this computer's time zone (CET, UTC+01:00)" in text
    finally:
        monkeypatch.undo()
        time.tzset()


def test_file_names_relative_to_the_imported_folder(params: LoadParams) -> None:
    text = _text(_spike_page(params))
    assert "/home/ann" not in text
    assert "sub/b.fit" in text.replace(" ", "")
    assert str(file_name("/x/y/a_b.fit", "/x")) == "y/<wbr>a_<wbr>b.<wbr>fit"
    assert str(file_name("/elsewhere/z.gpx", "/x")) == "z.<wbr>gpx"


def test_charts_are_inline_svg_that_scale(params: LoadParams) -> None:
    page = _spike_page(params)
    charts = re.findall(r'<figure class="chart"><svg', page)
    assert len(charts) == 2
    assert ".load .chart svg{display:block;width:100%;height:auto}" in page
    assert SPIKE_COLOUR in page  # the 25 km week is red
    assert "spike line: 30-day longest x 1.1" in page


def test_weekly_rise_is_a_caution_not_a_spike(params: LoadParams) -> None:
    # week 1: 4 x 5 km; week 2: 6 x 5 km (+50%), no run longer than the longest before it
    plan = tuple((d, 5.0) for d in (0, 1, 2, 3)) + tuple((d, 5.0) for d in (7, 8, 9, 10, 11, 12))
    report = build_report(_runs(plan), [], params=params)
    weeks = recent_weeks(report.to_dict())
    assert [(w.caution, w.spike) for w in weeks] == [(False, False), (True, False)]
    assert weeks[1].threshold_km == pytest.approx(5.5)
    text = _text(render(report, zone=dt.UTC))
    assert "30.0 km after 20.0 km the week before (+50%)." in text
    assert "1 weekly caution in the last 28 days (the latest: +50% in the week of 8 Jan 2024)" in text
    assert "a caution, not a spike" in text.lower()
    assert "(Nielsen et al. 2014)" in text
    assert CAUTION_COLOUR in render(report, zone=dt.UTC)


def test_only_the_most_recent_26_weeks_with_runs_are_drawn(params: LoadParams) -> None:
    plan = tuple((14 * i, 5.0) for i in range(40))  # one run a fortnight: 40 weeks with running
    report = build_report(_runs(plan), [], params=params)
    weeks = recent_weeks(report.to_dict())
    assert len(weeks) == 26
    assert weeks[-1].start == (T0 + dt.timedelta(days=14 * 39)).date()
    assert "the 26 most recent weeks with running" in _text(render(report, zone=dt.UTC))
