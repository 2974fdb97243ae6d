"""Video to keypoints: speed of the whole use case, and (``--modes``) accuracy and speed of each pose mode.

The clip is the bundled side-view treadmill clip (tests/data/video/male_side_treadmill/male_side.mp4, 360 frames
at 30 fps, MIT); its near leg is the left one.

Speed (the default run). Each is run ``ROUNDS`` times, alternating, and the fastest run of each is kept:

- bare tracking: the clip is decoded into memory first (not timed); the timed loop creates a legacy Pose
  solution in video (tracking) mode and runs BGR->RGB conversion and ``pose.process`` on each decoded frame,
  and nothing else. This is the baseline glutemed was measured against before static mode became the default.
- bare static: the same in static-image mode, the frames spread over as many threads (each with its own
  solution) as the default backend uses.
- end-to-end: ``glutemed.services.video.video_to_keypoints`` on the file with the cache off and the default
  pose mode: opening and checking the file, SHA-256, decoding, the people scan, pose estimation, assembling, the
  jump and leg checks and building the series; and the same in tracking mode, the former default.

It prints the rates in frames per second and the CPU milliseconds per frame (all threads; steadier than the
rates on a shared machine), and two ratios: end-to-end / bare static (what glutemed's own code costs) and
end-to-end / bare tracking (that plus the price of the default mode). The exit status is 1 when the first misses
``TARGET_RATIO``.

Accuracy (``--modes``): each candidate runs over the decoded clip: tracking mode; tracking reset every
``REDETECT_EVERY`` frames so the person detector places the region; tracking with a static detection on the
frames where the far leg looks wrong (its knee's visibility under ``TRIGGER_VISIBILITY``, its thigh or shank
off the first frame's by ``TRIGGER_LENGTH``, its knee angle ``TRIGGER_ANGLE_DEG`` from the frame before's);
static mode on one thread and on the default number. The poses are assembled as the use case assembles them
(leg checks included) and analysed as ``glutemed analyze`` analyses them (keypoints below the config's
confidence floor masked, then the gait engine with the config's filter). Two more rows show static mode
without the leg checks and with RTMPose's hips put in. Printed per row, as a Markdown table: the median over
stances of the knee-flexion peak in stance per leg; the cadence (168.9 steps/min measured from the raw pixels
by the clip's authors); how many frames the engine's left/right repair exchanged; the median per-frame distance
in pixels of each hip, knee and ankle from the RTMPose keypoints of the same frames (male_side.pose.json;
removed points left out); each leg's confidence (its weakest joint's median, as the quality score takes it);
how many frames per leg the leg checks (glutemed.pose.legs) found laid onto the other leg, with a spiking point,
or with an impossible thigh or shank; and the pose model's own speed: frames per second (wall clock) and CPU
milliseconds per frame (all threads of the process; what a busy machine pays)::

    .venv/bin/python benchmarks/bench_video.py            # speed
    .venv/bin/python benchmarks/bench_video.py --modes    # the table of docs/validation.md "Pose tracking mode"
    .venv/bin/python benchmarks/bench_video.py --chunked [--rounds N]  # one long video (docs/batch.md)

One long video (``--chunked``): the bundled clip written ``LONG_REPEATS`` times in a row into one MP4 (mp4v, as
OpenCV can write it here; not timed), 36 s of running. In the same run, alternating, best of ``CHUNK_ROUNDS``:
the single-process bare loops (one thread, one legacy Pose solution, BGR->RGB and ``pose.process`` on frames
decoded into memory beforehand, nothing else) in tracking and in static mode, and end to end
``video_to_keypoints`` on the file with the cache off: chunked over one thread per core (the default pool,
``workers=0``; the chunks' models, decoding, the people scan, stitching, the checks) in both modes; the same
in tracking mode over one spawned worker process per core (``chunk_pool="processes"``, which also pays for
starting the processes); and static mode unchunked (its frames spread over threads, the path a short clip
takes). It prints frames per second, CPU ms per frame (this process and its worker processes), the start-up
of a process pool with its models, and the ratios chunked / bare loop of the same mode; the exit status is 1
when either default-pool ratio misses ``CHUNK_TARGET``.
On a machine shared with other work the wall-clock ratio flatters the chunked run (two processes get two
shares of a busy CPU, a single one gets one); the CPU per frame of each, also printed, does not depend on
that.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from glutemed.config import load_config
from glutemed.core.engine import GaitEngine
from glutemed.core.filters import detect_side_swaps, fill_gaps
from glutemed.core.kinematics import knee_flexion_deg
from glutemed.core.quality import leg_confidence
from glutemed.core.series import KeypointSeries
from glutemed.io import read_keypoints
from glutemed.pose.base import FramePose
from glutemed.pose.legs import LegCheck
from glutemed.pose.mediapipe_backend import MediaPipePose
from glutemed.pose.tracking import assemble
from glutemed.services.video import video_to_keypoints

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "video" / "male_side_treadmill"
VIDEO = DATA / "male_side.mp4"
RTMPOSE = DATA / "male_side.pose.json"
TARGET_RATIO = 0.85
ROUNDS = 3
SIDES = ("left", "right")
JOINTS = ("hip", "knee", "ankle")
REDETECT_EVERY = 2
TRIGGER_VISIBILITY = 0.5
TRIGGER_LENGTH = 1.15
TRIGGER_ANGLE_DEG = 15.0
Frames = list[NDArray[np.uint8]]


def decode_all(path: Path) -> Frames:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def _rgb(frame: NDArray[np.uint8]) -> NDArray[np.uint8]:
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False
    return rgb


def bare_tracking_s(frames: Frames) -> float:
    start = time.perf_counter()
    with MediaPipePose(mode="tracking").solution() as pose:
        for frame in frames:
            pose.process(_rgb(frame))
    return time.perf_counter() - start


def bare_static_s(frames: Frames, workers: int) -> float:
    backend = MediaPipePose(mode="static", workers=workers)
    local = threading.local()
    made: list[Any] = []

    def one(frame: NDArray[np.uint8]) -> None:
        if not hasattr(local, "pose"):
            local.pose = backend.solution()
            made.append(local.pose)
        local.pose.process(_rgb(frame))

    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, frames))
    seconds = time.perf_counter() - start
    for pose in made:
        pose.close()
    return seconds


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and process CPU seconds (all threads) of one call."""
    start, cpu_start = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - start, time.process_time() - cpu_start


