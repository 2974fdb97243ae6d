"""Camera validation study: motion-capture runners filmed by random virtual phone cameras, analysed by
``glutemed batch``, scored against the 3-D truth.

Steps (``python -m validation.camera_study --help``):

1. load the treadmill trials (3-D joint centres from ``glutemed.io.c3d_mocap``; contacts from the force, else
   ``mocap_truth.treadmill_contacts``) and their per-stance truth (``glutemed.core.mocap_truth``);
2. draw ``--cameras`` cameras with a seeded RNG: placement (rear, front, left side, right side: on a treadmill
   the placement sets the direction of travel in the picture), how far the camera stands off that axis,
   distance, height, aiming error (yaw, pitch, roll), field of view, portrait or landscape, frame rate, pixel
   noise, dropped frames and which 12 s of the trial it films. A draw whose picture cuts the runner off is
   drawn again (counted);
3. project every trial through every camera (``glutemed.core.camera``) into ``glutemed.keypoints/v1`` files,
   with a TOML per recording giving the camera's true metres per pixel at the feet (the best case for step
   width in cm), and a manifest CSV (path, runner_id, view, session, config);
4. run the batch on a Dask LocalCluster (``glutemed.batch.run_batch``) and read ``recordings.csv``;
5. per recording and leg, error = the batch's median minus the truth's median over the stances filmed; write
   the error distribution per metric, the errors grouped by camera setting, the worst recordings and the
   agreement of the fault verdicts into ``OUT/camera_study.md`` (and, with ``--write-doc``, into
   docs/validation.md between the camera-study markers) and the raw errors into ``OUT/errors_by_recording.csv``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glutemed.knowledge.loader import knowledge_base
from glutemed.services.analyze import fault_rules
from validation.study_report import (
    DOMINANT_SHARE,
    LIMITS,
    report,
    write_doc,
    write_errors_csv,
)
from validation.study_scoring import (
    ErrorRow,
    Recording,
    TruthVerdict,
    VerdictRow,
    read_table,
    run_the_batch,
    score,
    truth_verdicts,
    verdicts,
    write_recordings,
)
from validation.study_setup import (
    AIM_HEIGHT_M,
    DEFAULT_CAMERAS,
    DEFAULT_DATA,
    DEFAULT_OUT,
    DEFAULT_SEED,
    DOC,
    END_MARK,
    LABELS,
    MAX_REDRAWS,
    METRICS,
    MIN_INSIDE_FRACTION,
    NOSE_FROM_HIPS_M,
    PLACEMENT_AZIMUTH_DEG,
    ROOT,
    SHOULDER_ABOVE_HIP_M,
    START_MARK,
    TRIALS,
    TRIALS_INDEX,
    WINDOW_S,
    CameraDraw,
    FloatArray,
    StudyError,
    Trial,
    TrialSpec,
    WindowTruth,
    build_camera,
    crop,
    draw_cameras,
    film,
    ideal_camera,
    inside_fraction,
    leg_on_screen_px,
    load_trials,
    metres_per_pixel,
    window,
    window_truth,
)
from validation.study_stats import (
    FACTORS,
    MIN_GROUP,
    ErrorStats,
    Ranked,
    _bin,
    camera_settings,
    error_stats,
    rank_settings,
    share_explained,
)

# the study's names, re-exported from its modules for the tests and callers of this entry point
__all__ = [
    "AIM_HEIGHT_M",
    "DEFAULT_CAMERAS",
    "DEFAULT_DATA",
    "DEFAULT_OUT",
    "DEFAULT_SEED",
    "DOC",
    "DOMINANT_SHARE",
    "END_MARK",
    "FACTORS",
    "LABELS",
    "LIMITS",
    "MAX_REDRAWS",
    "METRICS",
    "MIN_GROUP",
    "MIN_INSIDE_FRACTION",
    "NOSE_FROM_HIPS_M",
    "PLACEMENT_AZIMUTH_DEG",
    "ROOT",
    "SHOULDER_ABOVE_HIP_M",
    "START_MARK",
    "TRIALS",
    "TRIALS_INDEX",
    "WINDOW_S",
    "CameraDraw",
    "ErrorRow",
    "ErrorStats",
    "FloatArray",
    "Ranked",
    "Recording",
    "StudyError",
    "StudyResult",
    "Trial",
    "TrialSpec",
    "TruthVerdict",
    "VerdictRow",
    "WindowTruth",
    "_bin",
    "build_camera",
    "camera_settings",
    "crop",
    "draw_cameras",
    "error_stats",
    "fault_rules",
    "film",
    "ideal_camera",
    "inside_fraction",
    "knowledge_base",
    "leg_on_screen_px",
    "load_trials",
    "main",
    "metres_per_pixel",
    "rank_settings",
    "read_table",
    "report",
    "run_study",
    "run_the_batch",
    "score",
    "share_explained",
    "truth_verdicts",
    "verdicts",
    "window",
    "window_truth",
    "write_doc",
    "write_errors_csv",
    "write_recordings",
]


# -- command -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudyResult:
    trials: list[Trial]
    cams: list[CameraDraw]
    recordings: list[Recording]
    errors: list[ErrorRow]
    verdicts: list[VerdictRow]
    batch: dict[str, Any]
    section: str


def run_study(
    *,
    cameras: int,
    seed: int,
    data: Path,
    out: Path,
    workers: int,
    trial_names: Iterable[str] | None = None,
    trials: Sequence[Trial] | None = None,
    fixed_cameras: Sequence[CameraDraw] | None = None,
    command: str = "",
) -> StudyResult:
    """The whole study; ``trials`` (already loaded) and ``fixed_cameras`` replace the loading and the draw."""
    started = time.perf_counter()
    trials = list(trials) if trials is not None else load_trials(data, trial_names)
    if not trials:
        raise StudyError("no trials chosen")
    cams = list(fixed_cameras) if fixed_cameras is not None else draw_cameras(cameras, seed, trials)
    out.mkdir(parents=True, exist_ok=True)
    recordings = write_recordings(trials, cams, out, seed)
    batch_out, batch = run_the_batch(out, workers)
    table = read_table(batch_out / "recordings.csv")
    errors = score(recordings, table)
    verdict_rows = verdicts(recordings, table)
    write_errors_csv(errors, recordings, out / "errors_by_recording.csv")
    section = report(
        trials=trials,
        cams=cams,
        recordings=recordings,
        errors=errors,
        verdict_rows=verdict_rows,
        batch=batch,
        seed=seed,
        command=command,
        minutes=(time.perf_counter() - started) / 60.0,
    )
    (out / "camera_study.md").write_text(section, encoding="utf-8")
    return StudyResult(trials, cams, recordings, errors, verdict_rows, batch, section)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m validation.camera_study",
        description="Film the motion-capture runners with random virtual cameras, analyse them with "
        "`glutemed batch` and write the errors against the 3-D truth into docs/validation.md.",
    )
    parser.add_argument("--cameras", type=int, default=DEFAULT_CAMERAS, help="number of random cameras")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the camera draws and noise")
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with fukuchi_rbds/ and ric_calgary/"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="work folder (keypoints, batch output)")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    parser.add_argument(
        "--write-doc",
        action="store_true",
        help="replace the camera-study section of docs/validation.md (otherwise the report stays in --out)",
    )
    args = parser.parse_args(argv)
    if args.cameras < 1 or args.workers < 1:
        print("error: --cameras and --workers must be at least 1", file=sys.stderr)
        return 2
    command = f"`python -m validation.camera_study --cameras {args.cameras} --seed {args.seed}`"
    if args.cameras == DEFAULT_CAMERAS and args.seed == DEFAULT_SEED:
        command = (
            "`make validation` (runs `nice -n 10 .venv/bin/python -m validation.camera_study --write-doc`)"
        )
    try:
        result = run_study(
            cameras=args.cameras,
            seed=args.seed,
            data=args.data,
            out=args.out,
            workers=args.workers,
            command=command,
        )
    except StudyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.write_doc:
        write_doc(result.section)
    print(result.section)
    print(f"work folder: {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
