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
import csv
import itertools
import math
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glutemed.batch import jobs_from_manifest, run_batch
from glutemed.config import load_config
from glutemed.core.camera import VirtualCamera, add_pixel_noise, drop_frames, resample
from glutemed.core.faults import FaultRule, Verdict
from glutemed.core.mocap_truth import MocapTruth, foot_point, stance_truth, treadmill_contacts
from glutemed.core.series import KeypointSeries
from glutemed.io.c3d_mocap import load_mocap
from glutemed.io.keypoints_json import write_keypoints_json
from glutemed.knowledge.loader import knowledge_base
from glutemed.services.analyze import fault_rules, sha256_of

FloatArray = NDArray[np.float64]
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT / "tests" / "data" / "mocap"
DEFAULT_OUT = ROOT / "glutemed-out" / "camera-study"
DOC = ROOT / "docs" / "validation.md"
START_MARK = (
    "<!-- camera-study:start (written by validation/camera_study.py; edit the generator, not this) -->"
)
END_MARK = "<!-- camera-study:end -->"
DEFAULT_SEED = 20261206
DEFAULT_CAMERAS = 200
WINDOW_S = 12.0
SHOULDER_ABOVE_HIP_M = 0.5
NOSE_FROM_HIPS_M = (0.1, 0.0, 0.65)  # forward, left, up; for trials without toe markers (side-view facing)
AIM_HEIGHT_M = 0.8  # the cameras aim at the middle of the tracked body (feet to shoulders)
MIN_INSIDE_FRACTION = 0.99  # a draw must show every keypoint on 99 % of the frames
MAX_REDRAWS = 200


@dataclass(frozen=True)
class TrialSpec:
    name: str
    folder: str
    run: str
    static: str
    origin: str


TRIALS = (
    TrialSpec(
        "fukuchi-rbds001",
        "fukuchi_rbds",
        "RBDS001runT35.c3d",
        "RBDS001static.c3d",
        "Fukuchi et al. 2017 (PeerJ 5:e3298), RBDS001, treadmill 3.5 m/s, contacts from force; CC BY 4.0",
    ),
    TrialSpec(
        "ric-20140515T133244",
        "ric_calgary",
        "20140515T133244_run.c3d",
        "20140515T133244_static.c3d",
        "Running Injury Clinic, Calgary, treadmill, contacts from kinematics; CC BY 4.0",
    ),
)

# metric -> (unit, views it is scored from, scale to the unit shown)
METRICS: dict[str, tuple[str, tuple[str, ...], float]] = {
    "pelvic_drop_peak_deg": ("deg", ("rear", "front"), 1.0),
    "hip_adduction_peak_deg": ("deg", ("rear", "front"), 1.0),
    "knee_fppa_peak_deg": ("deg", ("rear", "front"), 1.0),
    "step_width_cm": ("cm", ("rear", "front"), 1.0),
    "step_width_pelvis_ratio": ("pelvis widths", ("rear", "front"), 1.0),
    "knee_flexion_peak_stance_deg": ("deg", ("side",), 1.0),
    "contact_time_s": ("ms", ("side",), 1000.0),
    "cadence_spm": ("% of truth", ("rear", "front", "side"), 1.0),
}
LABELS = {
    "pelvic_drop_peak_deg": "peak pelvic drop",
    "hip_adduction_peak_deg": "peak hip adduction",
    "knee_fppa_peak_deg": "peak knee FPPA",
    "step_width_cm": "step width (true scale)",
    "step_width_pelvis_ratio": "step width / pelvis width",
    "knee_flexion_peak_stance_deg": "peak knee flexion in stance",
    "contact_time_s": "contact time",
    "cadence_spm": "cadence",
}


class StudyError(Exception):
    """The study cannot run (missing data, bad option); the message says what to do."""


@dataclass(frozen=True)
class Trial:
    name: str
    origin: str
    source_sha256: str
    keypoints: KeypointSeries  # 3-D, metres, z up, x forward, y left; synthetic shoulders (and nose)
    truth: MocapTruth


