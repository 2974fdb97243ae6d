"""A self-contained HTML page for a training-load report, with inline SVG charts drawn here.

No template engine and no plotting library: every piece of text goes through ``html.escape``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from typing import Any

from glutemed.core.load import LoadReport

_W, _H, _PAD = 900, 220, 36
_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:960px;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;font-size:.9rem}.caution{background:#fff3cd;padding:.5rem;border-left:4px solid #e0a800}
.note{color:#555;font-size:.9rem}svg{background:#fafafa;border:1px solid #ddd}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


SPIKE_COLOUR, CAUTION_COLOUR, PLAIN_COLOUR = "#c62828", "#e0a800", "#1565c0"


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, colours: Sequence[str], unit: str, title: str
) -> str:
    """SVG bars, each in its own colour. Labels of every ~12th bar are written under the axis."""
    n = max(len(values), 1)
    top = max((v for v in values), default=0.0) or 1.0
    width = (_W - 2 * _PAD) / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" role="img" '
        f'aria-label="{_e(title)}"><title>{_e(title)}</title>'
    ]
    step = max(1, n // 12)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = (_H - 2 * _PAD) * value / top
        x = _PAD + i * width
        parts.append(
            f'<rect x="{x:.1f}" y="{_H - _PAD - h:.1f}" width="{max(width - 1, 0.5):.1f}" '
            f'height="{h:.1f}" fill="{_e(colours[i])}"><title>{_e(label)}: {value:.1f} {_e(unit)}</title></rect>'
        )
        if i % step == 0:
            parts.append(f'<text x="{x:.1f}" y="{_H - 8}" font-size="10">{_e(label)}</text>')
    parts.append(f'<text x="4" y="14" font-size="11">{_e(unit)} (max {top:.1f})</text></svg>')
    return "".join(parts)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e('' if r.get(c) is None else r.get(c))}</td>" for c in columns) + "</tr>"
        for r in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _notes(model: dict[str, Any]) -> str:
    return "".join(
        f'<p class="note">{_e(n["text"])}'
        + (f" <em>[{_e(', '.join(n['refs']))}]</em>" if n["refs"] else "")
        + "</p>"
        for n in model["notes"]
    )


def _week_colours(data: dict[str, Any]) -> list[str]:
    """Red for a week holding a spike, amber for a weekly caution without a spike, blue otherwise."""
    weeks = data["models"]["volume"]["rows"]
    judgement = data["judgement"]
    spike_weeks = {_monday_of(s["date"]) for s in judgement["session_spikes"]}
    caution_weeks = {c["week_start"] for c in judgement["weekly_cautions"]}
    return [
        SPIKE_COLOUR
        if w["week_start"] in spike_weeks
        else CAUTION_COLOUR
        if w["week_start"] in caution_weeks
        else PLAIN_COLOUR
        for w in weeks
    ]


def _distance_section(data: dict[str, Any]) -> list[str]:
    weeks = data["models"]["volume"]["rows"]
    t = data["judgement"]["thresholds"]
    legend = (
        f"<p class='note'>Red: a week with a <strong>spike</strong>, a run more than "
        f"{t['session_spike_above_pct_of_longest'] - 100:g}% longer than the longest run of the previous 30 days. "
        f"Amber: a week with a <strong>caution</strong>, more than {t['weekly_caution_above_pct']:g}% above the "
        "week before (a caution, not a spike). Blue: neither.</p>"
    )
    chart = bar_chart(
        [w["week_start"] for w in weeks],
        [w["distance_km"] for w in weeks],
        colours=_week_colours(data),
        unit="km",
        title="weekly km",
    )
    return ["<h2>Weekly running distance</h2>", legend, chart]


def _hills_section(data: dict[str, Any]) -> list[str]:
    hills = data["models"]["hills"]["rows"]
    chart = bar_chart(
        [h["week_start"] for h in hills],
        [h["gain_m"] for h in hills],
        colours=[PLAIN_COLOUR] * len(hills),
        unit="m",
        title="weekly elevation gain",
    )
    return ["<h2>Elevation gain per week</h2>", chart, _notes(data["models"]["hills"])]


def _judgement_sections(data: dict[str, Any]) -> list[str]:
    j, models = data["judgement"], data["models"]
    t = j["thresholds"]
    spikes, cautions = j["session_spikes"], j["weekly_cautions"]
    spike_cols = ["date", "distance_km", "longest_prev_30d_km", "pct_of_longest_prev_30d", "category", "hrr"]
    return [
        f"<h2>Spikes: single runs ({len(spikes)})</h2>",
        f"<p>A spike is one run more than {t['session_spike_above_pct_of_longest'] - 100:g}% longer than the "
        "longest run of the previous 30 days.</p>",
        _notes(models["session_spikes"]),
        _table(spikes, spike_cols),
        f"<h2>Cautions: weekly rises ({len(cautions)})</h2>",
        f"<p>A caution, not a spike: a week more than {t['weekly_caution_above_pct']:g}% above the week before, "
        f"counted only when that week held at least {t['weekly_min_previous_km']:g} km.</p>",
        _notes(models["week_change"]),
        _table(cautions, ["week_start", "previous_km", "distance_km", "change_pct"]),
        f"<p class='note'>Last {j['window_days']} days ({_e(j['window_from'])} to {_e(j['window_to'])}): longest "
        f"run {_e(_pct(j['max_session_pct_of_longest']))} of the 30-day longest; largest weekly change "
        f"{_e(_pct(j['max_weekly_increase_pct']))}.</p>",
    ]


def _acwr_section(data: dict[str, Any]) -> list[str]:
    reason = data["judgement"]["acwr_withheld_reason"]
    withheld = f"<p><strong>Ratio withheld:</strong> {_e(reason)}.</p>" if reason else ""
    rows = data["models"]["acwr"]["rows"][-8:]
    return [
        "<h2>Acute:chronic ratio (information only)</h2>",
        f"<div class='caution'>{_notes(data['models']['acwr'])}</div>",
        withheld,
        _table(rows, ["date", "rolling_ratio", "ewma_ratio", "withheld_reason"]),
    ]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def render(report: LoadReport) -> str:
    """The whole page as a string."""
    data = report.to_dict()
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>glutemed training load</title><style>{_CSS}</style></head><body>",
        "<h1>Training load</h1>",
    ]
    s = data["summary"]
    parts.append(
        _table([{"item": k, "value": v} for k, v in s.items() if not isinstance(v, dict)], ["item", "value"])
    )
    models = data["models"]
    if models:
        parts += _distance_section(data)
        parts += _judgement_sections(data)
        parts += _hills_section(data)
        parts += _acwr_section(data)
        parts.append(f"<h2>Changes of shoes or surface</h2>{_notes(models['changes'])}")
        parts.append(_table(models["changes"]["rows"], ["date", "kind", "from", "to"]))
    parts.append(f"<h2>Skipped files ({len(data['skipped'])})</h2>")
    parts.append(_table(data["skipped"], ["source", "reason", "duplicate_of"]))
    parts.append(
        f"<p class='note'>References: {_e(', '.join(data['references']))}. "
        f"Schema {_e(data['schema'])}, glutemed {_e(data['glutemed_version'])}.</p></body></html>"
    )
    return "".join(parts)


def _monday_of(day: str) -> str:
    date = dt.date.fromisoformat(day)
    return (date - dt.timedelta(days=date.weekday())).isoformat()
