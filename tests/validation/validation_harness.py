"""Motion capture -> virtual camera -> GaitEngine -> errors against the 3-D ground truth.

Two treadmill runners (docs/validation.md):
- Fukuchi et al. 2017 (PeerJ 5:e3298), subject RBDS001 at 3.5 m/s, 150 Hz markers and treadmill force
  (tests/data/mocap/fukuchi_rbds). Hip centres from the Harrington et al. 2007 regression, knee and ankle from
  the static trial's epicondyle and malleolus markers; contacts from the force.
- Running Injury Clinic, Calgary (tests/data/mocap/ric_calgary), 200 Hz segment clusters, no force. Hip centres
  by the clinic's own rule (a quarter of the way in from each trochanter marker), knee and ankle as above;
  contacts from the feet and knees (``glutemed.core.mocap_truth.treadmill_contacts``).
Neither marker set has trunk markers, so shoulders are synthesised 0.5 m straight above each hip centre (they
only feed view detection, camera-roll estimation and trunk lean, none of which is scored here). The RIC set has
no toe marker either, and a side view takes the runner's facing direction from the toes, else from the nose
(``glutemed.core.kinematics.facing_sign``), as a pose model would give it; so that trial also gets a nose
0.1 m ahead of and 0.65 m above the hip midpoint (only its fore-aft side of the hips matters).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np

from glutemed.core.camera import (
    Lens,
    VirtualCamera,
    add_pixel_noise,
    drop_frames,
    rear_camera,
    resample,
    side_camera,
)
from glutemed.core.engine import GaitEngine
from glutemed.core.mocap_truth import MocapTruth, foot_point, stance_truth, treadmill_contacts
from glutemed.core.series import FloatArray, KeypointSeries
from glutemed.core.view import View
from glutemed.io.c3d_mocap import MocapTrial, load_mocap

MOCAP = Path(__file__).resolve().parents[1] / "data" / "mocap"
DATA = MOCAP / "fukuchi_rbds"
RIC_DATA = MOCAP / "ric_calgary"
SHOULDER_ABOVE_HIP_M = 0.5
NOSE_FROM_HIPS_M = (0.1, 0.0, 0.65)  # forward, left, up; only for trials without toe keypoints
MATCH_WINDOW_S = 0.12
# "clean": a perfectly aligned camera; "field": roll 3, pitch -3, yaw 3 deg of misalignment, Gaussian pixel noise
# on every coordinate and 5 % of frames dropped at random
CONDITIONS: dict[str, dict[str, float]] = {
    "clean": {},
    "field-1.5px": {
        "roll_deg": 3.0,
        "pitch_deg": -3.0,
        "yaw_deg": 3.0,
        "noise_px": 1.5,
        "drop_fraction": 0.05,
    },
    "field-2px": {"roll_deg": 3.0, "pitch_deg": -3.0, "yaw_deg": 3.0, "noise_px": 2.0, "drop_fraction": 0.05},
}
# issue 3 targets: median absolute error per metric, and cadence
TARGET_DEG = {"pelvic_drop_peak_deg": 1.0, "hip_adduction_peak_deg": 2.0, "knee_flexion_peak_stance_deg": 3.0}
CADENCE_TARGET_PCT = 0.5
MIN_MATCHED_FRACTION = 0.95
SCORED = {
    View.REAR: (
        "pelvic_drop_peak_deg",
        "hip_adduction_peak_deg",
        "knee_fppa_peak_deg",
        "step_width_cm",
        "step_width_pelvis_ratio",
    ),
    View.SIDE: ("knee_flexion_peak_stance_deg",),
}


@dataclass(frozen=True)
class Trial:
    name: str
    keypoints: KeypointSeries  # 3-D, metres, z up, with synthetic shoulders
    truth: MocapTruth
    strikes_s: FloatArray
    sides: tuple[str, ...]
    events_from: str  # "force" or "kinematic"
    belt_speed_m_s: float = float("nan")  # kinematic events only


@dataclass(frozen=True)
class Setup:
    """One virtual recording: view, frame rate, misalignment (deg), pixel noise, dropped-frame fraction."""

    view: View
    fps_hz: float
    roll_deg: float = 0.0
    pitch_deg: float = 0.0
    yaw_deg: float = 0.0
    noise_px: float = 0.0
    drop_fraction: float = 0.0
    camera_height_m: float = 0.9  # about hip height
    distance_m: float = 4.0
    seed: int = 0


@dataclass
class Result:
    setup: Setup
    n_truth: int
    n_matched: int
    strike_error_frames: FloatArray  # signed, engine minus truth, in camera frames
    errors: dict[str, FloatArray] = field(default_factory=dict)  # signed, engine minus truth, finite pairs
    cadence_engine_spm: float = float("nan")
    cadence_truth_spm: float = float("nan")
    method: str = ""
    obliquity_cutoff_hz: float = float("nan")
    scale_m_per_px: float = float("nan")

    def median_abs(self, metric: str) -> float:
        return float(np.median(np.abs(self.errors[metric])))

    def median_signed(self, metric: str) -> float:
        return float(np.median(self.errors[metric]))

    @property
    def strike_median_abs_frames(self) -> float:
        return float(np.median(np.abs(self.strike_error_frames)))

    @property
    def strike_median_frames(self) -> float:
        return float(np.median(self.strike_error_frames))

    @property
    def cadence_error_pct(self) -> float:
        return 100.0 * abs(self.cadence_engine_spm - self.cadence_truth_spm) / self.cadence_truth_spm


def _with_upper_body(kp: KeypointSeries) -> KeypointSeries:
    """Synthetic shoulders, and a nose where the trial has no toes (see the module docstring)."""
    up = np.array([0.0, 0.0, SHOULDER_ABOVE_HIP_M])
    points = [kp.xyz("left_hip") + up, kp.xyz("right_hip") + up]
    names: tuple[str, ...] = ("left_shoulder", "right_shoulder")
    if not kp.has("left_toe", "right_toe"):
        points.append(0.5 * (kp.xyz("left_hip") + kp.xyz("right_hip")) + np.array(NOSE_FROM_HIPS_M))
        names = ("nose", *names)
        points = [points[2], *points[:2]]
    extra = np.stack(points, axis=1)
    return replace(
        kp,
        positions=np.concatenate([kp.positions, extra], axis=1),
        confidence=np.concatenate([kp.confidence, np.ones((kp.n_frames, len(names)))], axis=1),
        names=(*kp.names, *names),
    )


@cache
def fukuchi() -> Trial:
    """RBDS001 running trial with force contacts and per-stance ground truth (loaded once)."""
    mocap: MocapTrial = load_mocap(DATA / "RBDS001runT35.c3d", DATA / "RBDS001static.c3d")
    kp = _with_upper_body(mocap.keypoints)
    truth = stance_truth(kp, mocap.strike_times_s, mocap.toe_off_times_s, mocap.strike_sides)
    return Trial("fukuchi-rbds001", kp, truth, mocap.strike_times_s, mocap.strike_sides, "force")


@cache
def ric() -> Trial:
    """Running Injury Clinic treadmill trial with kinematic contacts and per-stance ground truth (loaded once)."""
    mocap = load_mocap(RIC_DATA / "20140515T133244_run.c3d", RIC_DATA / "20140515T133244_static.c3d")
    kp = _with_upper_body(mocap.keypoints)
    contacts = treadmill_contacts(kp)
    truth = stance_truth(kp, contacts.strikes_s, contacts.toe_offs_s, contacts.sides)
    return Trial(
        "ric-20140515T133244", kp, truth, contacts.strikes_s, contacts.sides, "kinematic",
        contacts.belt_speed_m_s,
    )  # fmt: skip


def camera(trial: Trial, setup: Setup) -> VirtualCamera:
    """The virtual camera of ``setup``, aimed 0.5 m above the ground under the median hip midpoint."""
    kp = trial.keypoints
    hips = 0.5 * (kp.xyz("left_hip") + kp.xyz("right_hip"))
    target = np.array([*np.nanmedian(hips, axis=0)[:2], 0.5])
    lens = Lens(yaw_deg=setup.yaw_deg, pitch_deg=setup.pitch_deg, roll_deg=setup.roll_deg)
    if setup.view is View.SIDE:
        return side_camera(
            target, side="left", distance_m=setup.distance_m, height_m=setup.camera_height_m, lens=lens
        )
    return rear_camera(target, distance_m=setup.distance_m, height_m=setup.camera_height_m, lens=lens)


def metres_per_pixel(trial: Trial, cam: VirtualCamera) -> float:
    """True image scale at the feet: median depth of the landing foot along the optical axis / focal length.

    The best case for a real recording, where the scale comes from a marker or the runner's height and the
    feet's depth is not known.
    """
    kp = trial.keypoints
    feet = np.array(
        [
            [np.interp(t, kp.times_s, foot_point(kp, side)[:, d]) for d in range(3)]
            for t, side in zip(trial.strikes_s, trial.sides, strict=True)
        ]
    )
    depth = (feet - np.asarray(cam.position_m)) @ cam.world_to_camera()[2]
    return float(np.median(depth) / cam.focal_px)


def record(trial: Trial, setup: Setup) -> KeypointSeries:
    """2-D pixel tracks of the trial as ``setup``'s camera would film them."""
    rng = np.random.default_rng(setup.seed)
    px = resample(camera(trial, setup).project_series(trial.keypoints), setup.fps_hz)
    if setup.noise_px > 0:
        px = add_pixel_noise(px, setup.noise_px, rng)
    if setup.drop_fraction > 0:
        px = drop_frames(px, setup.drop_fraction, rng)
    return px


