"""The training-load report: a status headline first, spikes and cautions in words, charts as inline SVG.

Rendered with the shared templates (``templates/load_report.html.j2`` on ``base.html.j2`` and the one
stylesheet). The judgement is taken as the load command made it (``report.judgement``): this page never
re-derives a spike or a caution, it only says them in words and draws them. Times are local: the activity's
own UTC offset when the reader recorded one, else this computer's time zone, and the page says which.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from markupsafe import Markup, escape
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from glutemed.core.load import LoadReport, Session
from glutemed.knowledge.loader import KnowledgeBase, load_knowledge_base
from glutemed.reports.program_words import short_citation
from glutemed.reports.templating import PageSize
from glutemed.reports.templating import render as render_template

SPIKE_COLOUR, CAUTION_COLOUR, PLAIN_COLOUR = "#c62828", "#e0a800", "#1565c0"
THRESHOLD_COLOUR = "#111827"
# Display choice: the weekly charts show this many of the most recent weeks that hold a run.
CHART_WEEKS = 26
# Display choice: at most this many spikes and cautions are written out, the most recent first.
LISTED = 10


# ------------------------------------------------------------------------------------------------ words


def day_text(day: dt.date) -> str:
    """'14 Aug 2020'."""
    return f"{day.day} {day:%b %Y}"


def time_text(when: dt.datetime) -> str:
    """'Fri 14 Aug 2020, 19:09'."""
    return f"{when:%a} {day_text(when.date())}, {when:%H:%M}"


def local_time(
    start_utc: dt.datetime, offset: dt.timedelta | None = None, zone: dt.tzinfo | None = None
) -> dt.datetime:
    """The start in the activity's own offset when known, else in ``zone`` (None: this computer's zone)."""
    if offset is not None:
        return start_utc.astimezone(dt.timezone(offset))
    return start_utc.astimezone(zone)


def zone_words(zone: dt.tzinfo | None, when: dt.datetime) -> str:
    """Which clock the page's times use, said plainly."""
    here = when.astimezone(zone)
    name = here.tzname() or ""
    offset = here.strftime("%z")
    sign_hours = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    label = sign_hours if name in ("", sign_hours) else f"{name}, {sign_hours}"
    clock = f"this computer's time zone ({label})" if zone is None else f"the time zone {label}"
    return (
        f"Times are in {clock}, because the activity files read here do not record the runner's own offset "
        "from UTC."
    )


def dates_in_words(text: str) -> str:
    """Every ISO date in ``text`` written as '14 Aug 2020'."""
    return re.sub(r"\b(\d{4}-\d{2}-\d{2})\b", lambda m: day_text(dt.date.fromisoformat(m.group(1))), text)


def _pct(value: float) -> str:
    return f"{value:.0f}%"


def _km(value: float) -> str:
    return f"{value:.1f} km"


def file_name(path: str, base: str | None) -> Markup:
    """``path`` relative to the imported folder (its name alone when outside it), breakable after / _ . -."""
    shown = PurePath(path).name
    if base:
        try:
            relative = PurePath(path).relative_to(PurePath(base))
            shown = str(relative) if str(relative) != "." else PurePath(path).name
        except ValueError:
            shown = PurePath(path).name
    parts = re.split(r"(?<=[/_.])", shown)
    return Markup("<wbr>").join(escape(p) for p in parts if p)


class Sources:
    """Author-year citations for the page, numbered in the order the page first cites them."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.keys: list[str] = []

    def cite(self, keys: Iterable[str]) -> str:
        shown = []
        for key in keys:
            if key not in self.keys:
                self.keys.append(key)
            shown.append(short_citation(self.kb.references.get(key), key))
        return "; ".join(shown)

    def listing(self) -> list[dict[str, str]]:
        out = []
        for key in self.keys:
            ref = self.kb.references.get(key)
            out.append({"short": short_citation(ref, key), "full": ref.citation() if ref else key})
        return out


def _notes(model: dict[str, Any], sources: Sources) -> list[dict[str, str]]:
    return [{"text": n["text"], "cite": sources.cite(n["refs"])} for n in model.get("notes", [])]


# ----------------------------------------------------------------------------------------------- charts


def figure_svg(fig: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), ids salted with ``name``, text kept as text."""
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": name}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


