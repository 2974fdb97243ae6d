"""Charts of a runner's progress for the clinician's progress page, drawn with matplotlib as inline SVG.

Drawn the way the gait report's figures are (``reports/plots.py``): a bare ``Figure`` (no pyplot, no global
backend, so it runs headless), saved to SVG text with ids salted per chart. Every chart comes with its alt text,
which states the numbers the picture shows; a function returns ``None`` when there is nothing to draw.
The inputs are plain sequences, so this module knows nothing of the database or the services.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.dates import DateFormatter, DayLocator
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from glutemed.reports.plots import FLAGGED_COLOUR, SIDE_COLOURS, figure_svg

DURING_COLOUR = "#c2410c"
MORNING_COLOUR = "#1f6fb4"
STIFFNESS_COLOUR = "#6b7280"
PLANNED_COLOUR = "#d1d5db"
DONE_COLOUR = "#15803d"
LOAD_COLOUR = "#1f6fb4"
CAUTION_COLOUR = "#d97706"


@dataclass(frozen=True)
class Chart:
    svg: str
    alt: str


@dataclass(frozen=True)
class DoseLine:
    """One exercise's dose after each decision (``values`` may hold None where the dose had no number)."""

    name: str
    unit: str
    days: Sequence[dt.date]
    values: Sequence[float | None]


@dataclass(frozen=True)
class GaitLeg:
    """One leg's (or the recording's) value of a gait metric at each assessment."""

    side: str
    days: Sequence[dt.date]
    values: Sequence[float]


