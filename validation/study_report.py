"""Camera study, part 4: the report and the docs/validation.md section (split out of
``validation/camera_study.py``, the entry point)."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from validation.study_scoring import (
    ErrorRow,
    Recording,
    VerdictRow,
)
from validation.study_setup import (
    DOC,
    END_MARK,
    LABELS,
    METRICS,
    START_MARK,
    WINDOW_S,
    CameraDraw,
    Trial,
)
from validation.study_stats import (
    FACTORS,
    MIN_GROUP,
    _fmt,
    _group_of,
    _settings_of,
    error_stats,
    rank_settings,
)

# -- report --------------------------------------------------------------------------------------------------


def report(
    *,
    trials: Sequence[Trial],
    cams: Sequence[CameraDraw],
    recordings: Sequence[Recording],
    errors: Sequence[ErrorRow],
    verdict_rows: Sequence[VerdictRow],
    batch: dict[str, Any],
    seed: int,
    command: str,
    minutes: float,
) -> str:
    """The docs/validation.md section: method, error table, settings, worst cases, verdicts, limits."""
    settings = _settings_of(recordings)
    by_metric = {m: [e for e in errors if e.metric == m] for m in METRICS}
    parts = [
        _intro(
            trials, cams=cams, n_rec=len(recordings), batch=batch, seed=seed, command=command, minutes=minutes
        ),
        _error_table(by_metric),
        _dominance_table(
            by_metric,
            settings,
            title="**Which settings matter.** For each metric, the camera settings ranked by the share of the "
            "spread of the absolute errors that lies between the setting's groups (1 = the setting alone "
            "explains the spread, 0 = nothing), with that setting's best and worst group by their 90th "
            "percentile. The runner is listed too: the two runners differ in how hard they are to measure. "
            "*Runner on screen* is the median hip-to-ankle length in the picture, which distance and field of "
            f"view set together. Groups of fewer than {MIN_GROUP} values are left out of the ranking.",
        ),
        _dominance_table(
            by_metric,
            settings,
            title="**Once the camera is square on.** The same ranking among the cameras within 10 deg of the "
            "ideal axis only, to show what matters after the dominant setting is controlled.",
            keep={"0-5 deg", "5-10 deg"},
        ),
        _by_setting_tables(by_metric, settings),
        _worst_table(by_metric, recordings),
        _verdict_section(verdict_rows),
        _failures(batch),
        LIMITS,
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def _intro(
    trials: Sequence[Trial],
    *,
    cams: Sequence[CameraDraw],
    n_rec: int,
    batch: dict[str, Any],
    seed: int,
    command: str,
    minutes: float,
) -> str:
    redraws = sum(c.redraws for c in cams)
    runners = "; ".join(f"{t.name} ({t.origin})" for t in trials)
    return (
        "## Camera study: random phone cameras through the batch\n\n"
        f"Re-run: {command}; seed {seed}; `--cameras N` for a quicker study. Generator: "
        "`validation/camera_study.py` (see `validation/README.md`); test: `tests/validation/test_camera_study.py`. "
        f"This run: {len(cams)} cameras x {len(trials)} runners = {n_rec} recordings of {WINDOW_S:g} s each, "
        f"analysed by `glutemed batch` on a Dask LocalCluster ({batch['workers']} workers): {batch['done']} "
        f"analysed and {batch['skipped']} already done by an earlier run with the same input and config, "
        f"{batch['failed']} failed; the study took {minutes:.1f} min of wall time in this run. {redraws} camera "
        "draws that cut the runner off were drawn again.\n\n"
        "**Cameras.** Each camera is drawn at random: placement behind, in front of, left or right of the "
        "treadmill (equally likely; on a treadmill this also sets the direction of travel in the picture: away, "
        "towards, right to left, left to right), standing up to 25 deg round the runner off that axis, 2.5-8 m "
        "away at a height of 0.4-1.6 m, aimed at the runner's middle with up to 5 deg of aiming error in yaw, "
        "pitch and roll, a field of view of 40-75 deg across the long side of a 1920 x 1080 picture held "
        "upright or sideways, 30, 60, 120 or 240 fps (resampled from the lab's 150 or 200 Hz; 240 fps is an "
        "upsample), Gaussian pixel noise of 0-3 px on every coordinate and 0-10 % of frames dropped. Every "
        "trial is filmed by every camera (a 12 s stretch at a random point). Step width in cm is given the "
        "camera's true metres per pixel at the landing feet through the manifest's per-recording config: "
        f"the best case. Views are named in the manifest, not detected. Runners: {runners}.\n\n"
        "**Errors.** For each recording and leg: the batch table's median of the metric minus the truth's "
        "median over the stances that lie wholly inside the filmed 12 s (`glutemed.core.mocap_truth`, the same "
        "definitions as above). Cadence: one error per recording, in per cent of the true cadence. Each metric "
        "is scored from the views it is measured in (frontal metrics from rear and front, knee flexion and "
        "contact time from the side). A leg the batch left without a value is counted as missing, not as an "
        "error."
    )


def _digits(metric: str) -> int:
    return 3 if metric == "step_width_pelvis_ratio" else 2


def _error_table(by_metric: dict[str, list[ErrorRow]]) -> str:
    lines = [
        "| metric | unit | from | n | missing | median error | 90th percentile | worst | median signed (bias) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for metric, rows in by_metric.items():
        unit, views, _ = METRICS[metric]
        st = error_stats([e.error for e in rows])
        missing = sum(1 for e in rows if not math.isfinite(e.error))
        d = _digits(metric)
        lines.append(
            f"| {LABELS[metric]} | {unit} | {'/'.join(views)} | {st.n} | {missing} | {_fmt(st.median_abs, d)} "
            f"| {_fmt(st.p90_abs, d)} | {_fmt(st.worst_abs, d)} | {_fmt(st.median_signed, d)} |"
        )
    return "\n".join(lines)


DOMINANT_SHARE = 0.2  # our own cut for "this setting dominates" in the summary sentence


def _dominance_table(
    by_metric: dict[str, list[ErrorRow]],
    settings: dict[tuple[str, int], dict[str, str]],
    *,
    title: str,
    keep: set[str] | None = None,
) -> str:
    """``keep``: only recordings whose off-axis group is in it (None: all)."""
    lines = [
        title,
        "",
        "| metric | n | first | share | its best group / worst group (90th pct) | second | share | third | share |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    strong: list[str] = []
    weak: list[tuple[str, float]] = []
    for metric, all_rows in by_metric.items():
        rows = [
            e for e in all_rows
            if keep is None or settings[(e.trial, e.camera_id)]["off-axis angle"] in keep
        ]  # fmt: skip
        n = sum(1 for e in rows if math.isfinite(e.error))
        if n < 10:
            continue
        ranked = rank_settings(rows, settings)
        if len(ranked) < 3:
            continue
        r1, r2, r3 = ranked[:3]
        d = _digits(metric)
        unit = METRICS[metric][0]
        lines.append(
            f"| {LABELS[metric]} | {n} | {r1.factor} | {r1.share:.2f} | {r1.best}: {_fmt(r1.best_p90, d)} / "
            f"{r1.worst}: {_fmt(r1.worst_p90, d)} | {r2.factor} | {r2.share:.2f} | {r3.factor} | {r3.share:.2f} |"
        )
        if r1.share >= DOMINANT_SHARE:
            strong.append(
                f"{r1.factor} dominates {LABELS[metric]} (share {r1.share:.2f}; 90th percentile "
                f"{_fmt(r1.best_p90, d)} {unit} at {r1.best} against {_fmt(r1.worst_p90, d)} at {r1.worst})"
            )
        else:
            weak.append((LABELS[metric], r1.share))
    words = "; ".join(strong) if strong else "no setting dominates any metric"
    if weak:
        words += (
            f". For {', '.join(w for w, _ in weak)} no single setting explains more than "
            f"{max(s for _, s in weak):.2f} of the spread (the share {DOMINANT_SHARE:g} that we call dominant "
            "is our own cut)"
        )
    return "\n".join(lines) + f"\n\nIn words: {words}."


def _by_setting_tables(
    by_metric: dict[str, list[ErrorRow]], settings: dict[tuple[str, int], dict[str, str]]
) -> str:
    out = [
        "**Errors by setting.** 90th percentile of the absolute error per group (its number of legs in "
        "brackets; cadence: recordings). Bold: the worst group of the setting for that metric."
    ]
    shown = [m for m in METRICS if by_metric[m]]
    for factor in FACTORS:
        groups = sorted({s[factor] for s in settings.values()}, key=_group_order)
        lines = [
            f"*{factor}*",
            "",
            "| group | " + " | ".join(f"{LABELS[m]} ({METRICS[m][0]})" for m in shown) + " |",
            "|---|" + "---|" * len(shown),
        ]
        cells: dict[tuple[str, str], tuple[float, int]] = {}
        for m in shown:
            for g in groups:
                vals = [
                    abs(e.error) for e in by_metric[m]
                    if math.isfinite(e.error) and _group_of(e, factor, settings) == g
                ]  # fmt: skip
                cells[(g, m)] = (float(np.percentile(vals, 90)) if vals else -1.0, len(vals))
        worst: dict[str, str] = {}
        for m in shown:
            p90_of = {g: cells[(g, m)][0] for g in groups}
            worst[m] = max(p90_of, key=p90_of.__getitem__)
        for g in groups:
            row = []
            for m in shown:
                p90, n = cells[(g, m)]
                text = f"{_fmt(p90, _digits(m))} ({n})" if n else "- (0)"
                row.append(f"**{text}**" if worst[m] == g and len(groups) > 1 and n else text)
            lines.append(f"| {g} | " + " | ".join(row) + " |")
        out.append("\n".join(lines))
    return "\n\n".join(out)


def _worst_table(by_metric: dict[str, list[ErrorRow]], recordings: Sequence[Recording]) -> str:
    lines = [
        "**Worst recording per metric** (largest absolute error) and its camera:",
        "",
        "| metric | error | runner, leg | placement | off-axis | distance | height | field of view | fps "
        "| noise | dropped | leg on screen |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_key = {(r.trial.name, r.cam.camera_id): r for r in recordings}
    for metric, rows in by_metric.items():
        finite = [e for e in rows if math.isfinite(e.error)]
        if not finite:
            continue
        e = max(finite, key=lambda x: abs(x.error))
        r = by_key[(e.trial, e.camera_id)]
        c = r.cam
        lines.append(
            f"| {LABELS[metric]} | {e.error:+.{_digits(metric)}f} {METRICS[metric][0]} | {e.trial}, {e.leg} "
            f"| {c.placement} | {c.off_axis_deg:+.0f} deg | {c.distance_m:.1f} m | {c.height_m:.2f} m "
            f"| {c.fov_deg:.0f} deg | {c.fps_hz:g} | {c.noise_px:.1f} px | {100 * c.drop_fraction:.0f} % "
            f"| {r.leg_px:.0f} px |"
        )
    return "\n".join(lines)


def _failures(batch: dict[str, Any]) -> str:
    if not batch["errors"]:
        return ""
    reasons: dict[str, int] = {}
    for err in batch["errors"]:
        reason = str(err["reason"]).split(": ", 1)[-1]
        reasons[reason] = reasons.get(reason, 0) + 1
    items = [f"- {count} x {reason}" for reason, count in sorted(reasons.items(), key=lambda x: -x[1])]
    return "**Recordings the batch could not analyse:**\n\n" + "\n".join(items)


LIMITS = (
    "**What this study does not cover.** The 2-D keypoints are the mocap joint centres projected exactly, "
    "plus independent Gaussian noise: no pose estimator runs, so MediaPipe's own errors (a knee placed on the "
    "trouser's edge, left and right legs swapped, a far leg hidden in a side view, errors that follow the body "
    "rather than being independent per frame) are not in these numbers. Noise in pixels is the same however "
    "large the runner appears, whereas a pose model's error grows with the body's size in the picture. No "
    "lens distortion, rolling shutter, motion blur or compression. Two treadmill runners only, one speed each, "
    "neither with a marked fault, so the verdict table mostly shows agreement on normal values; overground "
    "running (a runner crossing the picture), and phones held in the hand are not simulated. Shoulders (and "
    "for the RIC runner a nose) are synthetic. The step-width scale is the true one. The truth has errors of "
    "its own (hip centres from a regression, kinematic contacts for the RIC runner; see Method)."
)


def _group_order(label: str) -> tuple[int, float, str]:
    head = label.split(maxsplit=1)[0].lstrip("<>=").split("-", maxsplit=1)[0]
    try:
        return (0, float(head), label)
    except ValueError:
        order = ["rear", "front", "left", "right", "landscape", "portrait"]
        return (1, float(order.index(label)) if label in order else 99.0, label)


def _verdict_section(rows: Sequence[VerdictRow]) -> str:
    out = [
        "**Fault verdicts: 2-D against the truth.** Each fault's verdict in the batch table (per leg, from a "
        "view that can judge it, with enough stances) against the verdict the same knowledge-base rule gives "
        "on the truth's medians over the same stances. Faults shown for information only, or whose metric "
        "has no truth here (overstride: shank angle), are left out. *Margin*: how far the truth lies from the "
        "nearer of the rule's two numbers (borderline, flagged), median over the comparisons: a small margin "
        "means a small error can change the verdict.",
        "",
        "| fault | comparisons | agree | truth's margin (median) | truth -> 2-D verdict (count) |",
        "|---|---|---|---|---|",
    ]
    for fault in sorted({r.fault_id for r in rows}):
        mine = [r for r in rows if r.fault_id == fault]
        agree = sum(1 for r in mine if r.truth == r.measured)
        pairs: dict[tuple[str, str], int] = {}
        for r in mine:
            pairs[(r.truth, r.measured)] = pairs.get((r.truth, r.measured), 0) + 1
        detail = ", ".join(f"{t} -> {m}: {n}" for (t, m), n in sorted(pairs.items()))
        margin = float(np.median([r.margin for r in mine]))
        out.append(
            f"| {fault} | {len(mine)} | {agree} ({100 * agree / len(mine):.0f} %) | {margin:.2f} {mine[0].unit} "
            f"| {detail} |"
        )
    if not rows:
        out.append("| (none) | 0 | - | - | - |")
    return "\n".join(out)


def write_doc(section: str, doc: Path = DOC) -> None:
    """Replace the text between the camera-study markers (added before "## Not yet validated" the first time)."""
    text = doc.read_text(encoding="utf-8")
    block = f"{START_MARK}\n{section}{END_MARK}\n"
    if START_MARK in text and END_MARK in text:
        head, rest = text.split(START_MARK, 1)
        tail = rest.split(END_MARK, 1)[1].lstrip("\n")
        text = head + block + "\n" + tail
    elif "## Not yet validated" in text:
        head, tail = text.split("## Not yet validated", 1)
        text = head + block + "\n## Not yet validated" + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block
    doc.write_text(text, encoding="utf-8")


def write_errors_csv(errors: Sequence[ErrorRow], recordings: Sequence[Recording], path: Path) -> None:
    by_key = {(r.trial.name, r.cam.camera_id): r for r in recordings}
    cam_fields = [f.name for f in fields(CameraDraw)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["trial", "leg", "metric", "truth", "measured", "error", *cam_fields, "leg_on_screen_px"]
        )
        for e in errors:
            rec = by_key[(e.trial, e.camera_id)]
            cam = asdict(rec.cam)
            writer.writerow(
                [
                    e.trial,
                    e.leg,
                    e.metric,
                    e.truth,
                    e.measured,
                    e.error,
                    *(cam[f] for f in cam_fields),
                    rec.leg_px,
                ]
            )