@dataclass(frozen=True)
class CameraDraw:
    """One random camera. ``placement``: rear, front, left or right (side views); ``off_axis_deg``: how far
    round the runner it stands from that placement's axis; yaw/pitch/roll: aiming error of the phone."""

    camera_id: int
    placement: str
    off_axis_deg: float
    distance_m: float
    height_m: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    fov_deg: float  # across the long side of the picture
    portrait: bool
    fps_hz: float
    noise_px: float
    drop_fraction: float
    start_fraction: float  # where its 12 s window starts within each trial
    redraws: int = 0

    @property
    def view(self) -> str:
        return "side" if self.placement in ("left", "right") else self.placement

    @property
    def travel(self) -> str:
        """Direction of travel as seen in the picture."""
        return {"rear": "away", "front": "towards", "left": "right to left", "right": "left to right"}[
            self.placement
        ]


@dataclass(frozen=True)
class ErrorStats:
    n: int
    median_abs: float
    p90_abs: float
    worst_abs: float
    median_signed: float


def error_stats(errors: Sequence[float] | FloatArray) -> ErrorStats:
    """Median, 90th percentile and largest of the absolute errors, and the signed median (finite values)."""
    arr = np.asarray(errors, dtype=np.float64)
    arr = arr[np.isfinite(arr)]
    if arr.size == 0:
        nan = float("nan")
        return ErrorStats(0, nan, nan, nan, nan)
    mag = np.abs(arr)
    return ErrorStats(
        int(arr.size),
        float(np.median(mag)),
        float(np.percentile(mag, 90)),
        float(np.max(mag)),
        float(np.median(arr)),
    )


def share_explained(values: Sequence[float] | FloatArray, groups: Sequence[str]) -> float:
    """Share (0-1) of the spread of ``values`` that lies between the groups' means (eta squared)."""
    arr = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(arr)
    arr = arr[keep]
    labels = [g for g, k in zip(groups, keep, strict=True) if k]
    total = float(np.sum((arr - arr.mean()) ** 2)) if arr.size else 0.0
    if total <= 0:
        return 0.0
    between = 0.0
    for g in set(labels):
        part = arr[[lab == g for lab in labels]]
        between += part.size * float((part.mean() - arr.mean()) ** 2)
    return between / total


# -- trials --------------------------------------------------------------------------------------------------


def _with_upper_body(kp: KeypointSeries) -> KeypointSeries:
    """Shoulders 0.5 m above each hip centre (the marker sets have no trunk markers), and a nose ahead of the
    hips for a trial without toe markers, so a side view can tell the direction the runner faces."""
    up = np.array([0.0, 0.0, SHOULDER_ABOVE_HIP_M])
    names: list[str] = ["left_shoulder", "right_shoulder"]
    points = [kp.xyz("left_hip") + up, kp.xyz("right_hip") + up]
    if not kp.has("left_toe", "right_toe"):
        names.append("nose")
        points.append(0.5 * (kp.xyz("left_hip") + kp.xyz("right_hip")) + np.array(NOSE_FROM_HIPS_M))
    return replace(
        kp,
        positions=np.concatenate([kp.positions, np.stack(points, axis=1)], axis=1),
        confidence=np.concatenate([kp.confidence, np.ones((kp.n_frames, len(names)))], axis=1),
        names=(*kp.names, *names),
    )


def load_trials(data_dir: Path, names: Iterable[str] | None = None) -> list[Trial]:
    wanted = set(names) if names is not None else {t.name for t in TRIALS}
    trials = []
    for spec in TRIALS:
        if spec.name not in wanted:
            continue
        run, static = data_dir / spec.folder / spec.run, data_dir / spec.folder / spec.static
        missing = [str(p) for p in (run, static) if not p.is_file()]
        if missing:
            raise StudyError(
                f"motion-capture file not found: {missing[0]}. Give --data the folder that holds "
                f"{spec.folder}/ (the repository's tests/data/mocap, or ../shared/data/mocap)."
            )
        mocap = load_mocap(run, static)
        kp = _with_upper_body(mocap.keypoints)
        if len(mocap.strike_times_s) >= 2:
            strikes, offs, sides = mocap.strike_times_s, mocap.toe_off_times_s, mocap.strike_sides
        else:
            contacts = treadmill_contacts(kp)
            strikes, offs, sides = contacts.strikes_s, contacts.toe_offs_s, contacts.sides
        truth = stance_truth(kp, strikes, offs, sides)
        trials.append(Trial(spec.name, spec.origin, sha256_of(run), kp, truth))
    return trials