def speed() -> int:
    frames = decode_all(VIDEO)
    n = len(frames)
    workers = MediaPipePose().workers
    runs: dict[str, list[tuple[float, float]]] = {
        "tracking": [],
        "static": [],
        "full": [],
        "full-tracking": [],
    }
    n_full: list[int] = []
    for _ in range(ROUNDS):
        runs["tracking"].append(_timed(lambda: bare_tracking_s(frames)))
        runs["static"].append(_timed(lambda: bare_static_s(frames, workers)))
        runs["full"].append(
            _timed(lambda: n_full.append(video_to_keypoints(VIDEO, use_cache=False).n_frames))
        )
        runs["full-tracking"].append(
            _timed(lambda: video_to_keypoints(VIDEO, use_cache=False, pose_mode="tracking"))
        )
    if set(n_full) != {n}:
        print(f"frame count differs: end-to-end {n_full}, bare {n}")
        return 1
    fps = {name: n / min(wall for wall, _ in times) for name, times in runs.items()}
    cpu_ms = {name: 1000.0 * min(cpu for _, cpu in times) / n for name, times in runs.items()}
    ratio = fps["full"] / fps["static"]
    load = " ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"clip: {VIDEO.name}, {n} frames, {frames[0].shape[1]}x{frames[0].shape[0]} px; load average {load}"
    )
    rows = (
        ("tracking", "bare tracking loop (1 thread, pre-decoded)"),
        ("static", f"bare static loop ({workers} threads, pre-decoded)"),
        ("full", "video_to_keypoints end to end (default mode)"),
        ("full-tracking", "video_to_keypoints end to end, tracking mode"),
    )
    for key, label in rows:
        print(f"{label:48s} {fps[key]:5.1f} frames/s, {cpu_ms[key]:4.0f} CPU ms/frame (best of {ROUNDS})")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"ratio end-to-end / bare static: {ratio:.3f} ({verdict} the target of {TARGET_RATIO})")
    print(f"ratio end-to-end / bare tracking: {fps['full'] / fps['tracking']:.3f} (includes the mode's cost)")
    print(f"CPU per frame, end-to-end / bare static: {cpu_ms['full'] / cpu_ms['static']:.3f}")
    print(
        f"default (static) against tracking mode, end to end: {fps['full'] / fps['full-tracking']:.3f} of the "
        f"frame rate, {cpu_ms['full'] / cpu_ms['full-tracking']:.2f} times the CPU"
    )
    return 0 if ratio >= TARGET_RATIO else 1


