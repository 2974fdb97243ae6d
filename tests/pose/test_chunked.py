"""One long video on every core: chunks posed side by side (threads by default, or worker processes) match the
single run.

The clips are the bundled real clip (male_side.mp4, MIT): its first 120 frames (4 s at 30 fps) written as a
short MP4, so each run stays short, and the two-person clip of tests/pose/test_people.py. Each run asks for 2
workers explicitly (a clip this short would not be chunked by default) and the meta must say that 2 threads
(or 2 processes) did the work, so a silent fallback to one run cannot pass.

Tolerances. Static mode poses every frame on its own: the chunked keypoints are identical. Tracking mode
follows the runner from frame to frame and smooths the landmarks, so a chunk that starts afresh (after its
1 s overlap) never lands on exactly the same track: on the whole bundled clip, split at frame 180 or 270 with
30 frames of overlap, the keypoints after the split differed from the single run by a median of 1.6-1.8 px
and a 90th percentile of 6.6-7.0 px (of a 720 px wide frame), with the worst single points, always a heel or
toe, 70-81 px off; an overlap of 0 or 10 frames did a little worse (median 1.6-2.1 px, 90th percentile
7.3-9.0 px) and one of 60 frames no better (1.7-1.8 px, 6.6-6.7 px). The tracking test allows a median of
0.5 % and a 90th percentile of 2 % of the frame width.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from glutemed.cli.app import app
from glutemed.core.series import KeypointSeries
from glutemed.pose import LONG_CLIP_S
from glutemed.pose.base import FramePose
from glutemed.pose.chunked import (
    MIN_CHUNK_FRAMES,
    Chunk,
    ChunkingError,
    ChunkResult,
    ChunkTask,
    PoseSpec,
    auto_workers,
    overlap_frames,
    plan_chunks,
    read_chunk,
    stitch,
)
from glutemed.pose.mediapipe_backend import MediaPipePose, available_cores
from glutemed.pose.video import VideoInfo, VideoReader, repair_times
from glutemed.services.video import video_to_keypoints

N_FRAMES = 120
VFR = Path(__file__).resolve().parents[1] / "data" / "video" / "vfr"
RATE_CHANGE_MP4 = VFR / "male_side_vfr_60to30.mp4"  # 60- then 30-fps timing: OpenCV's frame seek misses
TWO_PEOPLE_FRAMES = 60
W, H = 360, 640  # the real clip at half size
SMALL_W = int(W * 0.6)
RUNNER_FROM = 12


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory: pytest.TempPathFactory, make_video, real_frames) -> Path:
    return make_video(tmp_path_factory.mktemp("chunked") / "short.mp4", real_frames(N_FRAMES), 30.0)


@pytest.fixture(scope="module")
def static_pair(short_clip: Path) -> tuple[KeypointSeries, KeypointSeries]:
    single = video_to_keypoints(short_clip, use_cache=False, workers=1)
    chunked = video_to_keypoints(short_clip, use_cache=False, workers=2)
    return single, chunked


def width_of(series: KeypointSeries) -> float:
    return float(series.meta["width_px"])


# -- the whole use case on real frames -------------------------------------------------------------------


def test_static_chunks_give_the_single_run_keypoints_and_times(static_pair) -> None:
    single, chunked = static_pair
    assert single.meta["pose_workers"] != "2 threads"
    assert chunked.meta["pose_workers"] == "2 threads"
    assert chunked.meta["pose_chunks"] == "2 chunks, 1 frame(s) of overlap each"
    assert chunked.n_frames == single.n_frames == N_FRAMES
    assert np.array_equal(chunked.times_s, single.times_s)  # exact, not approximately
    assert np.allclose(chunked.times_s, np.arange(N_FRAMES) / 30.0, rtol=0, atol=1e-9)  # index / 30 fps
    assert np.array_equal(np.isnan(chunked.positions), np.isnan(single.positions))
    assert np.nanmax(np.abs(chunked.positions - single.positions)) <= 1e-6 * width_of(single)
    assert np.array_equal(chunked.confidence, single.confidence)


def test_the_people_scan_decides_once_and_the_same_way(static_pair) -> None:
    single, chunked = static_pair
    for key in (
        "people_scan",
        "people_seen",
        "people_scanned_frames",
        "people_crop",
        "people_followed_box_px",
    ):
        assert chunked.meta[key] == single.meta[key], key
    assert chunked.meta["people_seen"] == "1"
    assert len(chunked.meta["people_scanned_frames"].split(",")) == 8  # sampled in both chunks, decided once


def test_chunks_in_worker_processes_give_the_same_keypoints(
    short_clip: Path, static_pair: tuple[KeypointSeries, KeypointSeries]
) -> None:
    single, _ = static_pair
    in_processes = video_to_keypoints(short_clip, use_cache=False, workers=2, chunk_pool="processes")
    assert in_processes.meta["pose_workers"] == "2 processes"
    assert np.array_equal(in_processes.times_s, single.times_s)
    assert np.array_equal(in_processes.positions, single.positions, equal_nan=True)
    assert np.array_equal(in_processes.confidence, single.confidence)


def test_progress_moves_while_the_chunks_run_and_ends_at_every_frame(short_clip: Path) -> None:
    seen: list[tuple[int, int]] = []
    video_to_keypoints(
        short_clip, use_cache=False, workers=2, progress=lambda done, total: seen.append((done, total))
    )
    done = [d for d, _ in seen]
    assert done == sorted(done)  # never goes back
    assert done[-1] == N_FRAMES
    assert {t for _, t in seen} == {N_FRAMES}
    # live, frame by frame (every 0.25 s), not only when a chunk of N_FRAMES / 2 frames is done
    assert any(d not in (0, N_FRAMES // 2, N_FRAMES) for d in done)


def test_an_unknown_chunk_pool_is_refused(short_clip: Path) -> None:
    with pytest.raises(ValueError, match="unknown chunk pool 'fibres'"):
        video_to_keypoints(short_clip, use_cache=False, workers=2, chunk_pool="fibres")


def test_tracking_chunks_match_after_the_overlap_within_pose_noise(short_clip: Path) -> None:
    single = video_to_keypoints(short_clip, use_cache=False, pose_mode="tracking", workers=1)
    chunked = video_to_keypoints(short_clip, use_cache=False, pose_mode="tracking", workers=2)
    assert chunked.meta["pose_workers"] == "2 threads"
    assert chunked.meta["pose_chunks"] == "2 chunks, 30 frame(s) of overlap each"
    assert np.array_equal(chunked.times_s, single.times_s)
    split = N_FRAMES // 2
    first = np.s_[:split]
    assert np.array_equal(chunked.positions[first], single.positions[first], equal_nan=True)  # same track
    distance = np.linalg.norm(chunked.positions[split:] - single.positions[split:], axis=2)
    width = width_of(single)
    assert np.nanmedian(distance) <= 0.005 * width
    assert np.nanpercentile(distance, 90) <= 0.02 * width
    assert np.isfinite(distance).mean() >= 0.9  # the same frames have a person


def test_the_cache_key_does_not_depend_on_the_workers(short_clip: Path, tmp_path: Path) -> None:
    made = video_to_keypoints(short_clip, cache_dir=tmp_path, workers=2)
    assert made.meta["cache"].startswith("written")
    assert made.meta["pose_workers"] == "2 threads"
    again = video_to_keypoints(short_clip, cache_dir=tmp_path, workers=1)
    assert again.meta["cache"].startswith("hit")
    assert np.array_equal(again.positions, made.positions, equal_nan=True)
    assert np.array_equal(again.times_s, made.times_s)


def two_people(frame: np.ndarray, index: int) -> np.ndarray:
    """As in test_people.py: a 0.6 copy of the runner on the left from frame 0, the runner from frame 12."""
    small = cv2.resize(frame, (SMALL_W, int(H * 0.6)), interpolation=cv2.INTER_AREA)
    canvas = np.full((H, SMALL_W + W, 3), 90, np.uint8)
    canvas[H - small.shape[0] :, :SMALL_W] = small
    if index >= RUNNER_FROM:
        canvas[:, SMALL_W:] = frame
    return canvas


def test_two_people_the_chunks_crop_around_the_same_runner(tmp_path: Path, make_video, real_frames) -> None:
    frames = [cv2.resize(f, (W, H), interpolation=cv2.INTER_AREA) for f in real_frames(TWO_PEOPLE_FRAMES)]
    video = make_video(tmp_path / "two.mp4", [two_people(f, i) for i, f in enumerate(frames)], 30.0)
    single = video_to_keypoints(video, use_cache=False, workers=1)
    chunked = video_to_keypoints(video, use_cache=False, workers=2)
    assert chunked.meta["pose_workers"] == "2 threads"
    assert chunked.meta["people_seen"] == single.meta["people_seen"] == "2"
    assert chunked.meta["people_crop"] == single.meta["people_crop"]
    assert chunked.meta["people_followed_box_px"] == single.meta["people_followed_box_px"]
    assert np.array_equal(chunked.positions, single.positions, equal_nan=True)
    hips = [chunked.names.index("left_hip"), chunked.names.index("right_hip")]
    mid_hip_x = chunked.positions[RUNNER_FROM:, hips, 0].mean(axis=1)
    assert np.mean(mid_hip_x >= SMALL_W) >= 0.95  # on the runner, right of the small copy


def test_analyze_workers_option_reaches_the_pose_and_a_bad_count_is_refused(
    short_clip: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["analyze", str(short_clip), "--workers", "2", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    recording = json.loads((out / "result.json").read_text(encoding="utf-8"))["recordings"][0]
    assert recording["pose"]["pose_workers"] == "2 threads"
    assert recording["n_frames"] == N_FRAMES
    refused = CliRunner().invoke(app, ["analyze", str(short_clip), "--workers", "0"])
    assert refused.exit_code == 2
    assert "--workers" in refused.output


# -- seeks that land elsewhere are caught -----------------------------------------------------------------


def chunk_times(path: Path, chunks: list[Chunk]) -> list[ChunkResult]:
    """What the workers would return, decoded for real but without the pose model (every pose missing)."""
    spec = PoseSpec.of(MediaPipePose())
    results = []
    for chunk in chunks:
        result = ChunkResult(chunk.index)
        for _ in read_chunk(ChunkTask(path, None, chunk, spec), result.raw_times_s):
            result.poses.append(FramePose.missing())
        results.append(result)
    return results


def test_a_seek_that_lands_elsewhere_is_refused_and_an_exact_one_stitches(short_clip: Path) -> None:
    with VideoReader(RATE_CHANGE_MP4) as reader:
        times = [t for t, _ in reader.frames()]
        n = reader.info.frame_count
    chunks = plan_chunks(n, 2, 1)
    with pytest.raises(ChunkingError, match="timestamps differ"):
        stitch(chunks, chunk_times(RATE_CHANGE_MP4, chunks), static=True)

    with VideoReader(short_clip) as reader:
        times = [t for t, _ in reader.frames()]
    chunks = plan_chunks(N_FRAMES, 3, 1)
    raw, poses = stitch(chunks, chunk_times(short_clip, chunks), static=True)
    assert repair_times(raw, 30.0) == (times, 0)
    assert len(poses) == N_FRAMES


# -- planning -------------------------------------------------------------------------------------------


def test_chunks_cover_every_frame_once_with_the_overlap_before_each() -> None:
    chunks = plan_chunks(1000, 3, 30)
    assert [(c.read_from, c.keep_from, c.stop) for c in chunks] == [
        (0, 0, 333),
        (303, 333, 667),
        (637, 667, None),  # the last one reads to the end, whatever the container's count said
    ]
    assert plan_chunks(1000, 1, 30) == [Chunk(0, 0, 0, None)]
    assert plan_chunks(0, 4, 30) == [Chunk(0, 0, 0, None)]  # unknown length: one chunk
    assert len(plan_chunks(2 * MIN_CHUNK_FRAMES - 1, 4, 1)) == 1  # too short for two chunks
    assert len(plan_chunks(2 * MIN_CHUNK_FRAMES, 4, 1)) == 2


def test_overlap_and_default_workers() -> None:
    assert overlap_frames("static", 60.0) == 1
    assert overlap_frames("tracking", 60.0) == 60
    assert overlap_frames("tracking", 0.0) == 30
    short = VideoInfo(Path("a.mp4"), 720, 1280, 30.0, int(LONG_CLIP_S * 30), 0, "none")
    long = VideoInfo(Path("a.mp4"), 720, 1280, 30.0, int(LONG_CLIP_S * 30) + 1, 0, "none")
    unknown = VideoInfo(Path("a.mkv"), 720, 1280, 0.0, 0, 0, "none")
    assert auto_workers(short) == 1
    assert auto_workers(long) == available_cores()
    assert auto_workers(unknown) == 1
    assert auto_workers(long, mode="static") == 1  # MediaPipe's static graph already uses two threads
    assert auto_workers(long, 2, mode="static") == 2  # asked for
    assert auto_workers(short, 3) == 3
    assert auto_workers(short, 0) == available_cores()


def test_stitch_refuses_frames_after_an_early_end() -> None:
    chunks = plan_chunks(100, 2, 1)
    first = ChunkResult(0, [i / 30 for i in range(40)], [FramePose.missing()] * 40)  # ended at 40, not 50
    second = ChunkResult(1, [i / 30 for i in range(49, 100)], [FramePose.missing()] * 51)
    with pytest.raises(ChunkingError, match="after the video ended"):
        stitch(chunks, [first, second], static=True)
    raw, poses = stitch(chunks, [first, ChunkResult(1)], static=True)  # a cut file: what there is
    assert len(raw) == len(poses) == 40