def window(trial: Trial, cam: CameraDraw) -> tuple[float, float]:
    t = trial.keypoints.times_s
    span = max(0.0, float(t[-1] - t[0]) - WINDOW_S - 1.0)
    start = float(t[0]) + 0.5 + cam.start_fraction * span
    return start, min(start + WINDOW_S, float(t[-1]))


def crop(kp: KeypointSeries, t0: float, t1: float) -> KeypointSeries:
    keep = (kp.times_s >= t0) & (kp.times_s <= t1)
    return replace(kp, times_s=kp.times_s[keep], positions=kp.positions[keep], confidence=kp.confidence[keep])


@dataclass(frozen=True)
class WindowTruth:
    per_leg: dict[tuple[str, str], float]  # (metric, leg) -> median over the filmed stances
    cadence_spm: float
    strikes: list[tuple[float, str]]


def window_truth(trial: Trial, t0: float, t1: float) -> WindowTruth:
    """Truth medians over the stances that lie wholly inside the filmed window."""
    inside = [s for s in trial.truth.stances if s.strike_s >= t0 and s.toe_off_s <= t1]
    per_leg: dict[tuple[str, str], float] = {}
    for metric in METRICS:
        if metric == "cadence_spm":
            continue
        for leg in ("left", "right"):
            vals = np.array([_truth_value(s, metric) for s in inside if s.side == leg])
            vals = vals[np.isfinite(vals)]
            per_leg[(metric, leg)] = float(np.median(vals)) if vals.size else float("nan")
    strikes = [s.strike_s for s in inside]
    cadence = 60.0 * (len(strikes) - 1) / (strikes[-1] - strikes[0]) if len(strikes) >= 2 else float("nan")
    return WindowTruth(per_leg, cadence, [(s.strike_s, s.side) for s in inside])


def _truth_value(stance: Any, metric: str) -> float:
    if metric == "contact_time_s":
        return float(stance.contact_time_s)
    return float(getattr(stance, metric))


# -- cameras -------------------------------------------------------------------------------------------------

PLACEMENT_AZIMUTH_DEG = {"rear": 180.0, "front": 0.0, "left": 90.0, "right": -90.0}
WIDTH_PX, HEIGHT_PX = 1920, 1080


def build_camera(trial: Trial, cam: CameraDraw) -> VirtualCamera:
    """The pinhole camera of ``cam`` for ``trial``: aimed at the median hip midpoint, 0.8 m up."""
    kp = trial.keypoints
    hips = 0.5 * (kp.xyz("left_hip") + kp.xyz("right_hip"))
    centre = np.nanmedian(hips, axis=0)
    az = math.radians(PLACEMENT_AZIMUTH_DEG[cam.placement] + cam.off_axis_deg)
    position = (
        float(centre[0] + cam.distance_m * math.cos(az)),
        float(centre[1] + cam.distance_m * math.sin(az)),
        cam.height_m,
    )
    width, height = (HEIGHT_PX, WIDTH_PX) if cam.portrait else (WIDTH_PX, HEIGHT_PX)
    focal = (max(width, height) / 2.0) / math.tan(math.radians(cam.fov_deg) / 2.0)
    target = (float(centre[0]), float(centre[1]), AIM_HEIGHT_M)
    return VirtualCamera(position, target, cam.yaw_deg, cam.pitch_deg, cam.roll_deg, focal, width, height)


def inside_fraction(trial: Trial, cam: CameraDraw) -> float:
    """Fraction of the window's frames on which every keypoint lies inside the picture."""
    t0, t1 = window(trial, cam)
    kp = crop(trial.keypoints, t0, t1)
    vc = build_camera(trial, cam)
    px = vc.project(kp.positions)
    ok = (
        np.isfinite(px).all(axis=2)
        & (px[..., 0] >= 0) & (px[..., 0] < vc.width_px)
        & (px[..., 1] >= 0) & (px[..., 1] < vc.height_px)
    )  # fmt: skip
    ok |= ~np.isfinite(kp.positions).all(axis=2)  # a marker missing in the lab is not the camera's fault
    return float(np.mean(ok.all(axis=1)))


