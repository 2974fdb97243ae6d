"""Synthetic running with known answers for the gait-engine tests (tests/core/test_gait_*.py).

A runner on a treadmill in a lab frame (x forward, y left, z up, metres): each foot is on the ground for
``contact_s`` and moves back with the belt, then swings forward with a sine-shaped lift (it lands and leaves
with a non-zero vertical speed, as real feet do). The pelvis drops towards the swing side during each stance
by a squared half-sine of known amplitude (zero at foot strike, peak at midstance) and bobs vertically once per step.
The 3-D keypoints are rendered to pixels (y down) by an orthographic rear or side camera.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from glutemed.core.series import KEYPOINTS, FloatArray, KeypointSeries

PX_PER_M = 500.0


@dataclass(frozen=True)
class SynthRun:
    series: KeypointSeries
    lab: FloatArray  # (frames, keypoints, 3)
    strikes_s: dict[str, FloatArray]
    toe_offs_s: dict[str, FloatArray]
    cadence_spm: float
    drop_deg: dict[str, float]
    px_per_m: float


def _phase_stance(
    t: FloatArray, first_strike_s: float, stride_s: float, contact_s: float
) -> tuple[FloatArray, FloatArray]:
    """Time since the latest strike and a stance mask."""
    since = np.mod(t - first_strike_s, stride_s)
    return since, since < contact_s


def make_run(
    *,
    view: str = "rear",
    fps_hz: float = 60.0,
    duration_s: float = 12.0,
    cadence_spm: float = 170.0,
    contact_s: float = 0.24,
    drop_left_deg: float = 6.0,
    drop_right_deg: float = 3.0,
    step_width_m: float = 0.08,
    vertical_osc_m: float = 0.07,
    noise_px: float = 0.0,
    seed: int = 0,
) -> SynthRun:
    t = np.arange(round(duration_s * fps_hz)) / fps_hz
    step_s = 60.0 / cadence_spm
    stride_s = 2 * step_s
    first = {"left": 0.1237, "right": 0.1237 + step_s}
    belt_m = 0.84
    swing_s = stride_s - contact_s
    n = t.size
    lab = np.zeros((n, len(KEYPOINTS), 3))
    idx = {name: i for i, name in enumerate(KEYPOINTS)}
    obliquity = np.zeros(n)  # positive: right hip lower (left-stance drop)
    strikes, toe_offs = {}, {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        since, stance = _phase_stance(t, first[side], stride_s, contact_s)
        fwd = np.where(stance, belt_m / 2 - belt_m * since / contact_s, 0.0)
        s_sw = (since - contact_s) / swing_s
        fwd = np.where(stance, fwd, -belt_m / 2 + belt_m * (1 - np.cos(np.pi * s_sw)) / 2)
        lift = np.where(stance, 0.0, 0.22 * np.sin(np.pi * np.clip(s_sw, 0, 1)))
        lat = sign * step_width_m / 2
        lab[:, idx[f"{side}_heel"]] = np.stack([fwd - 0.05, np.full(n, lat), lift], axis=1)
        lab[:, idx[f"{side}_toe"]] = np.stack([fwd + 0.15, np.full(n, lat), lift], axis=1)
        lab[:, idx[f"{side}_ankle"]] = np.stack([fwd, np.full(n, lat), lift + 0.08], axis=1)
        amp = drop_left_deg if side == "left" else drop_right_deg
        obliquity += sign * np.where(stance, amp * np.sin(np.pi * since / contact_s) ** 2, 0.0)
        k = np.arange(-1, int(duration_s / stride_s) + 2)
        fs = first[side] + k * stride_s
        keep = (fs >= 0) & (fs <= t[-1])
        strikes[side], toe_offs[side] = fs[keep], fs[keep] + contact_s
    pelvis_z = 0.95 - vertical_osc_m / 2 * np.cos(2 * np.pi * (t - first["left"] - contact_s / 2) / step_s)
    th = np.radians(obliquity)
    half = 0.09
    lab[:, idx["left_hip"]] = np.stack([np.zeros(n), half * np.cos(th), pelvis_z + half * np.sin(th)], axis=1)
    lab[:, idx["right_hip"]] = np.stack(
        [np.zeros(n), -half * np.cos(th), pelvis_z - half * np.sin(th)], axis=1
    )
    for side in ("left", "right"):
        hip, ankle = lab[:, idx[f"{side}_hip"]], lab[:, idx[f"{side}_ankle"]]
        v = ankle - hip
        length = np.linalg.norm(v, axis=1, keepdims=True)
        e = np.array([1.0, 0.0, 0.0])
        perp = e - (v @ e)[:, None] * v / length**2
        perp /= np.linalg.norm(perp, axis=1, keepdims=True)
        bend = np.sqrt(np.clip(0.47**2 - (length / 2) ** 2, 0, None))
        lab[:, idx[f"{side}_knee"]] = (hip + ankle) / 2 + bend * perp
    mid_hip = (lab[:, idx["left_hip"]] + lab[:, idx["right_hip"]]) / 2
    lean = np.tan(np.radians(5.0)) * 0.5
    for side, sign in (("left", 1.0), ("right", -1.0)):
        lab[:, idx[f"{side}_shoulder"]] = mid_hip + np.array([lean, sign * 0.18, 0.5])
    lab[:, idx["nose"]] = mid_hip + np.array([lean + 0.1, 0.0, 0.75])
    rng = np.random.default_rng(seed)
    if view == "rear":
        px = np.stack([640 - PX_PER_M * lab[..., 1], 700 - PX_PER_M * lab[..., 2]], axis=-1)
    else:  # side view, runner facing image-left like the real clip
        px = np.stack([640 - PX_PER_M * lab[..., 0], 700 - PX_PER_M * lab[..., 2]], axis=-1)
    px = px + rng.normal(0.0, noise_px, px.shape) if noise_px > 0 else px
    series = KeypointSeries.from_arrays(px, KEYPOINTS, fps_hz=fps_hz, source=f"synthetic-{view}")
    return SynthRun(
        series,
        lab,
        strikes,
        toe_offs,
        cadence_spm,
        {"left": drop_left_deg, "right": drop_right_deg},
        PX_PER_M,
    )


@pytest.fixture
def synth_run() -> Callable[..., SynthRun]:
    return make_run