def score(trial: Trial, setup: Setup) -> Result:
    """Run the engine on one virtual recording and match its stances to the true strikes (same side)."""
    series = record(trial, setup)
    scale = metres_per_pixel(trial, camera(trial, setup))
    eng = GaitEngine().analyze(series, view=setup.view, scale_m_per_unit=scale)
    t_lo, t_hi = series.times_s[0] + 0.3, series.times_s[-1] - 0.3  # stances cut by the recording's ends
    metrics = SCORED[setup.view]
    errors: dict[str, list[float]] = {m: [] for m in metrics}
    strike_err: list[float] = []
    truth = [s for s in trial.truth.stances if t_lo < s.strike_s < t_hi]
    for ts in truth:
        cands = [s for s in eng.stances_.stances if s.side == ts.side]
        if not cands:
            continue
        best = min(cands, key=lambda s: abs(s.strike_time_s - ts.strike_s))
        if abs(best.strike_time_s - ts.strike_s) > MATCH_WINDOW_S:
            continue
        strike_err.append((best.strike_time_s - ts.strike_s) * setup.fps_hz)
        for m in metrics:
            diff = getattr(best, m) - getattr(ts, m)
            if np.isfinite(diff):
                errors[m].append(diff)
    return Result(
        setup=setup,
        n_truth=len(truth),
        n_matched=len(strike_err),
        strike_error_frames=np.asarray(strike_err),
        errors={m: np.asarray(v) for m, v in errors.items()},
        cadence_engine_spm=eng.events_.cadence_spm,
        cadence_truth_spm=trial.truth.cadence_spm,
        method=eng.events_.method,
        obliquity_cutoff_hz=eng.obliquity_cutoff_hz_,
        scale_m_per_px=scale,
    )
