"""Use case: analyse keypoint recordings of a runner and write a versioned result.

Reads each file, runs the gait engine with the configured options, turns the knowledge base's gait faults into
rules, evaluates them per leg, merges a rear and a side recording into one set of verdicts, and writes the JSON
result, a per-stance CSV and a TRC export. Outputs appear all at once (written to a temporary folder, then moved
into place), so a failure never leaves half a result behind.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from glutemed import __version__
from glutemed.config import AnalysisConfig
from glutemed.contracts.gait_result import ContractError, baseline_values, read_gait_result
from glutemed.core.engine import GaitEngine
from glutemed.core.faults import FaultRule, FaultVerdict, Verdict, against_baseline, evaluate
from glutemed.core.series import KeypointSeries, SeriesError
from glutemed.core.view import View
from glutemed.io import InputFileError, read_keypoints, write_trc
from glutemed.io.atomic import atomic_write_text
from glutemed.io.c3d_mocap import load_mocap
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.pose import is_video

SCHEMA = "glutemed.gait/v1"
VIEW_GROUPS = {"rear/front": {View.REAR, View.FRONT}, "side": {View.SIDE}}


FrameProgress = Callable[[int, int | None], None]  # (frames done, frames expected or None)


class AnalysisError(ValueError):
    """The input was read but nothing could be measured from it."""


@dataclass(frozen=True)
class Recording:
    path: Path
    sha256: str
    engine: GaitEngine
    verdicts: list[FaultVerdict]


def fault_rules(kb: KnowledgeBase, *, min_stances: int) -> list[FaultRule]:
    """The knowledge base's gait faults as plain rules for the pure core."""
    return [
        FaultRule(
            fault_id=fault.id,
            metric=fault.metric,
            direction="above" if fault.threshold.direction == "above" else "below",
            borderline=fault.threshold.borderline,
            flagged=fault.threshold.flagged,
            unit=fault.threshold.unit,
            sdd=fault.sdd.value if fault.sdd else None,
            ref=fault.threshold.ref,
            verification=fault.threshold.verification.value,
            min_stances=min_stances,
            judged_by=fault.threshold.relative_to,
            name=fault.name,
            own_default=fault.threshold.own_default,
        )
        for fault in kb.gait_faults.values()
    ]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file():
                digest.update(child.name.encode())
                digest.update(child.read_bytes())
        return digest.hexdigest()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _mask_low_confidence(series: KeypointSeries, min_confidence: float) -> KeypointSeries:
    low = series.confidence < min_confidence
    if not low.any():
        return series
    positions = series.positions.copy()
    positions[low] = np.nan
    return series.with_positions(positions)


def _fault_views(kb: KnowledgeBase) -> dict[str, set[View]]:
    return {f.id: {View(v.value) for v in f.views} for f in kb.gait_faults.values()}


def _gate(
    verdicts: list[FaultVerdict], engine: GaitEngine, views: dict[str, set[View]], config: AnalysisConfig
) -> list[FaultVerdict]:
    """Refuse verdicts a recording cannot support: wrong camera view for the fault, a metric the engine
    withheld (a side view whose direction of travel could not be decided), or too low a frame rate."""
    fps = engine.series_.fps_hz
    gated = []
    for verdict in verdicts:
        reason = ""
        if engine.view_ not in views.get(verdict.fault_id, set()):
            reason = f"needs a {' or '.join(sorted(v.value for v in views[verdict.fault_id]))} view"
        elif verdict.metric in engine.withheld_:
            reason = engine.withheld_[verdict.metric]
        elif fps < config.quality.min_fps_hz:
            reason = f"frame rate {fps:.1f} fps is below {config.quality.min_fps_hz:g} fps"
        gated.append(
            replace(verdict, verdict=Verdict.NOT_ENOUGH_DATA, quality=0.0, reason=reason)
            if reason
            else verdict
        )
    return gated


