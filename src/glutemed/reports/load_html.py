"""A self-contained HTML page for a training-load report, with inline SVG charts drawn here.

No template engine and no plotting library: every piece of text goes through ``html.escape``.
"""

from __future__ import annotations

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


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, marked: Sequence[bool], unit: str, title: str
) -> str:
    """SVG bars; a marked bar is drawn in red. Labels of every ~12th bar are written under the axis."""
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
        color = "#c62828" if marked[i] else "#1565c0"
        parts.append(
            f'<rect x="{x:.1f}" y="{_H - _PAD - h:.1f}" width="{max(width - 1, 0.5):.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{_e(label)}: {value:.1f} {_e(unit)}</title></rect>'
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
        f'<p class="note">{_e(n["text"])} <em>[{_e(", ".join(n["refs"]))}]</em></p>' for n in model["notes"]
    )


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
        spikes_by_week: set[str] = set()
        for r in models["session_spikes"]["rows"]:
            if r.get("hrr") is not None:
                spikes_by_week.add(_week_of(r["start_utc"][:10], models["volume"]["rows"]))
        weeks = models["volume"]["rows"]
        labels = [w["week_start"] for w in weeks]
        parts.append(
            "<h2>Weekly running distance</h2><p class='note'>Red: weeks with a session more than 10% "
            "longer than the longest run of the previous 30 days.</p>"
        )
        parts.append(
            bar_chart(
                labels,
                [w["distance_km"] for w in weeks],
                marked=[w in spikes_by_week for w in labels],
                unit="km",
                title="weekly km",
            )
        )
        parts.append(_notes(models["session_spikes"]))
        hills = models["hills"]["rows"]
        parts.append("<h2>Elevation gain per week</h2>")
        parts.append(
            bar_chart(
                labels,
                [h["gain_m"] for h in hills],
                marked=[False] * len(hills),
                unit="m",
                title="weekly elevation gain",
            )
        )
        parts.append(_notes(models["hills"]))
        spike_rows = [r for r in models["session_spikes"]["rows"] if r.get("hrr") is not None]
        parts.append(f"<h2>Session spikes ({len(spike_rows)})</h2>")
        parts.append(
            _table(
                spike_rows,
                [
                    "start_utc",
                    "distance_km",
                    "longest_prev_30d_km",
                    "pct_of_longest_prev_30d",
                    "category",
                    "hrr",
                ],
            )
        )
        cautions = [r for r in models["week_change"]["rows"] if r["caution"]]
        parts.append(f"<h2>Weekly increases above 30% ({len(cautions)})</h2>{_notes(models['week_change'])}")
        parts.append(_table(cautions, ["week_start", "previous_km", "distance_km", "change_pct"]))
        parts.append("<h2>Acute:chronic ratio (information only)</h2>")
        parts.append(f"<div class='caution'>{_notes(models['acwr'])}</div>")
        parts.append(_table(models["acwr"]["rows"][-8:], ["date", "rolling_ratio", "ewma_ratio"]))
        parts.append(f"<h2>Changes of shoes or surface</h2>{_notes(models['changes'])}")
        parts.append(_table(models["changes"]["rows"], ["date", "kind", "from", "to"]))
    parts.append(f"<h2>Skipped files ({len(data['skipped'])})</h2>")
    parts.append(_table(data["skipped"], ["source", "reason", "duplicate_of"]))
    parts.append(
        f"<p class='note'>References: {_e(', '.join(data['references']))}. "
        f"Schema {_e(data['schema'])}.</p></body></html>"
    )
    return "".join(parts)


def _week_of(day: str, weeks: Sequence[dict[str, Any]]) -> str:
    found = str(weeks[0]["week_start"])
    for w in weeks:
        if w["week_start"] <= day:
            found = str(w["week_start"])
    return found