@dataclass(frozen=True)
class Week:
    start: dt.date
    distance_km: float
    runs: int
    longest_km: float
    threshold_km: float | None  # the spike line at the week's longest run: previous-30-day longest x 1.1
    spike: bool
    caution: bool


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def recent_weeks(data: dict[str, Any], limit: int = CHART_WEEKS) -> list[Week]:
    """The most recent ``limit`` weeks that hold a run, oldest first, with what the judgement said of them."""
    j = data["judgement"]
    factor = j["thresholds"]["session_spike_above_pct_of_longest"] / 100.0
    spike_weeks = {_monday(dt.date.fromisoformat(s["date"])) for s in j["session_spikes"]}
    caution_weeks = {dt.date.fromisoformat(c["week_start"]) for c in j["weekly_cautions"]}
    longest: dict[dt.date, tuple[float, float | None]] = {}
    for row in data["models"].get("session_spikes", {}).get("rows", []):
        day = dt.datetime.fromisoformat(row["start_utc"]).date()
        week = _monday(day)
        prev = row.get("longest_prev_30d_km")
        threshold = None if prev is None else prev * factor
        if week not in longest or row["distance_km"] > longest[week][0]:
            longest[week] = (row["distance_km"], threshold)
    weeks = []
    for row in data["models"]["volume"]["rows"]:
        if not row["runs"]:
            continue
        start = dt.date.fromisoformat(row["week_start"])
        km, threshold = longest.get(start, (0.0, None))
        weeks.append(
            Week(
                start,
                row["distance_km"],
                row["runs"],
                km,
                threshold,
                start in spike_weeks,
                start in caution_weeks,
            )
        )
    return weeks[-limit:]


def _colour(week: Week) -> str:
    return SPIKE_COLOUR if week.spike else CAUTION_COLOUR if week.caution else PLAIN_COLOUR


