"""Camera study, part 1: the trials (3-D truth) and the random cameras that film them (split out of
``validation/camera_study.py``, the entry point)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from glutemed.core.camera import VirtualCamera, add_pixel_noise, drop_frames, resample
from glutemed.core.mocap_truth import MocapTruth, foot_point, stance_truth, treadmill_contacts
from glutemed.core.series import KeypointSeries
from glutemed.io.c3d_mocap import load_mocap
from glutemed.services.analyze import sha256_of

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