def leg_on_screen_px(trial: Trial, cam: CameraDraw) -> float:
    """Median on-screen hip-to-ankle length (both legs): how large the runner appears."""
    vc = build_camera(trial, cam)
    kp = trial.keypoints
    lengths = [
        np.linalg.norm(vc.project(kp.xyz(f"{side}_hip")) - vc.project(kp.xyz(f"{side}_ankle")), axis=1)
        for side in ("left", "right")
    ]
    return float(np.nanmedian(np.concatenate(lengths)))


def _one_draw(rng: np.random.Generator, camera_id: int) -> CameraDraw:
    return CameraDraw(
        camera_id=camera_id,
        placement=str(rng.choice(["rear", "front", "left", "right"])),
        off_axis_deg=float(rng.uniform(-25.0, 25.0)),
        distance_m=float(rng.uniform(2.5, 8.0)),
        height_m=float(rng.uniform(0.4, 1.6)),
        yaw_deg=float(rng.uniform(-5.0, 5.0)),
        pitch_deg=float(rng.uniform(-5.0, 5.0)),
        roll_deg=float(rng.uniform(-5.0, 5.0)),
        fov_deg=float(rng.uniform(40.0, 75.0)),
        portrait=bool(rng.random() < 0.5),
        fps_hz=float(rng.choice([30.0, 60.0, 120.0, 240.0])),
        noise_px=float(rng.uniform(0.0, 3.0)),
        drop_fraction=float(rng.uniform(0.0, 0.10)),
        start_fraction=float(rng.random()),
    )


def draw_cameras(n: int, seed: int, trials: Sequence[Trial]) -> list[CameraDraw]:
    """``n`` random cameras (seeded); a draw that cuts the runner off in any trial is drawn again."""
    rng = np.random.default_rng(seed)
    cams = []
    for camera_id in range(n):
        for redraws in range(MAX_REDRAWS):
            cam = replace(_one_draw(rng, camera_id), redraws=redraws)
            if all(inside_fraction(t, cam) >= MIN_INSIDE_FRACTION for t in trials):
                cams.append(cam)
                break
        else:
            raise StudyError(f"camera {camera_id}: no draw shows the whole runner after {MAX_REDRAWS} tries")
    return cams


def ideal_camera(camera_id: int = 0, placement: str = "rear", fps_hz: float = 240.0) -> CameraDraw:
    """Square on, hip height, 4 m, no aiming error, noise or dropped frames."""
    return CameraDraw(
        camera_id, placement, 0.0, 4.0, AIM_HEIGHT_M, 0.0, 0.0, 0.0, 60.0, False, fps_hz, 0.0, 0.0, 0.5
    )


def metres_per_pixel(trial: Trial, vc: VirtualCamera, t0: float, t1: float) -> float:
    """True scale at the feet: median depth of the landing foot along the optical axis / focal length."""
    kp = trial.keypoints
    feet = [
        [float(np.interp(s.strike_s, kp.times_s, foot_point(kp, s.side)[:, d])) for d in range(3)]
        for s in trial.truth.stances
        if t0 <= s.strike_s <= t1
    ]
    depth = (np.asarray(feet) - np.asarray(vc.position_m)) @ vc.world_to_camera()[2]
    return float(np.median(depth) / vc.focal_px)


def film(trial: Trial, cam: CameraDraw, seed: int) -> KeypointSeries:
    """The 2-D keypoints ``cam`` records of ``trial``'s window: projection, frame rate, noise, drops."""
    t0, t1 = window(trial, cam)
    kp = crop(trial.keypoints, t0, t1)
    px = resample(build_camera(trial, cam).project_series(kp), cam.fps_hz)
    rng = np.random.default_rng([seed, cam.camera_id, TRIALS_INDEX[trial.name]])
    if cam.noise_px > 0:
        px = add_pixel_noise(px, cam.noise_px, rng)
    if cam.drop_fraction > 0:
        px = drop_frames(px, cam.drop_fraction, rng)
    meta = {**px.meta, "view": cam.view, "camera_study": f"camera {cam.camera_id}, seed {seed}"}
    return replace(px, source=f"virtual camera {cam.camera_id} of {trial.name}", meta=meta)


TRIALS_INDEX = {spec.name: i for i, spec in enumerate(TRIALS)}


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


