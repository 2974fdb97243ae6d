"""Figures of the gait report, drawn with matplotlib and returned as inline SVG text.

No pyplot and no global backend: each figure is a bare ``matplotlib.figure.Figure`` saved to SVG in memory, with
text kept as text (searchable, small) and element ids salted per figure so several SVGs can share one page.
Every function returns ``None`` when it has nothing to draw, so the page can leave the figure out.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from glutemed.core import kinematics as kin
from glutemed.core.engine import GaitEngine
from glutemed.core.events import SIDES
from glutemed.core.series import FloatArray
from glutemed.core.stance_curves import StanceCurve, angle_track, normalise_stances, summarise
from glutemed.core.view import View

SIDE_COLOURS = {"left": "#1f6fb4", "right": "#c2410c"}
BORDERLINE_COLOUR = "#d97706"
FLAGGED_COLOUR = "#b91c1c"
# Display choice, not a measurement rule: longer recordings show only their first seconds in the time plot so
# single stances stay readable. Every stance still counts in the tables and the per-stance plots.
TIME_WINDOW_S = 12.0


@dataclass(frozen=True)
class Band:
    """A metric's reference band for drawing: the two thresholds and their unit."""

    borderline: float
    flagged: float
    unit: str


def figure_svg(fig: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), ids salted with ``name``."""
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(width_in: float = 9.0, height_in: float = 3.0) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    ax = fig.add_subplot()
    ax.grid(True, color="#e5e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _shade_stances(ax: Axes, engine: GaitEngine, t_end_s: float) -> None:
    for stance in engine.events_.stances:
        if stance.strike_time_s <= t_end_s:
            ax.axvspan(
                stance.strike_time_s,
                min(stance.toe_off_time_s, t_end_s),
                color=SIDE_COLOURS[stance.side],
                alpha=0.14,
                linewidth=0,
            )


def _stance_legend(ax: Axes, extra: Sequence[tuple[str, str]] = ()) -> None:
    handles = [Patch(color=SIDE_COLOURS[side], alpha=0.25, label=f"{side} stance") for side in SIDES] + [
        Patch(color=colour, label=label) for label, colour in extra
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def _window(times_s: FloatArray) -> tuple[npt.NDArray[np.bool_], float, str]:
    t_end = float(min(times_s[-1], times_s[0] + TIME_WINDOW_S))
    shown = times_s <= t_end
    duration = float(times_s[-1] - times_s[0])
    note = f" (first {TIME_WINDOW_S:g} s of {duration:.1f} s)" if duration > TIME_WINDOW_S else ""
    return shown, t_end, note


def time_series_svg(engine: GaitEngine, name: str) -> str | None:
    """Pelvic obliquity (rear/front view) or knee flexion of both legs (side view) over time, stances shaded."""
    series = engine.series_
    up = kin.upright_positions(series)
    times = series.times_s
    if times.size < 2:
        return None
    shown, t_end, note = _window(times)
    fig, ax = _figure(7.5, 3.0)
    if engine.view_ is View.SIDE:
        for side in SIDES:
            flexion = kin.knee_flexion_deg(
                up[:, series.index(f"{side}_hip")],
                up[:, series.index(f"{side}_knee")],
                up[:, series.index(f"{side}_ankle")],
            )
            ax.plot(times[shown], flexion[shown], color=SIDE_COLOURS[side], linewidth=1.2)
        ax.set_title(f"Knee flexion over time{note}", fontsize=10, loc="left")
        ax.set_ylabel("knee flexion (deg, 0 = straight)")
        _stance_legend(ax, [(f"{side} knee", SIDE_COLOURS[side]) for side in SIDES])
    else:
        obliquity = kin.pelvic_obliquity_deg(
            up[:, series.index("left_hip")], up[:, series.index("right_hip")]
        )
        ax.plot(times[shown], obliquity[shown], color="#374151", linewidth=1.2)
        ax.set_title(f"Pelvic obliquity over time{note}", fontsize=10, loc="left")
        ax.set_ylabel("deg (+ = right hip lower)")
        _stance_legend(ax)
    _shade_stances(ax, engine, t_end)
    ax.set_xlim(float(times[0]), t_end)
    ax.set_xlabel("time (s)")
    return figure_svg(fig, name)


def per_stance_svg(
    engine: GaitEngine, metric: str, label: str, bands: Sequence[tuple[str, Band]], name: str
) -> str | None:
    """Each stance's value of one metric for both legs against strike time, with the reference bands drawn.

    ``bands`` holds one (fault name, band) pair per fault judged on this metric; with several faults the line
    style tells them apart.
    """
    rows = [(s.side, s.strike_time_s, getattr(s, metric)) for s in engine.stances_.stances]
    points = [(side, t, float(v)) for side, t, v in rows if v is not None and np.isfinite(float(v))]
    if not points:
        return None
    fig, ax = _figure(7.5, 2.8)
    for side in SIDES:
        ts = [t for s, t, _ in points if s == side]
        vs = [v for s, _, v in points if s == side]
        if vs:
            ax.plot(ts, vs, "o", color=SIDE_COLOURS[side], markersize=4, label=f"{side} ({len(vs)} stances)")
            ax.axhline(float(np.median(vs)), color=SIDE_COLOURS[side], linewidth=1.0, alpha=0.7)
    styles = ("--", ":", "-.")
    for i, (fault, band) in enumerate(bands):
        prefix = f"{fault}: " if len(bands) > 1 else ""
        style = styles[i % len(styles)]
        ax.axhline(band.borderline, color=BORDERLINE_COLOUR, linestyle=style, label=f"{prefix}borderline")
        ax.axhline(band.flagged, color=FLAGGED_COLOUR, linestyle=style, label=f"{prefix}flagged")
    ax.set_title(f"{label}: every stance (solid lines: each leg's median)", fontsize=10, loc="left")
    ax.set_xlabel("time of foot strike (s)")
    ax.set_ylabel(f"{label} ({bands[0][1].unit})" if bands else label, fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return figure_svg(fig, name)


@dataclass(frozen=True)
class Asymmetry:
    label: str
    left: float
    right: float
    unit: str


def asymmetry_svg(items: Sequence[Asymmetry], name: str) -> str | None:
    """Horizontal bars of left minus right (each leg's median), one per metric, labelled with the value."""
    shown = [a for a in items if np.isfinite(a.left) and np.isfinite(a.right)]
    if not shown:
        return None
    diffs = [a.left - a.right for a in shown]
    fig, ax = _figure(9.0, 0.5 + 0.45 * len(shown))
    y = np.arange(len(shown))
    colours = [SIDE_COLOURS["left"] if d >= 0 else SIDE_COLOURS["right"] for d in diffs]
    ax.barh(y, diffs, color=colours, height=0.55)
    ax.axvline(0.0, color="#111827", linewidth=0.8)
    ax.set_yticks(y, [a.label for a in shown], fontsize=8)
    ax.invert_yaxis()
    span = max(abs(d) for d in diffs) or 1.0
    ax.set_xlim(-1.6 * span, 1.6 * span)
    for yi, d, a in zip(y, diffs, shown, strict=True):
        ax.text(d, yi, f"  {d:+.1f} {a.unit}  ", va="center", ha="left" if d >= 0 else "right", fontsize=8)
    ax.set_xlabel("left minus right (median of each leg); bars right of 0: left larger")
    ax.set_title("Left-right asymmetry", fontsize=10, loc="left")
    return figure_svg(fig, name)


# ----------------------------------------------------------------------------- joint angles over stance

ANGLE_TITLES = {
    "knee_flexion": ("Knee bend over stance (deg, 0 = straight leg)", "knee flexion (deg)"),
    "pelvic_drop": (
        "Pelvic drop over stance (deg since foot strike, + = other hip lower)",
        "pelvis tilt (deg)",
    ),
    "hip_adduction": ("Hip adduction over stance (deg, + = thigh inwards)", "hip adduction (deg)"),
}


@dataclass(frozen=True)
class NormBand:
    """A published value for uninjured runners drawn on a stance plot: mean and SD of a peak."""

    mean: float
    sd: float
    label: str  # e.g. "uninjured runners' peak, mean ± 1 SD (Author 2018)"


def angle_over_stance(engine: GaitEngine, angle: str) -> dict[str, StanceCurve]:
    """Per leg, the angle over normalised stance (median and 25-75 % band); legs without stances left out.

    Pelvic drop is drawn as the rise of the pelvis tilt since foot strike, the way the metric is measured.
    """
    out: dict[str, StanceCurve] = {}
    for side in SIDES:
        windows = [(s.strike_time_s, s.toe_off_time_s) for s in engine.events_.stances_of(side)]
        curves = normalise_stances(
            angle_track(engine.series_, angle, side),
            engine.series_.times_s,
            windows,
            relative_to_strike=angle == "pelvic_drop",
        )
        summary = summarise(curves)
        if summary is not None and np.isfinite(summary.median).any():
            out[side] = summary
    return out


def stance_curve_svg(
    curves: dict[str, StanceCurve], angle: str, norm: NormBand | None, name: str
) -> str | None:
    """One panel per leg: the median curve, the 25-75 % band of the stances, and the published band."""
    if not curves:
        return None
    title, ylabel = ANGLE_TITLES[angle]
    fig = Figure(figsize=(8.0, 2.9), dpi=100)
    axes = fig.subplots(1, len(curves), sharey=True, squeeze=False)[0]
    for ax, (side, curve) in zip(axes, curves.items(), strict=True):
        ax.grid(True, color="#e5e7eb", linewidth=0.6)
        ax.set_axisbelow(True)
        colour = SIDE_COLOURS[side]
        if norm is not None:
            ax.axhspan(norm.mean - norm.sd, norm.mean + norm.sd, color="#9ca3af", alpha=0.28, linewidth=0)
            ax.axhline(norm.mean, color="#6b7280", linestyle="--", linewidth=0.9)
        ax.fill_between(curve.percent, curve.low, curve.high, color=colour, alpha=0.25, linewidth=0)
        ax.plot(curve.percent, curve.median, color=colour, linewidth=1.8)
        ax.set_xlim(0.0, 100.0)
        ax.set_title(f"{side.capitalize()} leg ({curve.n_stances} stances)", fontsize=9, loc="left")
        ax.set_xlabel("stance (% from foot strike to toe off)", fontsize=8)
        ax.tick_params(labelsize=8)
    axes[0].set_ylabel(ylabel, fontsize=8)
    handles = [
        Patch(color="#374151", label="line: median of the stances"),
        Patch(color="#374151", alpha=0.25, label="colour band: 25th-75th percentile"),
    ]
    if norm is not None:
        handles.append(Patch(color="#9ca3af", alpha=0.28, label=norm.label))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=7, frameon=False)
    fig.suptitle(title, fontsize=10, x=0.01, ha="left")
    fig.subplots_adjust(bottom=0.3, top=0.82, wspace=0.08)
    return figure_svg(fig, name)