# -- accuracy of each pose mode ------------------------------------------------------------------------------


def redetect_poses(frames: Frames, every: int) -> list[FramePose]:
    """Tracking mode whose track is reset every ``every`` frames, so the person detector places the region."""
    backend = MediaPipePose(mode="tracking")
    poses = []
    with backend.solution() as pose:
        for i, frame in enumerate(frames):
            if i and i % every == 0:
                pose.reset()
            poses.append(backend._pose_of(pose, frame))
    return poses


def far_leg_looks_wrong(pose: FramePose, before: FramePose | None, typical: dict[str, float]) -> bool:
    """The triggers for a static re-detection: the far (right) knee's visibility under 0.5, its thigh or shank
    15 % off the first frame's, or its knee angle 15 deg away from the frame before's."""
    names = MediaPipePose.names
    at = {n: pose.positions_px[names.index(f"right_{n}")] for n in ("hip", "knee", "ankle")}
    if pose.confidence[names.index("right_knee")] < TRIGGER_VISIBILITY:
        return True
    for seg, (a, b) in {"thigh": ("hip", "knee"), "shank": ("knee", "ankle")}.items():
        length = float(np.linalg.norm(at[a] - at[b]))
        typical.setdefault(seg, length)
        if abs(np.log(length / typical[seg])) > np.log(TRIGGER_LENGTH):
            return True
    if before is None:
        return False
    angle = _flexion(pose)
    return bool(abs(angle - _flexion(before)) > TRIGGER_ANGLE_DEG)


def _flexion(pose: FramePose) -> float:
    names = MediaPipePose.names
    hip, knee, ankle = (pose.positions_px[names.index(f"right_{n}")] for n in ("hip", "knee", "ankle"))
    return float(knee_flexion_deg(hip[None], knee[None], ankle[None])[0])


def triggered_poses(frames: Frames) -> list[FramePose]:
    """Tracking mode, with a static detection taking its place on the frames where the far leg looks wrong."""
    tracking, static = MediaPipePose(mode="tracking"), MediaPipePose(mode="static", workers=1)
    poses: list[FramePose] = []
    typical: dict[str, float] = {}
    with tracking.solution() as track, static.solution() as still:
        for frame in frames:
            pose = tracking._pose_of(track, frame)
            wrong = pose.detected and far_leg_looks_wrong(pose, poses[-1] if poses else None, typical)
            poses.append(static._pose_of(still, frame) if wrong else pose)
    return poses


def candidates() -> dict[str, Callable[[Frames], list[FramePose]]]:
    auto = MediaPipePose(mode="static").workers
    return {
        "tracking (video mode, before)": lambda f: list(MediaPipePose(mode="tracking").estimate(f)),
        f"tracking, re-detect every {REDETECT_EVERY}": lambda f: redetect_poses(f, REDETECT_EVERY),
        "tracking, static where the far leg looks wrong": triggered_poses,
        "static, 1 thread": lambda f: list(MediaPipePose(mode="static", workers=1).estimate(f)),
        f"static, {auto} threads (default)": lambda f: list(MediaPipePose(mode="static").estimate(f)),
    }


def analysed(series: KeypointSeries) -> tuple[float, float, float, int]:
    """Median knee-flexion peak in stance per leg, the cadence, and how many frames the left/right repair
    exchanged, as ``glutemed analyze`` gets them with the default config."""
    config = load_config()
    positions = series.positions.copy()
    positions[series.confidence < config.filter.min_confidence] = np.nan
    masked = series.with_positions(positions)
    engine = GaitEngine(max_gap_s=config.filter.max_gap_s, filter_order=config.filter.order)
    engine.analyze(masked)
    exchanged = int(detect_side_swaps(fill_gaps(masked, max_gap_s=config.filter.max_gap_s)).sum())
    left, right = (engine.summary_.value("knee_flexion_peak_stance_deg", side) for side in SIDES)
    return left, right, engine.summary_.cadence_spm, exchanged


def pixel_errors(series: KeypointSeries, reference: KeypointSeries) -> dict[str, float]:
    """Median per-frame distance (px) from the reference, per joint and leg (frames where both have the joint)."""
    out = {}
    for joint in JOINTS:
        for side in SIDES:
            name = f"{side}_{joint}"
            distance = np.linalg.norm(series.xyz(name) - reference.xyz(name), axis=1)
            out[f"{side}_{joint}"] = float(np.nanmedian(distance))
    return out


