"""Camera study, part 2: the recordings, the batch run and the scoring against the truth (split out of
``validation/camera_study.py``, the entry point)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glutemed.batch import jobs_from_manifest, run_batch
from glutemed.config import load_config
from glutemed.core.faults import FaultRule, Verdict
from glutemed.io.keypoints_json import write_keypoints_json
from glutemed.knowledge.loader import knowledge_base
from glutemed.services.analyze import fault_rules
from validation.study_setup import (
    METRICS,
    CameraDraw,
    Trial,
    WindowTruth,
    build_camera,
    film,
    leg_on_screen_px,
    metres_per_pixel,
    window,
    window_truth,
)

# -- recordings and the batch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    trial: Trial
    cam: CameraDraw
    path: Path
    t0: float
    t1: float
    leg_px: float


def write_recordings(
    trials: Sequence[Trial], cams: Sequence[CameraDraw], work: Path, seed: int
) -> list[Recording]:
    """Keypoint files, per-recording TOML configs and ``manifest.csv`` in ``work``."""
    (work / "keypoints").mkdir(parents=True, exist_ok=True)
    (work / "configs").mkdir(parents=True, exist_ok=True)
    recordings = []
    rows = []
    for cam in cams:
        for trial in trials:
            stem = f"{trial.name}-cam{cam.camera_id:03d}"
            t0, t1 = window(trial, cam)
            path = work / "keypoints" / f"{stem}.json"
            write_keypoints_json(film(trial, cam, seed), path, origin_sha256=trial.source_sha256)
            scale = metres_per_pixel(trial, build_camera(trial, cam), t0, t1)
            config = work / "configs" / f"{stem}.toml"
            config.write_text(
                f"# camera {cam.camera_id}: true metres per pixel at the landing feet\n"
                f"[input]\nscale_m_per_unit = {scale!r}\n",
                encoding="utf-8",
            )
            rows.append(
                {
                    "path": f"keypoints/{path.name}",
                    "runner_id": trial.name,
                    "view": cam.view,
                    "session": f"cam{cam.camera_id:03d}",
                    "config": f"configs/{config.name}",
                }
            )
            recordings.append(Recording(trial, cam, path.resolve(), t0, t1, leg_on_screen_px(trial, cam)))
    with (work / "manifest.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "runner_id", "view", "session", "config"])
        writer.writeheader()
        writer.writerows(rows)
    return recordings


def run_the_batch(work: Path, workers: int) -> tuple[Path, dict[str, Any]]:
    jobs = jobs_from_manifest(work / "manifest.csv", load_config(None))
    out = work / "batch"
    summary = run_batch(jobs, out, workers=workers)
    return out, summary.as_dict()


def _float(cell: str) -> float:
    return float(cell) if cell.strip() else float("nan")


def read_table(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# -- scoring -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorRow:
    trial: str
    camera_id: int
    leg: str  # "both" for cadence
    metric: str
    truth: float
    measured: float
    error: float  # measured - truth, in the metric's shown unit (cadence: % of the truth)


@dataclass(frozen=True)
class VerdictRow:
    fault_id: str
    leg: str
    camera_id: int
    trial: str
    truth: str
    measured: str
    margin: float  # the truth's distance from the nearer threshold
    unit: str


def score(recordings: Sequence[Recording], table: Sequence[dict[str, str]]) -> list[ErrorRow]:
    by_path = {str(r.path): r for r in recordings}
    out: list[ErrorRow] = []
    for row in table:
        rec = by_path.get(row["file"])
        if rec is None:
            continue
        truth = window_truth(rec.trial, rec.t0, rec.t1)
        for metric, (_unit, views, factor) in METRICS.items():
            if rec.cam.view not in views:
                continue
            if metric == "cadence_spm":
                if row["leg"] != "left":
                    continue  # one cadence per recording
                measured = _float(row["cadence_spm"])
                err = 100.0 * (measured - truth.cadence_spm) / truth.cadence_spm
                out.append(
                    ErrorRow(
                        rec.trial.name, rec.cam.camera_id, "both", metric, truth.cadence_spm, measured, err
                    )
                )
                continue
            true_value = truth.per_leg[(metric, row["leg"])] * factor
            measured = _float(row.get(f"{metric}_median", "")) * factor
            out.append(
                ErrorRow(
                    rec.trial.name,
                    rec.cam.camera_id,
                    row["leg"],
                    metric,
                    true_value,
                    measured,
                    measured - true_value,
                )
            )
    return out


@dataclass(frozen=True)
class TruthVerdict:
    verdict: str
    judged: float  # the value held against the rule's numbers (a left-right difference for other-side rules)
    margin: float  # distance of ``judged`` from the nearer of the rule's two numbers, in the rule's unit
    unit: str


def truth_verdicts(rules: Sequence[FaultRule], truth: WindowTruth) -> dict[tuple[str, str], TruthVerdict]:
    """The verdict the knowledge base's rules give on the truth medians (faults whose metric has a truth)."""
    out: dict[tuple[str, str], TruthVerdict] = {}
    for rule in rules:
        if rule.judged_by == "information":
            continue
        for leg in ("left", "right"):
            if rule.metric == "cadence_spm":
                value = truth.cadence_spm
            elif (rule.metric, leg) in truth.per_leg:
                value = truth.per_leg[(rule.metric, leg)]
                if rule.judged_by == "other-side":
                    other = truth.per_leg[(rule.metric, "right" if leg == "left" else "left")]
                    value = (1.0 if rule.direction == "above" else -1.0) * (value - other)
            else:
                continue
            margin = min(abs(value - rule.borderline), abs(value - rule.flagged))
            out[(rule.fault_id, leg)] = TruthVerdict(str(rule.classify(value)), value, margin, rule.unit)
    return out


def verdicts(recordings: Sequence[Recording], table: Sequence[dict[str, str]]) -> list[VerdictRow]:
    rules = fault_rules(knowledge_base(), min_stances=7)
    by_path = {str(r.path): r for r in recordings}
    out = []
    for row in table:
        rec = by_path.get(row["file"])
        if rec is None:
            continue
        truth = truth_verdicts(rules, window_truth(rec.trial, rec.t0, rec.t1))
        for (fault_id, leg), tv in truth.items():
            if leg != row["leg"]:
                continue
            measured = row.get("verdict_" + fault_id.replace("-", "_"), "")
            if measured in ("", str(Verdict.NOT_ENOUGH_DATA), str(Verdict.INFORMATION)):
                continue  # no verdict from this view (or too few stances): nothing to compare
            out.append(
                VerdictRow(
                    fault_id, leg, rec.cam.camera_id, rec.trial.name, tv.verdict, measured, tv.margin, tv.unit
                )
            )
    return out