def _axes(n: int, height_in: float = 3.0) -> tuple[Figure, Any]:
    fig = Figure(figsize=(6.0, height_in), dpi=100)
    ax = fig.add_subplot()
    ax.grid(True, axis="y", color="#e5e7eb", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(-0.6, n - 0.4)
    return fig, ax


def _week_ticks(ax: Any, weeks: Sequence[Week]) -> None:
    step = max(1, -(-len(weeks) // 9))  # at most about 9 labels, so they stay readable on a phone
    ticks = list(range(0, len(weeks), step))
    ax.set_xticks(ticks, [f"{w.start.day} {w.start:%b}\n{w.start:%Y}" for w in (weeks[i] for i in ticks)])
    ax.tick_params(axis="both", labelsize=9)


def weekly_distance_svg(weeks: Sequence[Week]) -> str | None:
    """Bars of weekly running distance, red for a spike week, amber for a caution week, blue otherwise."""
    if not weeks:
        return None
    fig, ax = _axes(len(weeks))
    x = list(range(len(weeks)))
    ax.bar(x, [w.distance_km for w in weeks], color=[_colour(w) for w in weeks], width=0.7)
    ax.set_ylabel("km in the week", fontsize=9)
    _week_ticks(ax, weeks)
    handles = [
        Patch(color=SPIKE_COLOUR, label="week with a spike"),
        Patch(color=CAUTION_COLOUR, label="week with a caution"),
        Patch(color=PLAIN_COLOUR, label="neither"),
    ]
    ax.legend(
        handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=9, frameon=False
    )
    return figure_svg(fig, "load-weekly-distance")


def longest_run_svg(weeks: Sequence[Week], pct: float) -> str | None:
    """The longest run of each week, and the spike line: the previous-30-day longest x ``pct`` / 100."""
    if not weeks:
        return None
    fig, ax = _axes(len(weeks))
    x = list(range(len(weeks)))
    ax.bar(
        x,
        [w.longest_km for w in weeks],
        color=[SPIKE_COLOUR if w.spike else PLAIN_COLOUR for w in weeks],
        width=0.7,
    )
    line = [float("nan") if w.threshold_km is None else w.threshold_km for w in weeks]
    ax.plot(x, line, color=THRESHOLD_COLOUR, linestyle="--", marker="_", markersize=16, linewidth=1.0)
    ax.set_ylabel("km in one run", fontsize=9)
    _week_ticks(ax, weeks)
    handles = [
        Patch(color=SPIKE_COLOUR, label="longest run is a spike"),
        Patch(color=PLAIN_COLOUR, label="longest run"),
        ax.get_lines()[0],
    ]
    ax.get_lines()[0].set_label(f"spike line: 30-day longest x {pct / 100:g}")
    ax.legend(
        handles=handles, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=9, frameon=False
    )
    return figure_svg(fig, "load-longest-run")


# ---------------------------------------------------------------------------------------------- context


def _range_words(weeks: Sequence[Week], all_weeks_with_runs: int) -> str:
    if not weeks:
        return ""
    first, last = weeks[0].start, weeks[-1].start
    span = (
        f"the weeks of {day_text(first)} to {day_text(last)}"
        if first != last
        else f"the week of {day_text(first)}"
    )
    if all_weeks_with_runs > len(weeks):
        return (
            f"Shown: the {len(weeks)} most recent weeks with running ({span}), of {all_weeks_with_runs} in the "
            "history; weeks without a run are left out, so neighbouring bars can be months apart."
        )
    return (
        f"Shown: every week with running ({span}); weeks without a run are left out, so neighbouring bars can "
        "be months apart."
    )


def _spike_items(report: LoadReport, sources: Sources, zone: dt.tzinfo | None) -> list[dict[str, str]]:
    cite = sources.cite(["frandsen2025"])
    items = []
    for s in reversed(report.judgement.session_spikes[-LISTED:]):
        when = local_time(dt.datetime.fromisoformat(s.start_utc), zone=zone)
        low, high = s.hrr_ci95
        items.append(
            {
                "when": time_text(when),
                "what": (
                    f"{_km(s.distance_km)}: {_pct(s.pct_of_longest_prev_30d)} of the longest run of the 30 days "
                    f"before it ({_km(s.longest_prev_30d_km)}), so {s.pct_of_longest_prev_30d - 100:.0f}% longer."
                ),
                "research": (
                    f"Runs {s.category.replace('-', '–')} longer than the 30-day longest had a hazard rate ratio "
                    f"of {s.hrr:.2f} (95% CI {low:.2f}–{high:.2f}) for a running injury in 5,205 runners ({cite})."
                ),
            }
        )
    return items


def _caution_items(report: LoadReport, sources: Sources) -> list[dict[str, str]]:
    cite = sources.cite(["nielsen2014a"])
    pct = report.judgement.params.weekly_caution_above_pct
    items = []
    for c in reversed(report.judgement.weekly_cautions[-LISTED:]):
        items.append(
            {
                "when": f"Week of {day_text(dt.date.fromisoformat(c.week_start))}",
                "what": (
                    f"{_km(c.distance_km)} after {_km(c.previous_km)} the week before ({c.change_pct:+.0f}%)."
                ),
                "research": (
                    f"Novice runners who raised weekly distance by more than {pct:g}% had a hazard ratio of 1.59 "
                    f"(95% CI 0.96–2.66, which crosses 1) for distance-related injuries ({cite}): a caution, "
                    "not a spike."
                ),
            }
        )
    return items


def _headline(report: LoadReport, last: dt.datetime) -> dict[str, Any]:
    """The status as of the last run: spikes in the last 30 days, cautions in the window, the ratio."""
    j = report.judgement
    to = dt.date.fromisoformat(j.window_to) if j.window_to else last.date()
    recent_spikes = [
        s for s in j.session_spikes if 0 <= (to - dt.date.fromisoformat(s.start_utc[:10])).days < 30
    ]
    window_from = dt.date.fromisoformat(j.window_from) if j.window_from else to
    # A week counts when any of its days falls in the window.
    recent_cautions = [
        c
        for c in j.weekly_cautions
        if dt.date.fromisoformat(c.week_start) + dt.timedelta(days=6) >= window_from
    ]
    parts = []
    if recent_spikes:
        s = recent_spikes[-1]
        n = len(recent_spikes)
        parts.append(
            f"{n} spike{'s' if n > 1 else ''} in the last 30 days (the latest: {_km(s.distance_km)}, "
            f"{_pct(s.pct_of_longest_prev_30d)} of the 30-day longest)"
        )
    else:
        parts.append("no spike in the last 30 days")
    if recent_cautions:
        c = recent_cautions[-1]
        n = len(recent_cautions)
        parts.append(
            f"{n} weekly caution{'s' if n > 1 else ''} in the last {j.window_days} days (the latest: "
            f"{c.change_pct:+.0f}% in the week of {day_text(dt.date.fromisoformat(c.week_start))})"
        )
    else:
        parts.append(f"no weekly caution in the last {j.window_days} days")
    reason = j.acwr_withheld_reason
    acwr_rows = report.model("acwr").rows
    ratio = acwr_rows[-1].get("ewma_ratio") if acwr_rows else None
    if reason:
        if "layoff" in reason and reason.startswith("back"):
            why = "because you are back from a long break"
        elif "layoff" in reason:
            why = "because of a break of two weeks or more without running"
        elif "history" in reason:
            why = "because the history is too short"
        else:
            why = "(why: below)"
        parts.append(f"the acute:chronic ratio is withheld {why}")
    elif ratio is not None:
        parts.append(f"the acute:chronic ratio is {ratio:.2f} (information only)")
    level = "spike" if recent_spikes else "caution" if recent_cautions else "clear"
    return {
        "lead": f"As of your last run on {day_text(last.date())}:",
        "text": "; ".join(parts) + ".",
        "level": level,
    }


def _acwr(data: dict[str, Any], sources: Sources) -> dict[str, Any]:
    model = data["models"]["acwr"]
    rows = model["rows"][-8:]
    shown = [
        {
            "date": day_text(dt.date.fromisoformat(r["date"])),
            "rolling": "withheld" if r["rolling_ratio"] is None else f"{r['rolling_ratio']:.2f}",
            "ewma": "withheld" if r["ewma_ratio"] is None else f"{r['ewma_ratio']:.2f}",
        }
        for r in rows
    ]
    any_ratio = any(r["rolling_ratio"] is not None or r["ewma_ratio"] is not None for r in rows)
    return {
        "withheld": dates_in_words(data["judgement"]["acwr_withheld_reason"] or ""),
        "notes": _notes(model, sources),
        "rows": shown if any_ratio else [],
        "n_rows": len(rows),
    }


def _changes(data: dict[str, Any], sources: Sources) -> dict[str, Any]:
    model = data["models"]["changes"]
    items = []
    for r in model["rows"]:
        what = (
            "shoes"
            if r.get("kind") == "shoes"
            else "surface"
            if r.get("kind") == "surface"
            else r.get("kind", "")
        )
        before = f" from {r['from']}" if r.get("from") else ""
        items.append(f"{day_text(dt.date.fromisoformat(r['date']))}: {what}{before} to {r.get('to')}")
    return {"rows": items, "notes": _notes(model, sources)}


def _hills(weeks: Sequence[Week], data: dict[str, Any], sources: Sources) -> str | None:
    shown = {w.start for w in weeks}
    gains = [
        (dt.date.fromisoformat(h["week_start"]), h["gain_m"])
        for h in data["models"].get("hills", {}).get("rows", [])
        if dt.date.fromisoformat(h["week_start"]) in shown and h.get("gain_m")
    ]
    if not gains:
        return None
    top_week, top = max(gains, key=lambda g: g[1])
    notes = " ".join(
        f"{n['text']} ({n['cite']})" if n["cite"] else n["text"]
        for n in _notes(data["models"]["hills"], sources)
    )
    return (
        f"Elevation gain in the weeks shown: {sum(g for _, g in gains):.0f} m in all, the most "
        f"{top:.0f} m in the week of {day_text(top_week)}. {notes}"
    ).strip()


def context(
    report: LoadReport, kb: KnowledgeBase | None = None, zone: dt.tzinfo | None = None
) -> dict[str, Any]:
    """Everything the template shows, already in words."""
    kb = kb or load_knowledge_base()
    sources = Sources(kb)
    data = report.to_dict()
    j = report.judgement
    t = j.params
    runs: list[Session] = sorted(report.runs, key=lambda s: s.start_utc)
    base = data["meta"].get("source")
    skipped = [
        {
            "file": file_name(s.source, base),
            "reason": s.reason,
            "same_as": file_name(s.duplicate_of, base) if s.duplicate_of else None,
        }
        for s in report.skipped
    ]
    other = ", ".join(f"{v} {k}" for k, v in data["counts"]["other_by_sport"].items())
    ctx: dict[str, Any] = {
        "version": data["glutemed_version"] or "",
        "schema": data["schema"],
        "source_name": PurePath(base).name if base else None,
        "has_runs": bool(runs),
        "counts": data["counts"],
        "other": other,
        "skipped": skipped,
        "n_duplicates": data["counts"]["duplicates"],
        "spike_pct": t.session_spike_above_pct_of_longest,
        "spike_over": t.session_spike_above_pct_of_longest - 100,
        "caution_pct": t.weekly_caution_above_pct,
        "min_previous_km": t.weekly_min_previous_km,
        "min_longest_km": t.session_min_longest_km,
    }
    if not runs:
        ctx["sources"] = sources.listing()
        return ctx
    first = local_time(runs[0].start_utc, zone=zone)
    last = local_time(runs[-1].start_utc, zone=zone)
    weeks = recent_weeks(data)
    weeks_with_runs = sum(1 for r in data["models"]["volume"]["rows"] if r["runs"])
    ctx.update(
        {
            "headline": _headline(report, last),
            "zone_words": zone_words(zone, runs[-1].start_utc),
            "last_run": time_text(last),
            "last_km": _km(runs[-1].distance_m / 1000.0),
            "period": f"{day_text(first.date())} to {day_text(last.date())}",
            "total_km": f"{data['summary']['total_distance_km']:.1f} km",
            "total_h": f"{data['summary']['total_time_h']:.1f} h",
            "range_words": _range_words(weeks, weeks_with_runs),
            "weekly_svg": Markup(weekly_distance_svg(weeks) or ""),
            "longest_svg": Markup(longest_run_svg(weeks, t.session_spike_above_pct_of_longest) or ""),
            "no_spike_line": all(w.threshold_km is None for w in weeks),
            "hills": _hills(weeks, data, sources),
            "spikes": _spike_items(report, sources, zone),
            "n_spikes": len(j.session_spikes),
            "spike_notes": _notes(data["models"]["session_spikes"], sources),
            "cautions": _caution_items(report, sources),
            "n_cautions": len(j.weekly_cautions),
            "caution_notes": _notes(data["models"]["week_change"], sources),
            "window": (
                f"the last {j.window_days} days ({day_text(dt.date.fromisoformat(j.window_from))} to "
                f"{day_text(dt.date.fromisoformat(j.window_to))})"
                if j.window_from and j.window_to
                else None
            ),
            "max_session": None
            if j.max_session_pct_of_longest is None
            else _pct(j.max_session_pct_of_longest),
            "max_weekly": None if j.max_weekly_increase_pct is None else f"{j.max_weekly_increase_pct:+.0f}%",
            "acwr": _acwr(data, sources),
            "changes": _changes(data, sources),
        }
    )
    ctx["sources"] = sources.listing()
    return ctx


def render(
    report: LoadReport,
    *,
    kb: KnowledgeBase | None = None,
    zone: dt.tzinfo | None = None,
    page_size: PageSize = "A4",
) -> str:
    """The whole page as a string. ``zone``: the clock for times without their own offset (None: this machine's)."""
    return render_template("load_report.html.j2", page_size=page_size, **context(report, kb, zone))
