"""The running-assessment report: one self-contained HTML page built from a ``glutemed.gait/v1`` result.

No template engine: the page is assembled from f-strings and every piece of text from a file name, the result
or the knowledge base goes through ``html.escape``. Figures are inline SVG (``glutemed.reports.plots``), so the
file needs nothing beside it. ``recordings`` are the analysed recordings in the result's order; any object
with ``path``, ``engine`` and ``verdicts`` will do (the services layer passes its ``Recording``).
"""

from __future__ import annotations

import html
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from glutemed.contracts.gait_result import FaultVerdictOut, read_gait_result
from glutemed.contracts.gait_views import metric_label, normal_band, one_row_per_metric
from glutemed.core.engine import GaitEngine
from glutemed.core.faults import FaultVerdict, Verdict
from glutemed.core.quality import CONF_FULL, FULL_STANCES, TILT_OK_DEG
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.reports import plots

STANCE_SOURCE = "dingenen2018a"
STABLE_MEAN_STEPS = 6.3  # Dingenen 2018a (EVIDENCE.md [V]): steps needed for a stable mean of 2-D angles
VERDICT_WORDS = {
    "within": "within reference",
    "borderline": "borderline",
    "flagged": "flagged",
    "not-enough-data": "not judged",
}
_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;padding:0 1rem;color:#1f2937}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #d1d5db;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
td,th{border:1px solid #d1d5db;padding:.3rem .5rem;text-align:left;font-size:.88rem;vertical-align:top}
th{background:#f3f4f6}.v{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-weight:600}
.v-within{background:#dcfce7;color:#166534}.v-borderline{background:#fef3c7;color:#92400e}
.v-flagged{background:#fee2e2;color:#991b1b}.v-not-enough-data{background:#f3f4f6;color:#6b7280}
.box{padding:.6rem 1rem;border-left:5px solid;margin:1rem 0}.missing{background:#eff6ff;border-color:#3b82f6}
.advice{background:#fffbeb;border-color:#f59e0b}.unverified{color:#92400e;font-weight:600}
.note{color:#4b5563;font-size:.88rem}svg{max-width:100%;height:auto}code{font-size:.85em}
figure{margin:1rem 0}.stills figure{display:inline-block;width:46%;margin:0 1% 1rem;vertical-align:top}
.stills img{width:100%;height:auto;max-height:16cm;object-fit:contain}
@page{size:A4;margin:1.5cm}@media print{body{margin:0;max-width:none}figure{break-inside:avoid}}
"""


class RecordingLike(Protocol):
    @property
    def path(self) -> Path: ...

    @property
    def engine(self) -> GaitEngine: ...

    @property
    def verdicts(self) -> list[FaultVerdict]: ...


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _num(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    return _e(f"{text} {unit}".strip())


def _cite(kb: KnowledgeBase, key: str) -> str:
    ref = kb.references.get(key)
    return _e(ref.citation() if ref else key)


def _verification(level: str) -> str:
    if level == "verified":
        return "verified"
    word = "unverified threshold" if level == "unverified" else f"{level} source"
    return f'<span class="unverified">{_e(word)}</span>'


def _badge(verdict: str) -> str:
    return f'<span class="v v-{_e(verdict)}">{_e(VERDICT_WORDS.get(verdict, verdict))}</span>'


def _fault_name(kb: KnowledgeBase, fault_id: str) -> str:
    fault = kb.gait_faults.get(fault_id)
    return f"{_e(fault.name if fault else fault_id)} <code>{_e(fault_id)}</code>"


def _fault_ids(result: dict[str, Any], kb: KnowledgeBase) -> list[str]:
    present = {f["fault_id"] for f in result["faults"]}
    return [k for k in kb.gait_faults if k in present] + sorted(present - set(kb.gait_faults))


def _by_fault(result: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for f in result["faults"]:
        out.setdefault(f["fault_id"], {})[f["side"]] = f
    return out


def _header(result: dict[str, Any]) -> str:
    rows = []
    for rec in result["recordings"]:
        how = (
            f"detected (confidence {rec['view_confidence']:.2f})"
            if rec["view_detected"] and rec["view_confidence"] is not None
            else "given"
        )
        stances = rec["n_stances"]
        rows.append(
            f"<tr><td>{_e(Path(rec['path']).name)}</td><td>{_e(rec['view'])} — {_e(how)}</td>"
            f"<td>{_num(rec['fps_hz'], 'fps')}</td><td>{_num(rec['duration_s'], 's')}</td>"
            f"<td>L {_e(stances.get('left', 0))} / R {_e(stances.get('right', 0))}</td>"
            f"<td>{_num(rec['cadence_spm'], 'steps/min')}</td>"
            f"<td>{_num(rec['quality']['overall'], digits=2)}</td></tr>"
        )
    return (
        "<h1>Running assessment</h1>"
        f'<p class="note">glutemed {_e(result["glutemed_version"])} · {_e(result["created_utc"])} · '
        f"result schema {_e(result['schema'])}</p>"
        "<table><tr><th>Recording</th><th>View</th><th>Frame rate</th><th>Duration</th><th>Stances</th>"
        f"<th>Cadence</th><th>Quality (0–1)</th></tr>{''.join(rows)}</table>"
        + _pose_notes(result)
        + '<p class="note">A screening from 2-D video, not a diagnosis. Most reference values come from 3-D '
        "motion capture, so a 2-D angle is only roughly comparable; the smallest detectable difference (SDD) "
        "and the difference between the two legs matter more than one absolute cut-off. Quality multiplies "
        "keypoint confidence, stance count, frame rate and camera tilt; 0 means no verdict was possible.</p>"
    )


def _pose_notes(result: dict[str, Any]) -> str:
    """The pose stage's quality notes (e.g. how many people were seen and whom the pose followed)."""
    notes = [
        f'<p class="note"><strong>{_e(Path(rec["path"]).name)}</strong>: {_e(note)}</p>'
        for rec in result["recordings"]
        for note in str(rec.get("pose", {}).get("quality_notes", "")).split(" | ")
        if note
    ]
    return "".join(notes)


def _missing_box(result: dict[str, Any], kb: KnowledgeBase) -> str:
    missing = result.get("missing_views") or []
    if not missing:
        return ""
    items = []
    filmed = {rec["view"] for rec in result.get("recordings", [])}
    for group in missing:
        views = set(group.split("/"))
        names = [
            f.name
            for f in kb.gait_faults.values()
            if views & {v.value for v in f.views} and not filmed & {v.value for v in f.views}
        ]
        items.append(
            f"<li><strong>{_e(group)} view</strong> was not filmed, so these faults are not judged: "
            f"{_e(', '.join(names) or 'none')}.</li>"
        )
    return (
        '<div class="box missing"><h3>Which view is missing</h3><ul>'
        + "".join(items)
        + "</ul><p>Film the missing view in the same session and analyse both files together; the report "
        "then merges them.</p></div>"
    )


def _rows(result: dict[str, Any]) -> list[FaultVerdictOut]:
    """One verdict per metric and leg, as the analyzer gave it (shared metrics get one row)."""
    return one_row_per_metric(read_gait_result(result, "gait result").faults)


def _summary(result: dict[str, Any], kb: KnowledgeBase) -> str:
    by_metric: dict[str, dict[str, FaultVerdictOut]] = {}
    for f in _rows(result):
        by_metric.setdefault(f.metric, {})[f.side] = f

    def cell(f: FaultVerdictOut, span: int = 1) -> str:
        quality = f" · quality {f.quality:.2f}" if f.verdict != "not-enough-data" else ""
        shown = f.reason if f.verdict == "not-enough-data" else ""
        reason = f'<br><span class="note">{_e(shown)}</span>' if shown else ""
        return f'<td colspan="{span}">{_badge(f.verdict)}{_e(quality)}{reason}</td>'

    rows = []
    for sides in by_metric.values():
        first = next(iter(sides.values()))
        cells = (
            cell(sides["both"], 2)
            if "both" in sides
            else "".join(cell(sides[s]) if s in sides else "<td>—</td>" for s in ("left", "right"))
        )
        names = " / ".join(_e(f.name) for f in kb.gait_faults.values() if f.metric == first.metric)
        rows.append(f"<tr><td>{names or _e(first.name)}</td>{cells}</tr>")
    return (
        "<h2>Summary per leg</h2><table><tr><th>Fault</th><th>Left leg</th><th>Right leg</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _sdd_text(kb: KnowledgeBase, fault_id: str) -> str:
    fault = kb.gait_faults.get(fault_id)
    sdd = fault.sdd if fault else None
    if sdd is None:
        return "—"
    return (
        f"{_num(sdd.value, sdd.unit)}<br><span class='note'>{_cite(kb, sdd.ref)}; "
        f"{_verification(sdd.verification.value)}</span>"
    )


def _metrics_table(result: dict[str, Any], kb: KnowledgeBase) -> str:
    rows = []
    every = read_gait_result(result, "gait result").faults
    for f in _rows(result):
        value = _num(f.value, f.unit)
        if f.judged_by == "other-side" and f.judged_value is not None:
            value += f"<br><span class='note'>{f.judged_value:+.1f} {_e(f.unit)} vs the other leg</span>"
        own = "<br><span class='note'>glutemed default</span>" if f.own_default else ""
        rows.append(
            f"<tr><td>{_e(metric_label(f, kb))}<br><code>{_e(f.metric)}</code></td>"
            f"<td>{_e(f.side)}</td><td>{value}</td><td>{_e(normal_band(f, kb, every))}{own}</td>"
            f"<td>{_badge(f.verdict)}</td><td>{_e(f.n_stances)}</td><td>{_sdd_text(kb, f.fault_id)}</td>"
            f"<td>{_cite(kb, f.ref)}<br>{_verification(f.verification)}</td></tr>"
        )
    return (
        "<h2>Metrics against reference bands</h2>"
        "<table><tr><th>Fault / metric</th><th>Leg</th><th>Median</th><th>Normal band</th>"
        "<th>Verdict</th><th>Stances</th><th>SDD</th><th>Threshold source</th></tr>"
        + "".join(rows)
        + '</table><p class="note">Median over the leg\'s stances. Where two faults share a metric (too stiff '
        "or too soft), one band holds both and the row names the direction the value departs to. "
        '<span class="unverified">Unverified</span> thresholds come from a source whose numbers have not been '
        "checked against the paper: treat them as rough. A change between two sessions counts as real only "
        "when it exceeds the SDD.</p>"
    )


def _best_recording(recordings: Sequence[RecordingLike], fault_id: str) -> RecordingLike | None:
    measured = [
        r
        for r in recordings
        if any(v.fault_id == fault_id and v.verdict is not Verdict.NOT_ENOUGH_DATA for v in r.verdicts)
    ]
    return max(measured, key=lambda r: r.engine.quality_.overall, default=None)


def _name(kb: KnowledgeBase, fault_id: str) -> str:
    fault = kb.gait_faults.get(fault_id)
    return fault.name if fault else fault_id


def _judged_by_metric(result: dict[str, Any], kb: KnowledgeBase) -> dict[str, list[dict[str, Any]]]:
    """Per-leg metrics with at least one verdict, each with one fault entry per fault judged on it."""
    out: dict[str, list[dict[str, Any]]] = {}
    by_fault = _by_fault(result)
    for fid in _fault_ids(result, kb):
        judged = [
            f for f in by_fault[fid].values() if f["side"] != "both" and f["verdict"] != "not-enough-data"
        ]
        if judged:
            out.setdefault(judged[0]["metric"], []).append(judged[0])
    return out


def _figure(svg: str | None, caption: str) -> str:
    return f"<figure>{svg}<figcaption class='note'>{_e(caption)}</figcaption></figure>" if svg else ""


def _plots(result: dict[str, Any], recordings: Sequence[RecordingLike], kb: KnowledgeBase) -> str:
    parts = ["<h2>Plots</h2>"]
    for i, rec in enumerate(recordings):
        caption = (
            "Knee flexion of both legs; shaded: stances (foot strike to toe off)."
            if rec.engine.view_.value == "side"
            else "Hip line against the horizontal; shaded: stances. Pelvic drop is the rise from foot strike "
            "to the peak within each stance, so a constant camera roll does not change it."
        )
        parts.append(f"<h3>{_e(rec.path.name)}</h3>")
        parts.append(_figure(plots.time_series_svg(rec.engine, f"time-{i}"), caption))
    asym: list[plots.Asymmetry] = []
    for metric, faults in _judged_by_metric(result, kb).items():
        best = _best_recording(recordings, faults[0]["fault_id"])
        if best is None:
            continue
        names = [_name(kb, f["fault_id"]) for f in faults]
        label = " / ".join(names)
        bands = [
            (n, plots.Band(f["borderline"], f["flagged"], f["unit"]))
            for n, f in zip(names, faults, strict=True)
        ]
        svg = plots.per_stance_svg(best.engine, metric, metric, bands, f"stance-{metric}")
        caption = (
            f"{label}, from {best.path.name}: broken lines mark the borderline (amber) and flagged (red) "
        )
        parts.append(_figure(svg, caption + "thresholds."))
        sides = _by_fault(result)[faults[0]["fault_id"]]
        left, right = sides.get("left", {}).get("value"), sides.get("right", {}).get("value")
        if left is not None and right is not None:
            asym.append(plots.Asymmetry(label, left, right, faults[0]["unit"]))
    parts.append(
        _figure(
            plots.asymmetry_svg(asym, "asymmetry"),
            "Difference between the legs' medians for each judged fault; compare it with the metric's SDD "
            "before reading much into it.",
        )
    )
    return "".join(parts)


def _meanings(result: dict[str, Any], kb: KnowledgeBase) -> str:
    parts = ["<h2>What each finding means</h2>"]
    for fid in _fault_ids(result, kb):
        fault = kb.gait_faults.get(fid)
        if fault is None:
            continue
        verdicts = " · ".join(f"{s}: {_badge(f['verdict'])}" for s, f in _by_fault(result)[fid].items())
        cues = "".join(f"<li>{_e(c)}</li>" for c in fault.cues)
        refs = "".join(f"<li>{_cite(kb, key)}</li>" for key in fault.refs)
        parts.append(
            f"<h3>{_e(fault.name)} <code>{_e(fid)}</code></h3><p>{verdicts}</p>"
            f"<p><strong>What it is.</strong> {_e(fault.definition)}</p>"
            f"<p><strong>What the evidence says.</strong> {_e(fault.evidence)}</p>"
            + (f"<p><strong>Cues that may help.</strong></p><ul>{cues}</ul>" if cues else "")
            + f"<details><summary>References</summary><ul>{refs}</ul></details>"
        )
    return "".join(parts)


def _advice_for(rec: dict[str, Any], quality_cfg: dict[str, Any], kb: KnowledgeBase) -> list[str]:
    q, tips = rec["quality"], []
    if q["confidence_factor"] < 1:
        tips.append(
            f"The pose model's median keypoint confidence was {_num(q['median_confidence'], digits=2)} "
            f"(the quality score gives full credit from {CONF_FULL:g}, a choice of this project). Film in even "
            "light, wear fitted clothes that stand out from the background, keep the whole body from head to "
            "feet in the frame and nothing between the camera and the runner."
        )
    if q["fps_factor"] < 1 or q["fps_hz"] < quality_cfg["good_fps_hz"]:
        good = quality_cfg["good_fps_hz"]
        tips.append(
            f"Filmed at {_num(q['fps_hz'], 'fps')}. The configuration recommends at least {good:g} fps "
            "(<code>good_fps_hz</code>; often cited as the practical minimum for running video, Souza 2016, "
            "<span class='unverified'>unverified</span>) and gives no verdict below "
            f"{quality_cfg['min_fps_hz']:g} fps (<code>min_fps_hz</code>). Choose a {good:g} fps or "
            "slow-motion setting on the phone."
        )
    fewest = min(rec["n_stances"].get(s, 0) for s in ("left", "right"))
    if fewest < FULL_STANCES:
        need = quality_cfg["min_stances_per_side"]
        tips.append(
            f"The leg with fewer stances had {fewest}. At least {need} per leg are needed for any verdict: "
            f"about {STABLE_MEAN_STEPS} steps were needed for a stable mean of 2-D running angles "
            f"({_cite(kb, STANCE_SOURCE)}). More stances raise the score up to {FULL_STANCES} per leg (a choice "
            "of this project): film a longer stretch of steady running."
        )
    roll = rec.get("camera_roll_deg")
    if q["tilt_factor"] < 1 and roll is not None:
        tips.append(
            f"The camera looked rolled by about {_num(abs(roll), 'deg')} (estimated from the body); the quality "
            f"score starts to fall beyond {TILT_OK_DEG:g} deg (a choice of this project). Level the phone on a "
            "tripod and face the runner squarely."
        )
    return tips


def _filming_advice(result: dict[str, Any], kb: KnowledgeBase) -> str:
    quality_cfg = result["config"]["quality"]
    blocks = []
    for rec in result["recordings"]:
        tips = _advice_for(rec, quality_cfg, kb)
        if tips:
            items = "".join(f"<li>{t}</li>" for t in tips)
            blocks.append(f"<p><strong>{_e(Path(rec['path']).name)}</strong></p><ul>{items}</ul>")
    if not blocks:
        return ""
    return '<div class="box advice"><h3>How to film better next time</h3>' + "".join(blocks) + "</div>"


STILL_CAPTIONS = {
    "representative": "Representative stance: the stance of that leg whose value lies closest to the leg's median.",
    "worst": "Worst stance: the stance with the largest value (knee flexion peak in stance for a side view, pelvic "
    "drop peak for a rear or front view).",
}


def _stills(stills: Mapping[str, str] | None) -> str:
    """Mid-stance frames with the angle drawn (PNG data URIs from ``glutemed.reports.overlay.stance_stills``)."""
    if not stills:
        return ""
    figures = "".join(
        f'<figure><img src="{_e(uri)}" alt="{_e(key)} stance"><figcaption class="note">'
        f"{_e(STILL_CAPTIONS.get(key, key))}</figcaption></figure>"
        for key, uri in stills.items()
        if uri.startswith("data:image/")
    )
    return (
        '<h2>Representative and worst stance</h2><div class="stills">'
        + figures
        + '</div><p class="note">Frames at mid-stance with the keypoints the analysis used; the angle drawn is '
        "measured on that frame, so it can differ from the stance's peak value printed above it.</p>"
    )


def render_gait_report(
    result: dict[str, Any],
    recordings: Sequence[RecordingLike],
    kb: KnowledgeBase,
    stills: Mapping[str, str] | None = None,
) -> str:
    """The whole report as one HTML document (inline CSS, SVG and PNG stills, no external assets)."""
    if len(recordings) != len(result["recordings"]):
        raise ValueError("recordings must be the ones the result was built from, in the same order")
    title = "Running assessment — " + ", ".join(Path(r["path"]).name for r in result["recordings"])
    body = (
        _header(result)
        + _missing_box(result, kb)
        + _filming_advice(result, kb)
        + _summary(result, kb)
        + _metrics_table(result, kb)
        + _plots(result, recordings, kb)
        + _stills(stills)
        + _meanings(result, kb)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )


def _atomic_write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_gait_report(
    result: dict[str, Any],
    recordings: Sequence[RecordingLike],
    kb: KnowledgeBase,
    path: Path,
    stills: Mapping[str, str] | None = None,
) -> Path:
    """Render and write the report; it appears all at once (temporary name, then rename) or not at all."""
    text = render_gait_report(result, recordings, kb, stills)
    return _atomic_write(Path(path), text.encode("utf-8"))


def write_gait_pdf(html_text: str, path: Path) -> Path:
    """The report as PDF (WeasyPrint renders the inline SVG and PNG); written atomically like the HTML."""
    from weasyprint import HTML

    pdf = HTML(string=html_text).write_pdf()
    if not pdf:
        raise OSError(f"{path}: WeasyPrint produced no PDF")
    return _atomic_write(Path(path), bytes(pdf))
