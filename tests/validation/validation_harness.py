"""Motion capture -> virtual camera -> GaitEngine -> errors against the 3-D ground truth.

Data: Fukuchi et al. 2017 (PeerJ 5:e3298), subject RBDS001, treadmill running at 3.5 m/s, 150 Hz markers and
treadmill force (tests/data/mocap/fukuchi_rbds). Hip centres from the Harrington et al. 2007 regression, knee and
ankle from the static trial's epicondyle and malleolus markers (glutemed.io.c3d_mocap). The marker set has no
trunk markers, so shoulders are synthesised 0.5 m straight above each hip centre (they only feed view
detection, camera-roll estimation and trunk lean, none of which is scored here).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

import numpy as np

from glutemed.core.camera import Lens, add_pixel_noise, drop_frames, rear_camera, resample, side_camera
from glutemed.core.engine import GaitEngine
from glutemed.core.mocap_truth import MocapTruth, stance_truth
from glutemed.core.series import KeypointSeries
from glutemed.core.view import View
from glutemed.io.c3d_mocap import MocapTrial, load_mocap

DATA = Path(__file__).resolve().parents[1] / "data" / "mocap" / "fukuchi_rbds"
SHOULDER_ABOVE_HIP_M = 0.5
MATCH_WINDOW_S = 0.12
SCORED = {
    View.REAR: ("pelvic_drop_peak_deg", "hip_adduction_peak_deg"),
    View.SIDE: ("knee_flexion_peak_stance_deg",),
}


@dataclass(frozen=True)
class Trial:
    keypoints: KeypointSeries  # 3-D, metres, z up, with synthetic shoulders
    truth: MocapTruth
    force_strikes_s: np.ndarray
    sides: tuple[str, ...]


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
    strike_error_frames: np.ndarray  # signed, engine minus force, in camera frames
    abs_error_deg: dict[str, np.ndarray] = field(default_factory=dict)
    cadence_engine_spm: float = float("nan")
    cadence_truth_spm: float = float("nan")
    method: str = ""
    obliquity_cutoff_hz: float = float("nan")

    def median_abs(self, metric: str) -> float:
        return float(np.median(self.abs_error_deg[metric]))

    @property
    def strike_median_abs_frames(self) -> float:
        return float(np.median(np.abs(self.strike_error_frames)))

    @property
    def strike_median_frames(self) -> float:
        return float(np.median(self.strike_error_frames))

    @property
    def cadence_error_pct(self) -> float:
        return 100.0 * abs(self.cadence_engine_spm - self.cadence_truth_spm) / self.cadence_truth_spm


def _with_shoulders(kp: KeypointSeries) -> KeypointSeries:
    up = np.array([0.0, 0.0, SHOULDER_ABOVE_HIP_M])
    extra = np.stack([kp.xyz("left_hip") + up, kp.xyz("right_hip") + up], axis=1)
    return replace(
        kp,
        positions=np.concatenate([kp.positions, extra], axis=1),
        confidence=np.concatenate([kp.confidence, np.ones((kp.n_frames, 2))], axis=1),
        names=(*kp.names, "left_shoulder", "right_shoulder"),
    )


@cache
def fukuchi() -> Trial:
    """RBDS001 running trial with force contacts and per-stance ground truth (loaded once)."""
    mocap: MocapTrial = load_mocap(DATA / "RBDS001runT35.c3d", DATA / "RBDS001static.c3d")
    kp = _with_shoulders(mocap.keypoints)
    truth = stance_truth(kp, mocap.strike_times_s, mocap.toe_off_times_s, mocap.strike_sides)
    return Trial(kp, truth, mocap.strike_times_s, mocap.strike_sides)


def record(trial: Trial, setup: Setup) -> KeypointSeries:
    """2-D pixel tracks of the trial as ``setup``'s camera would film them."""
    kp = trial.keypoints
    hips = 0.5 * (kp.xyz("left_hip") + kp.xyz("right_hip"))
    target = np.array([*np.nanmedian(hips, axis=0)[:2], 0.5])
    lens = Lens(yaw_deg=setup.yaw_deg, pitch_deg=setup.pitch_deg, roll_deg=setup.roll_deg)
    if setup.view is View.SIDE:
        cam = side_camera(
            target, side="left", distance_m=setup.distance_m, height_m=setup.camera_height_m, lens=lens
        )
    else:
        cam = rear_camera(target, distance_m=setup.distance_m, height_m=setup.camera_height_m, lens=lens)
    rng = np.random.default_rng(setup.seed)
    px = resample(cam.project_series(kp), setup.fps_hz)
    if setup.noise_px > 0:
        px = add_pixel_noise(px, setup.noise_px, rng)
    if setup.drop_fraction > 0:
        px = drop_frames(px, setup.drop_fraction, rng)
    return px


def score(trial: Trial, setup: Setup) -> Result:
    """Run the engine on one virtual recording and match its stances to the force strikes (same side)."""
    series = record(trial, setup)
    eng = GaitEngine().analyze(series, view=setup.view)
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
            errors[m].append(abs(getattr(best, m) - getattr(ts, m)))
    return Result(
        setup=setup,
        n_truth=len(truth),
        n_matched=len(strike_err),
        strike_error_frames=np.asarray(strike_err),
        abs_error_deg={m: np.asarray(v) for m, v in errors.items()},
        cadence_engine_spm=eng.events_.cadence_spm,
        cadence_truth_spm=trial.truth.cadence_spm,
        method=eng.events_.method,
        obliquity_cutoff_hz=eng.obliquity_cutoff_hz_,
    )