def analyze_path(
    path: Path,
    *,
    kb: KnowledgeBase,
    config: AnalysisConfig,
    view: str | None = None,
    fps_hz: float | None = None,
    static: Path | None = None,
    progress: FrameProgress | None = None,
    cache_dir: Path | None = None,
    pose_workers: int | None = 1,
) -> list[Recording]:
    """Analyse one input. A C3D trial is 3-D: without a view it is seen from the rear and from the side.

    ``pose_workers``: threads a video's pose estimation is spread over in chunks (None: by the clip's
    length, see :func:`glutemed.pose.chunked.auto_workers`); the keypoints do not depend on it.
    """
    if path.suffix.lower() != ".c3d":
        recording = analyze_file(
            path,
            kb=kb,
            config=config,
            view=view,
            fps_hz=fps_hz,
            progress=progress,
            cache_dir=cache_dir,
            pose_workers=pose_workers,
        )
        return [recording]
    series = load_mocap(path, static).keypoints
    views = [view] if view and view != "auto" else ["rear", "side"]
    return [analyze_series(series, path, kb=kb, config=config, view=v) for v in views]


def analyze_file(
    path: Path,
    *,
    kb: KnowledgeBase,
    config: AnalysisConfig,
    view: str | None = None,
    fps_hz: float | None = None,
    progress: FrameProgress | None = None,
    cache_dir: Path | None = None,
    pose_workers: int | None = 1,
) -> Recording:
    """Read and analyse one keypoint file or video; errors name the file and the problem.

    A video goes through pose estimation first (MediaPipe, cached beside the outputs, see
    :func:`glutemed.services.video.video_to_keypoints`); OpenCV and MediaPipe load only then.
    """
    if is_video(path):
        from glutemed.services.video import video_to_keypoints

        series = video_to_keypoints(
            path, progress=progress, cache_dir=cache_dir, pose_mode=config.pose.mode, workers=pose_workers
        )
    else:
        series = read_keypoints(path, fps_hz=fps_hz)
    return analyze_series(series, path, kb=kb, config=config, view=view)


def analyze_series(
    series: KeypointSeries, path: Path, *, kb: KnowledgeBase, config: AnalysisConfig, view: str | None = None
) -> Recording:
    """Analyse keypoints read from ``path`` (named in every error)."""
    series = _mask_low_confidence(series, config.filter.min_confidence)
    chosen = view or config.input.view
    engine = GaitEngine(
        max_gap_s=config.filter.max_gap_s,
        cutoff_hz=config.filter.cutoff_hz or None,
        filter_order=config.filter.order,
        camera_roll_deg=config.input.camera_roll_deg or None,
    )
    try:
        engine.analyze(
            series,
            view=None if chosen == "auto" else View(chosen),
            scale_m_per_unit=config.input.scale_m_per_unit or None,
        )
    except SeriesError as exc:
        raise InputFileError(path, str(exc).split(": ", 1)[-1]) from exc
    if not engine.events_.stances:
        raise AnalysisError(f"{path}: no running stance found (is a runner in view for the whole clip?)")
    lonely = [side for side in ("left", "right") if not engine.events_.stances_of(side)]
    if lonely:
        raise AnalysisError(
            f"{path}: foot contacts found only on one side ({lonely[0]} has none), so this is not running "
            "(running alternates left and right); is a runner in view for the whole clip?"
        )
    rules = fault_rules(kb, min_stances=config.quality.min_stances_per_side)
    verdicts = _gate(evaluate(engine.summary_, rules, engine.quality_), engine, _fault_views(kb), config)
    return Recording(path=path, sha256=sha256_of(path), engine=engine, verdicts=verdicts)