def _row(
    name: str, series: KeypointSeries, reference: KeypointSeries, legs: LegCheck | None, speed: str
) -> str:
    left, right, cadence, exchanged = analysed(series)
    err = pixel_errors(series, reference)
    px = " | ".join(f"{err[f'left_{j}']:.1f} / {err[f'right_{j}']:.1f}" for j in JOINTS)
    conf = " / ".join(f"{leg_confidence(series.confidence, series.names, side):.2f}" for side in SIDES)
    checks = "-"
    if legs is not None:
        found = (legs.collapsed, legs.spikes, legs.off_length)
        checks = ", ".join(f"{len(f['left'])}/{len(f['right'])}" for f in found)
    return f"| {name} | {left:.1f} / {right:.1f} | {cadence:.2f} | {exchanged} | {px} | {conf} | {checks} | {speed} |"


def modes() -> int:
    frames = decode_all(VIDEO)
    reference = read_keypoints(RTMPOSE)
    if reference.n_frames != len(frames):
        print(f"frame count differs: RTMPose {reference.n_frames}, video {len(frames)}")
        return 1
    names = MediaPipePose.names
    print(
        "| mode | knee peak L / R (deg) | cadence (steps/min) | frames the L/R repair exchanged | "
        "median px hip L / R | knee L / R | ankle L / R | leg confidence L / R | "
        "leg checks L/R: collapsed, spikes, off-length | frames/s, CPU ms per frame |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(_row("RTMPose keypoints (reference)", reference, reference, None, "-"))
    for name, run in candidates().items():
        start, cpu_start = time.perf_counter(), time.process_time()
        poses = run(frames)
        fps = len(frames) / (time.perf_counter() - start)
        cpu_ms = 1000.0 * (time.process_time() - cpu_start) / len(frames)
        track = assemble(poses, names, VIDEO, reference.times_s)
        series = KeypointSeries(reference.times_s, track.positions_px, track.confidence, names, "pixel", name)
        print(_row(name, series, reference, track.legs, f"{fps:.1f}, {cpu_ms:.0f}"), flush=True)
        if name.startswith("static, 1"):
            raw = KeypointSeries(
                reference.times_s,
                np.stack([p.positions_px for p in poses]),
                np.stack([p.confidence for p in poses]),
                names,
                "pixel",
                "static without the leg checks",
            )
            print(_row("static, without the leg checks", raw, reference, None, "-"), flush=True)
            hips = series.positions.copy()
            for hip in ("left_hip", "right_hip"):
                hips[:, names.index(hip)] = reference.xyz(hip)
            print(_row("static, with RTMPose's hips", series.with_positions(hips), reference, None, "-"))
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0


# -- one long video on every core ----------------------------------------------------------------------------

CHUNK_TARGET = 1.6
CHUNK_ROUNDS = 2
LONG_REPEATS = 3


def bare_one_thread_s(frames: Frames, mode: str) -> float:
    start = time.perf_counter()
    with MediaPipePose(mode=mode, workers=1).solution() as pose:
        for frame in frames:
            pose.process(_rgb(frame))
    return time.perf_counter() - start


def _timed_with_children(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call, this process's threads and its reaped worker processes."""
    import resource

    def children_s() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    before = children_s()
    wall, cpu = _timed(run)
    return wall, cpu + children_s() - before


def pool_startup_s(workers: int) -> float:
    """Seconds to start ``workers`` spawned processes that each build a pose model (what a chunked run pays)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    start = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        list(pool.map(_build_model, range(workers)))
    return time.perf_counter() - start


def _build_model(_: int) -> None:
    MediaPipePose(mode="static", workers=1).solution().close()


def write_long_clip(frames: Frames, folder: Path) -> Path:
    path = folder / f"male_side_x{LONG_REPEATS}.mp4"
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 30.0, (width, height))
    for _ in range(LONG_REPEATS):
        for frame in frames:
            writer.write(frame)
    writer.release()
    return path


def chunked(rounds: int = CHUNK_ROUNDS) -> int:
    import tempfile

    from glutemed.pose.mediapipe_backend import available_cores

    clip = decode_all(VIDEO)
    cores = available_cores()
    load_before = " ".join(f"{v:.1f}" for v in os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="glutemed-bench-") as folder:
        long_clip = write_long_clip(clip, Path(folder))
        frames = decode_all(long_clip)
        n = len(frames)
        runs: dict[str, list[tuple[float, float]]] = {
            k: []
            for k in (
                "bare-tracking",
                "bare-static",
                "chunked-static",
                "chunked-tracking",
                "processes-tracking",
                "one-process",
            )
        }
        meta: dict[str, str] = {}

        def run_chunked(mode: str, pool: str = "threads") -> None:
            series = video_to_keypoints(
                long_clip, use_cache=False, pose_mode=mode, workers=0, chunk_pool=pool
            )
            if series.n_frames != n:
                raise SystemExit(f"frame count differs: chunked {series.n_frames}, bare {n}")
            meta[f"{mode}-{pool}"] = (
                f"{series.meta['pose_workers']}, {series.meta.get('pose_chunks', 'not chunked')}"
            )

        startup = []
        for _ in range(rounds):
            runs["bare-tracking"].append(_timed(lambda: bare_one_thread_s(frames, "tracking")))
            runs["chunked-tracking"].append(_timed_with_children(lambda: run_chunked("tracking")))
            runs["processes-tracking"].append(
                _timed_with_children(lambda: run_chunked("tracking", "processes"))
            )
            runs["bare-static"].append(_timed(lambda: bare_one_thread_s(frames, "static")))
            runs["chunked-static"].append(_timed_with_children(lambda: run_chunked("static")))
            runs["one-process"].append(
                _timed(lambda: video_to_keypoints(long_clip, use_cache=False, workers=1))
            )
            startup.append(pool_startup_s(cores))
    fps = {name: n / min(wall for wall, _ in times) for name, times in runs.items()}
    spread = {name: (n / max(w for w, _ in t), n / min(w for w, _ in t)) for name, t in runs.items()}
    cpu_ms = {name: 1000.0 * min(cpu for _, cpu in times) / n for name, times in runs.items()}
    print(
        f"clip: the bundled clip x{LONG_REPEATS} (mp4v), {n} frames, {frames[0].shape[1]}x{frames[0].shape[0]} px, "
        f"{n / 30.0:.0f} s; {cores} cores; load average before {load_before}"
    )
    rows = (
        ("bare-tracking", "bare loop, tracking mode (1 process, 1 thread)"),
        ("bare-static", "bare loop, static mode (1 process, 1 thread)"),
        ("chunked-tracking", f"chunked end to end, tracking ({meta.get('tracking-threads', '')})"),
        ("chunked-static", f"chunked end to end, static ({meta.get('static-threads', '')})"),
        ("processes-tracking", f"chunked end to end, tracking ({meta.get('tracking-processes', '')})"),
        ("one-process", "end to end unchunked (static, frames over threads)"),
    )
    for key, label in rows:
        low, high = spread[key]
        print(
            f"{label:78s} {fps[key]:5.1f} frames/s (runs {low:.1f}-{high:.1f}), {cpu_ms[key]:4.0f} CPU ms/frame"
        )
    print(f"start-up of {cores} worker processes with their models: {min(startup):.2f} s (best of {rounds})")
    ratios = {
        "tracking": fps["chunked-tracking"] / fps["bare-tracking"],
        "static": fps["chunked-static"] / fps["bare-static"],
    }
    for mode, ratio in ratios.items():
        verdict = "meets" if ratio >= CHUNK_TARGET else "MISSES"
        print(f"ratio chunked / bare loop, {mode} mode: {ratio:.2f} ({verdict} the target of {CHUNK_TARGET})")
    print(
        "ratio chunked in processes / bare loop, tracking mode: "
        f"{fps['processes-tracking'] / fps['bare-tracking']:.2f} (for comparison)"
    )
    print(
        f"ratio static unchunked (frame threads) / bare loop: {fps['one-process'] / fps['bare-static']:.2f}"
    )
    print(
        f"ratio chunked static / end to end in one process: {fps['chunked-static'] / fps['one-process']:.2f}"
    )
    for mode in ("tracking", "static"):
        cost = cpu_ms[f"chunked-{mode}"] / cpu_ms[f"bare-{mode}"]
        print(f"CPU per frame, chunked / bare loop, {mode} mode: {cost:.2f} (what chunking costs in CPU)")
    print(f"load average after: {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
    return 0 if min(ratios.values()) >= CHUNK_TARGET else 1


def main(argv: list[str] | None = None) -> int:
    args = argv or []
    if "--chunked" in args:
        rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else CHUNK_ROUNDS
        return chunked(rounds)
    return modes() if "--modes" in args else speed()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
