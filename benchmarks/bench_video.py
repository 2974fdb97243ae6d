"""Video to keypoints speed: end-to-end `video_to_keypoints` against a bare MediaPipe loop (target ratio >= 0.9).

Both run MediaPipe Pose with the same settings (legacy solution, model_complexity=1, video mode) on the
bundled side-view treadmill clip (tests/data/video/male_side_treadmill/male_side.mp4, 360 frames, MIT).

- bare: the clip is decoded into memory first (not timed); the timed loop creates the Pose solution and runs
  BGR->RGB conversion and ``pose.process`` on each of those decoded frames, and nothing else.
- end-to-end: ``glutemed.services.video.video_to_keypoints`` on the file with the cache off: opening and
  checking the file, SHA-256, decoding, pose estimation, assembling, jump checks and building the series.

Each is run ``ROUNDS`` times, alternating, and the fastest run of each is kept. Prints both rates in frames per
second and their ratio (end-to-end / bare).

    .venv/bin/python benchmarks/bench_video.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from glutemed.pose.mediapipe_backend import MediaPipePose
from glutemed.services.video import video_to_keypoints

VIDEO = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "video" / "male_side_treadmill" / "male_side.mp4"
)
TARGET_RATIO = 0.9
ROUNDS = 3


def decode_all(path: Path) -> list[NDArray[np.uint8]]:
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def bare_loop_s(frames: list[NDArray[np.uint8]]) -> float:
    start = time.perf_counter()
    with MediaPipePose().solution() as pose:
        for frame in frames:
            rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            rgb.flags.writeable = False
            pose.process(rgb)
    return time.perf_counter() - start


def end_to_end_s(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    series = video_to_keypoints(path, use_cache=False)
    return time.perf_counter() - start, series.n_frames


def main() -> int:
    frames = decode_all(VIDEO)
    bare: list[float] = []
    full: list[float] = []
    n_full = 0
    for _ in range(ROUNDS):
        bare.append(bare_loop_s(frames))
        seconds, n_full = end_to_end_s(VIDEO)
        full.append(seconds)
    if n_full != len(frames):
        print(f"frame count differs: end-to-end {n_full}, bare {len(frames)}")
        return 1
    bare_fps = len(frames) / min(bare)
    full_fps = n_full / min(full)
    ratio = full_fps / bare_fps
    print(f"clip: {VIDEO.name}, {len(frames)} frames, {frames[0].shape[1]}x{frames[0].shape[0]} px")
    print(f"bare MediaPipe loop (pre-decoded frames): {bare_fps:.1f} frames/s (best of {ROUNDS})")
    print(f"video_to_keypoints end to end:            {full_fps:.1f} frames/s (best of {ROUNDS})")
    verdict = "meets" if ratio >= TARGET_RATIO else "MISSES"
    print(f"ratio end-to-end / bare: {ratio:.3f} ({verdict} the target of {TARGET_RATIO})")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