def merge_verdicts(recordings: list[Recording]) -> list[FaultVerdict]:
    """One verdict per fault and side: the measured one of best quality across recordings."""
    best: dict[tuple[str, str], FaultVerdict] = {}
    for recording in recordings:
        for verdict in recording.verdicts:
            key = (verdict.fault_id, verdict.side)
            current = best.get(key)
            measured = verdict.verdict is not Verdict.NOT_ENOUGH_DATA
            if current is None or (
                measured and (current.verdict is Verdict.NOT_ENOUGH_DATA or verdict.quality > current.quality)
            ):
                best[key] = verdict
    return list(best.values())


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _recording_dict(recording: Recording) -> dict[str, Any]:
    engine = recording.engine
    detection = engine.view_detection_
    facing = engine.facing_  # side views only: direction of travel, each cue's vote (+1 = faces image +x)
    return {
        "path": str(recording.path),
        "sha256": recording.sha256,
        "keypoint_source": engine.series_.source,
        "view": engine.view_.value,
        "view_detected": detection is not None,
        "view_confidence": detection.confidence if detection else None,
        "facing": None
        if facing is None
        else {
            "decided": facing.label,
            "confidence": facing.confidence,
            "agree": facing.agree,
            "reason": facing.reason or None,
            "cues": [
                {
                    "name": c.name,
                    "vote": c.vote,
                    "weight": c.weight,
                    "n_frames": c.n_frames,
                    "note": c.note or None,
                }
                for c in facing.cues
            ],
        },
        "fps_hz": engine.series_.fps_hz,
        "n_frames": engine.series_.n_frames,
        "duration_s": engine.series_.duration_s,
        "cutoff_hz": engine.cutoff_hz_,
        "obliquity_cutoff_hz": engine.obliquity_cutoff_hz_,
        "pose": dict(engine.series_.meta),
        "camera_roll_deg": engine.camera_roll_deg_,
        "camera_roll_corrected_deg": engine.roll_corrected_deg_,
        "resampled_from_frames": engine.resampled_from_frames_,
        "obliquity_noise_deg": dict(engine.stances_.obliquity_noise_deg),
        "pelvic_drop_spread_kept": dict(engine.stances_.pelvic_drop_spread_kept),
        "cadence_spm": engine.summary_.cadence_spm,
        "n_stances": engine.summary_.n_stances,
        "quality": asdict(engine.quality_) | {"overall": engine.quality_.overall},
        "summary": engine.summary_.rows(),
    }


@dataclass(frozen=True)
class Baseline:
    """An earlier gait result of the same runner, to judge change against the SDD."""

    path: Path
    sha256: str
    created_utc: str
    values: dict[tuple[str, str], float]


def read_baseline(path: Path) -> Baseline:
    """Read and validate an earlier ``result.json``; a wrong shape is an InputFileError naming the file."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(path, f"cannot be read as a gait result ({exc.__class__.__name__})") from exc
    try:
        earlier = read_gait_result(data, str(path))
    except ContractError as exc:
        raise InputFileError(path, str(exc).split(": ", 1)[-1]) from exc
    return Baseline(path, sha256_of(path), earlier.created_utc, baseline_values(earlier))


def build_result(
    recordings: list[Recording], config: AnalysisConfig, *, baseline: Baseline | None = None
) -> dict[str, Any]:
    seen = {r.engine.view_ for r in recordings}
    missing = [name for name, views in VIEW_GROUPS.items() if not seen & views]
    verdicts = merge_verdicts(recordings)
    if baseline is not None:
        verdicts = against_baseline(verdicts, baseline.values)
    result: dict[str, Any] = _clean(
        {
            "schema": SCHEMA,
            "glutemed_version": __version__,
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "config": config.to_dict(),
            "recordings": [_recording_dict(r) for r in recordings],
            "faults": [asdict(v) for v in verdicts],
            "missing_views": missing,
            "baseline": (
                {"path": str(baseline.path), "sha256": baseline.sha256, "created_utc": baseline.created_utc}
                if baseline
                else None
            ),
        }
    )
    return result


def stance_csv(recordings: list[Recording]) -> str:
    rows = [
        {"recording": r.path.name, "view": r.engine.view_.value, **row}
        for r in recordings
        for row in r.engine.stances_.rows()
    ]
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(_clean(rows))
    return buffer.getvalue()


def write_outputs(
    result: dict[str, Any], recordings: list[Recording], out_dir: Path, config: AnalysisConfig
) -> list[Path]:
    """Write result.json, stances.csv and TRC files into ``out_dir`` all at once."""
    import json

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        atomic_write_text(staging / "result.json", json.dumps(result, indent=2) + "\n")
        if config.output.per_stance_csv:
            atomic_write_text(staging / "stances.csv", stance_csv(recordings))
        if config.output.trc:
            for r in recordings:
                write_trc(r.engine.series_, staging / f"{r.path.stem}.{r.engine.view_.value}.filtered.trc")
        out_dir.mkdir(exist_ok=True)
        written = []
        for item in sorted(staging.iterdir()):
            target = out_dir / item.name
            item.replace(target)
            written.append(target)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
