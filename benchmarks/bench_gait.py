"""Gait engine speed: keypoints to result for a 60-second clip at 60 fps (target: under 1 s).

The clip is the real RTMPose side-view track (12 s at 30 fps) repeated five times and resampled to 60 fps.
Baselines measured in the same run: one zero-lag Butterworth pass over every keypoint (the least any engine
must do), and GaitLab's engine (github.com/zzzhushi/running-gait-analysis, MIT, pure Python) on the same
keypoints when the environment variable GAITLAB_SRC names a folder holding its ``gaitlab`` package. GaitLab is
not a dependency and nothing here ships its code; without GAITLAB_SRC that comparison is skipped with a note.

GaitLab reads the pose file in its own schema (gaitlab.pose/v1, all 22 keypoints); glutemed reads the 13 it
uses from the same file. The 60-second clip for GaitLab is built from that file by the same repeat-and-resample
step, so the keypoints both engines share are identical. Both engines are timed from in-memory keypoints to
result, in alternating rounds, best of each.

    GAITLAB_SRC=/path/to/checkout .venv/bin/python benchmarks/bench_gait.py
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, filtfilt

from glutemed.core.engine import GaitEngine
from glutemed.core.series import KeypointSeries
from glutemed.io import read_keypoints

CLIP_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "video" / "male_side_treadmill"
POSE = CLIP_DIR / "male_side.pose.json"
GROUND_TRUTH = CLIP_DIR / "male_side.groundtruth.json"
TARGET_S = 1.0
REPEATS = 5
LOOPS = 5  # the 12 s track is repeated this many times to make the 60 s clip
CLIP_S = 60.0
CLIP_FPS = 60.0

FloatArray = NDArray[np.float64]


def _loop_and_resample(
    times_s: FloatArray, fps_hz: float, columns: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Repeat (frames, k) samples LOOPS times end to end and resample them onto a CLIP_FPS grid of CLIP_S."""
    period_s = times_s[-1] - times_s[0] + 1.0 / fps_hz
    times = np.concatenate([times_s + k * period_s for k in range(LOOPS)])
    looped = np.concatenate([columns] * LOOPS)
    new_times = np.arange(0.0, CLIP_S, 1.0 / CLIP_FPS)
    resampled = np.stack([np.interp(new_times, times, looped[:, j]) for j in range(looped.shape[1])], axis=1)
    return new_times, resampled


def sixty_second_clip() -> KeypointSeries:
    base = read_keypoints(POSE)
    flat = base.positions.reshape(base.n_frames, -1)
    new_times, resampled = _loop_and_resample(base.times_s, base.fps_hz, flat)
    _, conf = _loop_and_resample(base.times_s, base.fps_hz, base.confidence)
    return KeypointSeries.from_arrays(
        resampled.reshape(len(new_times), *base.positions.shape[1:]),
        base.names,
        times_s=new_times,
        confidence=conf,
        source="bench-60s",
    )


