"""The progress charts draw the numbers they are given: positions read back from the SVG, labels in words."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from glutemed.reports import monitoring_charts as mc
from glutemed.reports.plots import FLAGGED_COLOUR, SIDE_COLOURS

MON = dt.date(2026, 3, 2)
DAYS = [MON + dt.timedelta(days=i) for i in range(3)]


def markers(svg: str, colour: str) -> list[tuple[float, float]]:
    """(x, y) of each marker drawn in ``colour`` (the data points, then the legend's sample)."""
    found = re.findall(r'<use xlink:href="#m[^"]+" x="([\d.]+)" y="([\d.]+)" style="fill: ' + colour, svg)
    return [(float(x), float(y)) for x, y in found]


def texts(svg: str) -> list[str]:
    return re.findall(r">([^<>]+)</text>", svg)


def bar_heights(svg: str, colour: str) -> list[float]:
    """Heights of the filled rectangles (bars are paths of 4 corners) in ``colour``, left to right."""
    out = []
    for d in re.findall(r'<path d="([^"]+)"[^>]*style="fill: ' + colour, svg):
        ys = [float(y) for y in re.findall(r"[ML] [\d.]+ ([\d.]+)", d)]
        xs = [float(x) for x in re.findall(r"[ML] ([\d.]+) [\d.]+", d)]
        if len(ys) >= 4:
            out.append((min(xs), max(ys) - min(ys)))
    return [h for _, h in sorted(out)]


def test_pain_chart_places_points_on_the_0_10_axis_with_the_limit_line() -> None:
    chart = mc.pain_chart(
        DAYS, [0, 5, 10], [1, None, 3], [None, None, None], limit=5, limit_source="silbernagel2007", name="p"
    )
    assert chart is not None
    ET.fromstring(chart.svg)  # well-formed SVG
    during = markers(chart.svg, mc.DURING_COLOUR)[:3]
    (y0, y5, y10) = (y for _, y in during)
    assert y0 - y5 == pytest.approx(y5 - y10)  # linear axis
    assert y0 > y5 > y10  # higher pain is higher up
    (limit,) = re.findall(
        r'<path d="M [\d.]+ ([\d.]+) \nL [\d.]+ ([\d.]+) \n"[^>]*stroke: ' + FLAGGED_COLOUR, chart.svg
    )
    assert float(limit[0]) == pytest.approx(y5)  # the dashed line sits at 5/10
    morning = markers(chart.svg, mc.MORNING_COLOUR)[:2]
    assert morning[0][0] == pytest.approx(during[0][0])  # same day, same x
    assert morning[1][0] == pytest.approx(during[2][0])
    assert morning[0][1] == pytest.approx(y0 - (y0 - y5) / 5)  # 1/10
    words = texts(chart.svg)
    assert "pain (0 = none, 10 = worst)" in words
    assert "5/10: above this, step back (silbernagel2007)" in words
    assert {"02 Mar", "03 Mar", "04 Mar"} <= set(words)
    assert "highest 10/10 on 4 Mar 2026" in chart.alt
    assert "pain next morning: 2 answers, highest 3/10" in chart.alt


def test_pain_chart_without_answers_is_not_drawn() -> None:
    nothing = [None, None, None]
    assert mc.pain_chart(DAYS, nothing, nothing, nothing, limit=5, limit_source="x", name="p") is None


def test_adherence_bars_are_as_tall_as_the_counts() -> None:
    chart = mc.adherence_chart([MON, MON + dt.timedelta(days=7)], [3, 3], [3, 1], name="a")
    assert chart is not None
    planned = bar_heights(chart.svg, mc.PLANNED_COLOUR)
    done = bar_heights(chart.svg, mc.DONE_COLOUR)
    assert len(planned) >= 2
    assert len(done) >= 2
    assert done[0] == pytest.approx(planned[0])
    assert done[1] == pytest.approx(planned[0] / 3)
    assert "week of 2 Mar 2026: 3 of 3; week of 9 Mar 2026: 1 of 3" in chart.alt
    assert "week starting" in texts(chart.svg)


def test_load_chart_marks_the_spike_week() -> None:
    weeks = [MON + dt.timedelta(days=7 * i) for i in range(3)]
    chart = mc.load_chart(weeks, [16.0, 8.0, 24.0], [0, 0, 1], [False, False, True], name="l")
    assert chart is not None
    blue = bar_heights(chart.svg, mc.LOAD_COLOUR)
    red = bar_heights(chart.svg, FLAGGED_COLOUR)
    assert blue[0] == pytest.approx(2 * blue[1])  # 16 km and 8 km
    assert red[0] == pytest.approx(3 * blue[1])  # the spike week, 24 km, drawn red (spike over caution)
    assert "spike" in texts(chart.svg)
    assert "running distance (km)" in texts(chart.svg)
    assert "Weeks with a spike: 16 Mar 2026." in chart.alt
    assert chart.alt.startswith("Running distance per week, 3 weeks from 2 Mar 2026: highest 24 km.")
    assert mc.load_chart([], [], [], [], name="l") is None


def test_dose_chart_one_panel_per_exercise_in_words() -> None:
    lines = [
        mc.DoseLine("Clamshell", "reps", DAYS, [10, 12, 12]),
        mc.DoseLine("Single-leg Romanian deadlift", "kg added", DAYS[:2], [0.0, 2.5]),
        mc.DoseLine("Nothing numeric", "reps", DAYS[:1], [None]),
    ]
    chart = mc.dose_chart(lines, name="d")
    assert chart is not None
    words = texts(chart.svg)
    assert "Clamshell" in words
    assert "Single-leg Romanian deadlift" in words
    assert "Nothing numeric" not in words
    assert "Clamshell: 10 to 12 reps; Single-leg Romanian deadlift: 0 to 2.5 kg added" in chart.alt


def test_gait_chart_has_sdd_error_bars() -> None:
    legs = [mc.GaitLeg("left", [MON, MON + dt.timedelta(days=28)], [6.0, 3.5])]
    chart = mc.gait_chart("Pelvic drop", "deg", 2.8, legs, name="g")
    assert chart is not None
    # the error bars are vertical segments 2 x SDD long, one per assessment
    bars = re.findall(
        r'<path d="M ([\d.]+) ([\d.]+) \nL ([\d.]+) ([\d.]+) \n"[^>]*stroke: ' + SIDE_COLOURS["left"],
        chart.svg,
    )
    vertical = [(float(y1), float(y2)) for x1, y1, x2, y2 in bars if x1 == x2][:2]  # then the legend's
    assert len(vertical) == 2
    points = markers(chart.svg, SIDE_COLOURS["left"])[:2]
    per_degree = (points[1][1] - points[0][1]) / (6.0 - 3.5)
    for (top, bottom), _ in zip(vertical, points, strict=True):
        assert abs(bottom - top) == pytest.approx(2 * 2.8 * per_degree, rel=1e-3)
    assert "smallest detectable difference, 2.8 deg" in " ".join(texts(chart.svg))
    assert "Bars: ± smallest detectable difference, 2.8 deg." in chart.alt
    plain = mc.gait_chart("Pelvic drop", "deg", 2.8, legs, name="g", plain=True)
    assert plain is not None
    assert "smallest detectable" not in plain.alt + plain.svg
    assert "how far it moves between two recordings by chance, 2.8 deg" in plain.alt