def _figure(width_in: float = 7.5, height_in: float = 3.0) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    ax = fig.add_subplot()
    ax.grid(True, color="#e5e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _dates(ax: Axes, days: Sequence[dt.date]) -> None:
    """Whole days on the x axis (at most about eight labels), half a day of room either side."""
    first, last = min(days), max(days)
    step = max(1, math.ceil(((last - first).days + 1) / 8))
    ax.xaxis.set_major_locator(DayLocator(interval=step))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    half = dt.timedelta(hours=12)
    ax.set_xlim(
        dt.datetime.combine(first, dt.time()) - half,  # type: ignore[arg-type]
        dt.datetime.combine(last, dt.time()) + half,  # type: ignore[arg-type]
    )
    for label in ax.get_xticklabels():
        label.set_fontsize(8)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def pain_chart(
    days: Sequence[dt.date],
    during: Sequence[float | None],
    morning: Sequence[float | None],
    stiffness: Sequence[float | None],
    *,
    limit: float,
    limit_source: str,
    name: str,
) -> Chart | None:
    """Pain during (each session's highest) and next-morning pain and stiffness on a 0-10 axis, with the limit
    above which the progression rules step an exercise back."""
    series = [
        ("pain during", during, DURING_COLOUR, "o"),
        ("pain next morning", morning, MORNING_COLOUR, "s"),
        ("stiffness next morning", stiffness, STIFFNESS_COLOUR, "^"),
    ]
    if not any(v is not None for _, values, _, _ in series for v in values):
        return None
    fig, ax = _figure()
    for label, values, colour, marker in series:
        points = [(d, v) for d, v in zip(days, values, strict=True) if v is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, color=colour, marker=marker, markersize=5, linewidth=1.2, label=label)
    ax.axhline(limit, color=FLAGGED_COLOUR, linestyle="--", linewidth=1.0)
    ax.text(
        0.995,
        limit + 0.15,
        f"{_fmt(limit)}/10: above this, step back" + (f" ({limit_source})" if limit_source else ""),
        transform=ax.get_yaxis_transform(),
        ha="right",
        va="bottom",
        fontsize=8,
        color=FLAGGED_COLOUR,
    )
    ax.set_ylim(0, 10.5)
    ax.set_yticks(range(0, 11, 2))
    ax.set_ylabel("pain (0 = none, 10 = worst)")
    ax.set_xlabel("day of the session or run")
    ax.set_title("Pain during exercise and the next morning", fontsize=10, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    _dates(ax, days)
    parts = []
    for label, values, _, _ in series:
        found = [(v, d) for d, v in zip(days, values, strict=True) if v is not None]
        if found:
            top, top_day = max(found, key=lambda item: item[0])
            answers = f"{len(found)} answer{'s' if len(found) != 1 else ''}"
            parts.append(f"{label}: {answers}, highest {_fmt(top)}/10 on {_day(top_day)}")
    alt = (
        f"Pain chart, {_day(min(days))} to {_day(max(days))}. "
        + "; ".join(parts)
        + f". Dashed line at {_fmt(limit)}/10, the limit of the progression rules."
    )
    return Chart(figure_svg(fig, name), alt)


def adherence_chart(
    first_days: Sequence[dt.date], planned: Sequence[int], done: Sequence[int], *, name: str
) -> Chart | None:
    """Sessions planned and done per week, side by side."""
    if not first_days or (not any(planned) and not any(done)):
        return None
    fig, ax = _figure(7.5, 2.8)
    x = list(range(len(first_days)))
    ax.bar([i - 0.2 for i in x], planned, width=0.4, color=PLANNED_COLOUR, label="sessions planned")
    ax.bar([i + 0.2 for i in x], done, width=0.4, color=DONE_COLOUR, label="sessions done")
    ax.set_xticks(x, [f"{d:%d %b}" for d in first_days], fontsize=8)
    ax.set_xlabel("week starting")
    ax.set_ylabel("sessions")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title("Sessions done against the program's plan, per week", fontsize=10, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    weeks = "; ".join(
        f"week of {_day(d)}: {n} of {p}" for d, p, n in zip(first_days, planned, done, strict=True)
    )
    return Chart(figure_svg(fig, name), f"Sessions done of those planned, per week. {weeks}.")


def dose_chart(lines: Sequence[DoseLine], *, name: str) -> Chart | None:
    """Each exercise's dose over time, one panel per exercise (their units differ)."""
    shown = [line for line in lines if any(v is not None for v in line.values)]
    if not shown:
        return None
    fig = Figure(figsize=(7.5, 1.6 + 1.4 * len(shown)), dpi=100)
    axes = fig.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    alt = []
    for ax, line in zip(axes, shown, strict=True):
        points = [(d, v) for d, v in zip(line.days, line.values, strict=True) if v is not None]
        xs, ys = zip(*points, strict=True)
        ax.step(xs, ys, where="post", color="#374151", linewidth=1.2)
        ax.plot(xs, ys, "o", color="#374151", markersize=4)
        ax.grid(True, color="#e5e7eb", linewidth=0.6)
        ax.set_ylabel(line.unit, fontsize=8)
        ax.set_title(line.name, fontsize=9, loc="left")
        alt.append(f"{line.name}: {_fmt(ys[0])} to {_fmt(ys[-1])} {line.unit}")
        _dates(ax, [d for one in shown for d in one.days])
    axes[-1].set_xlabel("day of the decision")
    fig.suptitle("Dose of each exercise after each decision", fontsize=10, x=0.02, ha="left")
    fig.tight_layout()
    return Chart(figure_svg(fig, name), "Dose over time. " + "; ".join(alt) + ".")


def load_chart(
    week_starts: Sequence[dt.date],
    distance_km: Sequence[float],
    spikes: Sequence[int],
    cautions: Sequence[bool],
    *,
    name: str,
    title: str = "Running distance per week",
) -> Chart | None:
    """Running distance per week; weeks with a spike (a run far longer than the recent longest) in red, weeks
    with a weekly caution (distance up sharply on the week before) in amber."""
    if not week_starts:
        return None
    fig, ax = _figure(7.5, 2.8)
    x = list(range(len(week_starts)))
    colours = [
        FLAGGED_COLOUR if s else CAUTION_COLOUR if c else LOAD_COLOUR
        for s, c in zip(spikes, cautions, strict=True)
    ]
    ax.bar(x, distance_km, color=colours, width=0.7)
    for i, (km, s) in enumerate(zip(distance_km, spikes, strict=True)):
        if s:
            ax.text(i, km, f"spike x{s}" if s > 1 else "spike", ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x, [f"{d:%d %b}" for d in week_starts], fontsize=8, rotation=45 if len(x) > 12 else 0)
    ax.set_xlabel("week starting (Monday)")
    ax.set_ylabel("running distance (km)")
    ax.set_title(title, fontsize=10, loc="left")
    ax.legend(
        handles=[
            Patch(color=LOAD_COLOUR, label="week"),
            Patch(color=CAUTION_COLOUR, label="weekly rise caution"),
            Patch(color=FLAGGED_COLOUR, label="week with a spike"),
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=False,
    )
    spiky = [f"{_day(d)}" for d, s in zip(week_starts, spikes, strict=True) if s]
    alt = (
        f"{title}, {len(week_starts)} weeks from {_day(week_starts[0])}: "
        f"highest {_fmt(max(distance_km))} km. "
        + (f"Weeks with a spike: {', '.join(spiky)}." if spiky else "No week with a spike.")
    )
    return Chart(figure_svg(fig, name), alt)


def gait_chart(
    label: str, unit: str, sdd: float | None, legs: Sequence[GaitLeg], *, name: str, plain: bool = False
) -> Chart | None:
    """One gait metric at each assessment, each leg, with the smallest detectable difference as error bars:
    bars that overlap the first recording's value mean no real change."""
    shown = [leg for leg in legs if leg.values]
    if not shown:
        return None
    fig, ax = _figure(5.5, 2.6)
    days = sorted({d for leg in shown for d in leg.days})
    position = {d: i for i, d in enumerate(days)}
    for k, leg in enumerate(shown):
        offset = (k - (len(shown) - 1) / 2) * 0.12
        xs = [position[d] + offset for d in leg.days]
        colour = SIDE_COLOURS.get(leg.side, "#374151")
        ax.errorbar(
            xs,
            list(leg.values),
            yerr=sdd if sdd is not None else None,
            fmt="o-",
            color=colour,
            capsize=4,
            linewidth=1.0,
            label=f"{leg.side} leg" if leg.side in SIDE_COLOURS else "both legs",
        )
    ax.set_xticks(range(len(days)), [f"{d:%d %b %Y}" for d in days], fontsize=8)
    ax.set_xlim(-0.5, len(days) - 0.5)
    ax.set_xlabel("assessment")
    ax.set_ylabel(unit)
    what = "how far it moves between two recordings by chance" if plain else "smallest detectable difference"
    note = f" (bars: ± {what}, {_fmt(sdd)} {unit})" if sdd is not None else ""
    ax.set_title(f"{label}{note}", fontsize=9, loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    values = "; ".join(
        f"{leg.side}: " + ", ".join(f"{_fmt(v)}" for v in leg.values) + f" {unit}" for leg in shown
    )
    alt = f"{label} at {len(days)} assessments. {values}." + (
        f" Bars: ± {what}, {_fmt(sdd)} {unit}." if sdd is not None else ""
    )
    return Chart(figure_svg(fig, name), alt)