def best_of(func: Callable[[], object], repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        timings.append(time.perf_counter() - start)
    return min(timings)


def alternating_best(funcs: dict[str, Callable[[], object]], rounds: int = REPEATS) -> dict[str, float]:
    """Best wall time of each function, run in turn within every round so drift hits all of them alike."""
    best = dict.fromkeys(funcs, float("inf"))
    for _ in range(rounds):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


# -- GaitLab (optional baseline) ------------------------------------------------------------------------------


def load_gaitlab() -> tuple[Any, str]:
    """GaitLab's ``gaitlab`` package from $GAITLAB_SRC, or (None, why it is not available)."""
    src = os.environ.get("GAITLAB_SRC", "").strip()
    if not src:
        return None, "GAITLAB_SRC is not set"
    root = Path(src).expanduser().resolve()
    if not (root / "gaitlab" / "__init__.py").is_file():
        return None, f"GAITLAB_SRC={src} has no gaitlab/__init__.py"
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("gaitlab")
    except Exception as exc:  # any failure inside a foreign package only skips the comparison
        return None, f"importing gaitlab from {root} failed: {type(exc).__name__}: {exc}"
    finally:
        sys.path.remove(str(root))
    origin = Path(getattr(module, "__file__", "") or "").resolve()
    if not origin.is_relative_to(root):
        return None, f"'gaitlab' resolved to {origin}, not to GAITLAB_SRC={root}"
    if not (hasattr(module, "analyze") and hasattr(module, "PoseSequence")):
        return None, f"{origin} has no analyze()/PoseSequence (not GaitLab's engine?)"
    return module, ""


def gaitlab_sixty_second_pose(gaitlab: Any, doc: dict[str, Any], base: KeypointSeries) -> Any:
    """The 60 s clip in GaitLab's schema: every keypoint of the pose file, looped and resampled like ours."""
    frames = np.asarray(doc["frames"], dtype=np.float64)  # (frames, keypoints, x/y/confidence)
    n_frames, n_kp, _ = frames.shape
    new_times, resampled = _loop_and_resample(base.times_s, base.fps_hz, frames.reshape(n_frames, -1))
    rows = resampled.reshape(len(new_times), n_kp, 3)
    return gaitlab.PoseSequence(
        fps=CLIP_FPS,
        width=int(doc.get("width", 0)),
        height=int(doc.get("height", 0)),
        view=doc.get("view", "side-left"),
        frames=[[(float(x), float(y), float(c)) for x, y, c in frame] for frame in rows],
        source="bench-60s",
        keypoint_names=list(doc["keypoint_names"]),
        timestamps=[float(t) for t in new_times],
    )


def compare_with_gaitlab(gaitlab: Any, clip: KeypointSeries) -> None:
    doc = json.loads(POSE.read_text(encoding="utf-8"))
    truth_spm = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))["cadence_spm"]["value"]
    real = read_keypoints(POSE)
    real_gl = gaitlab.PoseSequence.from_pose_dict(doc)
    print(f"GaitLab engine: loaded from {Path(gaitlab.__file__).parent}")
    print("  ratios below are GaitLab time / glutemed time (above 1: glutemed is faster)")

    try:
        times = alternating_best(
            {"ours": lambda: GaitEngine().analyze(real), "gaitlab": lambda: gaitlab.analyze(real_gl)}
        )
        ours_spm = GaitEngine().analyze(real).summary_.cadence_spm
        gl_spm = gaitlab.analyze(real_gl).cadence
    except Exception as exc:  # GaitLab is foreign code: report and go on
        print(f"  real clip: GaitLab failed ({type(exc).__name__}: {exc}); not compared")
    else:
        print(
            f"  real clip ({real.duration_s:.0f} s at {real.fps_hz:.0f} fps, {real.n_frames} frames): "
            f"glutemed {times['ours'] * 1000:.1f} ms, GaitLab {times['gaitlab'] * 1000:.1f} ms, "
            f"ratio {times['gaitlab'] / times['ours']:.1f}"
        )
        print(
            f"  cadence on the real clip: glutemed {ours_spm:.1f}, GaitLab {gl_spm:.1f}, "
            f"ground truth {truth_spm:.1f} steps/min"
        )

    try:
        sixty_gl = gaitlab_sixty_second_pose(gaitlab, doc, real)
        times = alternating_best(
            {"ours": lambda: GaitEngine().analyze(clip), "gaitlab": lambda: gaitlab.analyze(sixty_gl)}
        )
        ours_spm = GaitEngine().analyze(clip).summary_.cadence_spm
        gl_spm = gaitlab.analyze(sixty_gl).cadence
    except Exception as exc:
        print(f"  60 s clip: GaitLab did not accept it ({type(exc).__name__}: {exc}); not compared")
    else:
        print(
            f"  60 s clip ({CLIP_FPS:.0f} fps, {clip.n_frames} frames): glutemed {times['ours'] * 1000:.1f} ms, "
            f"GaitLab {times['gaitlab'] * 1000:.1f} ms, ratio {times['gaitlab'] / times['ours']:.1f} "
            f"(cadence glutemed {ours_spm:.1f}, GaitLab {gl_spm:.1f} steps/min)"
        )


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
    gaitlab, why = load_gaitlab()
    if gaitlab is None:
        print(f"GaitLab engine: not available ({why}); ratio not measured")
    else:
        compare_with_gaitlab(gaitlab, clip)
    ok = engine_s < TARGET_S
    print(f"result: {'PASS' if ok else 'FAIL'} ({engine_s:.3f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