# -- report --------------------------------------------------------------------------------------------------


def _fmt(value: float, digits: int = 2) -> str:
    return "-" if not math.isfinite(value) else f"{value:.{digits}f}"


def _bin(value: float, edges: Sequence[float], unit: str) -> str:
    """The label of the bin holding ``value``: lower edge included, upper excluded (the last one included)."""
    pairs = list(itertools.pairwise(edges))
    for i, (lo, hi) in enumerate(pairs):
        if lo <= value < hi or (i == len(pairs) - 1 and value == hi):
            return f"{lo:g}+ {unit}" if math.isinf(hi) else f"{lo:g}-{hi:g} {unit}"
    return f"outside {edges[0]:g}-{edges[-1]:g} {unit}"


def camera_settings(rec_cam: CameraDraw, leg_px: float) -> dict[str, str]:
    """Each camera setting of a recording, binned, for the grouped tables."""
    return {
        "placement": rec_cam.placement,
        "off-axis angle": _bin(abs(rec_cam.off_axis_deg), [0, 5, 10, 15, 20, 25], "deg"),
        "distance": _bin(rec_cam.distance_m, [2.5, 4, 5.5, 7, 8], "m"),
        "height": _bin(rec_cam.height_m, [0.4, 0.7, 1.0, 1.3, 1.6], "m"),
        "aiming roll": _bin(abs(rec_cam.roll_deg), [0, 2.5, 5], "deg"),
        "aiming pitch/yaw": _bin(max(abs(rec_cam.pitch_deg), abs(rec_cam.yaw_deg)), [0, 2.5, 5], "deg"),
        "frame rate": f"{rec_cam.fps_hz:g} fps",
        "pixel noise": _bin(rec_cam.noise_px, [0, 1, 2, 3], "px"),
        "dropped frames": _bin(100 * rec_cam.drop_fraction, [0, 3, 6, 10], "%"),
        "runner on screen": _bin(leg_px, [0, 200, 300, 400, 600, math.inf], "px"),
        "orientation": "portrait" if rec_cam.portrait else "landscape",
    }


FACTORS = (
    "placement", "off-axis angle", "distance", "height", "aiming roll", "aiming pitch/yaw", "frame rate",
    "pixel noise", "dropped frames", "runner on screen", "orientation",
)  # fmt: skip


def _settings_of(recordings: Sequence[Recording]) -> dict[tuple[str, int], dict[str, str]]:
    return {(r.trial.name, r.cam.camera_id): camera_settings(r.cam, r.leg_px) for r in recordings}


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


def _group_of(e: ErrorRow, factor: str, settings: dict[tuple[str, int], dict[str, str]]) -> str:
    return e.trial if factor == "runner" else settings[(e.trial, e.camera_id)][factor]


MIN_GROUP = 10  # values per group for a setting to be ranked


@dataclass(frozen=True)
class Ranked:
    factor: str
    share: float  # of the spread of the absolute errors, between the factor's groups
    best: str
    best_p90: float
    worst: str
    worst_p90: float


def rank_settings(rows: Sequence[ErrorRow], settings: dict[tuple[str, int], dict[str, str]]) -> list[Ranked]:
    """Settings (and the runner) by the share of the absolute errors' spread they explain, each with its
    best and worst group by the group's 90th percentile. Groups of fewer than ``MIN_GROUP`` values are left out."""
    finite = [e for e in rows if math.isfinite(e.error)]
    ranked = []
    for factor in (*FACTORS, "runner"):
        labels = [_group_of(e, factor, settings) for e in finite]
        big = {
            g for g in labels if labels.count(g) >= MIN_GROUP
        }  # a handful of values would inflate the share
        if len(big) < 2:
            continue
        groups = [g for g in labels if g in big]
        mags = np.abs([e.error for e, g in zip(finite, labels, strict=True) if g in big])
        p90s = {g: float(np.percentile(mags[[x == g for x in groups]], 90)) for g in sorted(set(groups))}
        best, worst = min(p90s, key=p90s.__getitem__), max(p90s, key=p90s.__getitem__)
        ranked.append(Ranked(factor, share_explained(mags, groups), best, p90s[best], worst, p90s[worst]))
    ranked.sort(key=lambda r: -r.share)
    return ranked


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
