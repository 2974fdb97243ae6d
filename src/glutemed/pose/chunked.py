"""One long video on every core: pose estimation on chunks of the clip, run side by side and stitched in order.

MediaPipe's tracking mode runs on one thread, and even static mode (frames spread over threads) leaves the
decoding in one thread. Here the clip is cut into one chunk per worker:

- :func:`plan_chunks` gives each chunk the frames it keeps (``keep_from`` .. ``stop``) and the frames it reads
  before them (``read_from`` .. ``keep_from``, the overlap): in tracking mode MediaPipe follows the runner from
  frame to frame and smooths the landmarks, so a chunk starts ``overlap`` frames early to let the track settle
  and those poses are dropped. Static mode needs no settling; one frame of overlap is still read, to check the
  stitch (below).
- Each worker (:func:`pose_chunk`) opens the file itself, seeks to ``read_from`` and decodes its frames
  (decoding is spread over the cores too), runs a fresh single-threaded pose model, and returns each frame's raw
  container timestamp and pose. When the people scan is on, it also runs the person detector on the scan's
  sampled frames that it keeps (the same frames, and the same "whom the pose followed" hint, as the
  single-process scan).
- :class:`ChunkedPoses` stitches the chunks in frame order. Before it trusts a seek, it checks that the frames
  a chunk read twice (its overlap, also kept by the chunk before) carry the same timestamps, and in static mode
  the same keypoints; a seek that landed elsewhere raises :class:`ChunkingError` and the caller runs the clip
  in one process instead. Timestamps are then repaired exactly as a single read repairs them
  (:func:`glutemed.pose.video.repair_times`), so they are identical to the single-process run's, and the read
  is checked for truncation by the same rule.
- The people scan decides once, on the detections of all chunks (:func:`glutemed.pose.people.decide`). With two
  or more people, the crop pass runs chunked too, every chunk given the same :class:`~glutemed.pose.people.CropPlan`.

Where the chunks run (``pool``): ``"threads"`` (the default) is a thread pool in this process. MediaPipe's graph
and OpenCV's decoder release the GIL while they work, so threads use every core without starting processes:
on the 2-core machine the 36 s benchmark clip in tracking mode ran at 69-70 frames/s in two threads against
58-60 in two spawned processes (which pay about 3 s to start and import MediaPipe) and 40-41 in the bare
single-thread loop (docs/batch.md "One long video"). ``"processes"`` is a pool of freshly started ("spawn")
processes, for per-frame Python work that the GIL would serialise on many cores. Any
``concurrent.futures.Executor`` can be given instead, for instance a Dask client's ``get_executor()``. Live
progress (frames done) comes from both default pools; with another executor it moves chunk by chunk.

Defaults (our own, measured on this 2-core machine, see docs/batch.md "One long video"): a clip longer than
:data:`LONG_CLIP_S` seconds in tracking mode is chunked over all cores unless the caller asks otherwise (a short
clip gains little, and each split leaves the tracking-mode track a little different from one unbroken run's);
the tracking-mode overlap is :data:`TRACKING_OVERLAP_S` seconds of frames.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import queue
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from glutemed.pose import LONG_CLIP_S
from glutemed.pose.base import Frame, FramePose
from glutemed.pose.mediapipe_backend import MediaPipePeopleDetector, MediaPipePose, available_cores
from glutemed.pose.people import (
    DEFAULT_SCAN,
    CropPlan,
    PeopleScan,
    PersonBox,
    ScanSettings,
    box_from_pose,
    crop,
    decide,
    sample_indices,
    uncrop,
)
from glutemed.pose.video import VideoInfo, check_complete, repair_times, rotation_code

TRACKING_OVERLAP_S = 1.0  # our own default: frames read before a tracking-mode chunk, dropped after settling
STATIC_OVERLAP_FRAMES = 1  # static mode: one frame read twice, to check the stitch
MIN_CHUNK_FRAMES = 30  # a chunk keeps at least this many frames (fewer chunks than workers on a short clip)
PROGRESS_EVERY_S = 0.25
POOLS = ("threads", "processes")  # where the chunks run by default; see the module docstring
DEFAULT_POOL = "threads"

ProgressCallback = Callable[[int, int], None]


class ChunkingError(RuntimeError):
    """The chunks do not stitch (a seek landed on another frame); run the clip in one process instead."""


def auto_workers(info: VideoInfo, requested: int | None = None, mode: str = "tracking") -> int:
    """Chunks for a clip: ``requested`` when given (0 = all cores); else all cores for a clip longer than
    :data:`LONG_CLIP_S` in tracking mode, and 1 (no chunks) for a shorter clip, an unknown length, or static mode.

    Static mode already spreads its frames over one pose model per core in threads
    (:class:`~glutemed.pose.mediapipe_backend.MediaPipePose`), which on the 2-core machine posed the 36 s
    benchmark clip as fast as two chunks (``benchmarks/bench_video.py --chunked``), so chunks are only used
    there when asked for.
    """
    if requested is not None:
        return requested if requested > 0 else available_cores()
    duration_s = info.frame_count / info.fps_nominal_hz if info.fps_nominal_hz > 0 else 0.0
    return available_cores() if mode == "tracking" and duration_s > LONG_CLIP_S else 1


def overlap_frames(mode: str, fps_hz: float) -> int:
    """Frames read before each chunk: :data:`TRACKING_OVERLAP_S` of them in tracking mode, else one."""
    if mode == "tracking":
        return max(STATIC_OVERLAP_FRAMES, math.ceil(TRACKING_OVERLAP_S * (fps_hz if fps_hz > 0 else 30.0)))
    return STATIC_OVERLAP_FRAMES


@dataclass(frozen=True)
class Chunk:
    """Frames ``read_from`` .. ``stop`` (exclusive; None: to the end of the file) are read, from
    ``keep_from`` on they are kept."""

    index: int
    read_from: int
    keep_from: int
    stop: int | None

    @property
    def n_read(self) -> int | None:
        return None if self.stop is None else self.stop - self.read_from


def plan_chunks(n_frames: int, n_chunks: int, overlap: int) -> list[Chunk]:
    """Cut ``n_frames`` (the container's count) into at most ``n_chunks`` chunks of near-equal length.

    Each chunk keeps at least :data:`MIN_CHUNK_FRAMES` frames and at least ``overlap``, so an overlap never
    reaches back past the chunk before. The last chunk reads to the end of the file, whatever the count said.
    """
    if n_frames <= 0 or n_chunks <= 1:
        return [Chunk(0, 0, 0, None)]
    n = max(1, min(n_chunks, n_frames // max(MIN_CHUNK_FRAMES, overlap, 1)))
    bounds = [round(i * n_frames / n) for i in range(n + 1)]
    return [
        Chunk(i, max(0, bounds[i] - (overlap if i else 0)), bounds[i], None if i == n - 1 else bounds[i + 1])
        for i in range(n)
    ]


@dataclass(frozen=True)
class PoseSpec:
    """The settings of a :class:`MediaPipePose`, to build a single-threaded one in a worker process."""

    mode: str
    model_complexity: int
    min_detection_confidence: float
    min_tracking_confidence: float

    @classmethod
    def of(cls, estimator: MediaPipePose) -> PoseSpec:
        return cls(
            estimator.mode,
            estimator.model_complexity,
            estimator.min_detection_confidence,
            estimator.min_tracking_confidence,
        )

    def build(self) -> MediaPipePose:
        return MediaPipePose(
            mode=self.mode,
            workers=1,
            model_complexity=self.model_complexity,
            min_detection_confidence=self.min_detection_confidence,
            min_tracking_confidence=self.min_tracking_confidence,
        )


@dataclass(frozen=True)
class DetectorSpec:
    """The settings of a :class:`MediaPipePeopleDetector`, to build one in a worker process."""

    min_score: float
    max_people: int
    long_side_px: int

    @classmethod
    def of(cls, detector: MediaPipePeopleDetector) -> DetectorSpec:
        return cls(detector.min_score, detector.max_people, detector.long_side_px)

    def build(self) -> MediaPipePeopleDetector:
        return MediaPipePeopleDetector(
            min_score=self.min_score, max_people=self.max_people, long_side_px=self.long_side_px
        )


@dataclass(frozen=True)
class ChunkTask:
    """What one worker needs: the file, its chunk, the pose settings, the crop plan and the frames to scan."""

    path: Path
    rotate: int | None
    chunk: Chunk
    pose: PoseSpec
    plan: CropPlan | None = None
    scan_frames: tuple[int, ...] = ()
    detector: DetectorSpec | None = None


@dataclass
class ChunkResult:
    """A worker's answer: raw timestamps and poses of the frames read, and people found on scanned frames."""

    index: int
    raw_times_s: list[float] = field(default_factory=list)
    poses: list[FramePose] = field(default_factory=list)
    detections: dict[int, list[PersonBox]] = field(default_factory=dict)


_progress_queue: Any = None  # set in each default-pool worker by _init_worker


def _init_worker(progress: Any) -> None:
    global _progress_queue  # noqa: PLW0603 - one per worker process, set once when it starts
    _progress_queue = progress


def _report(index: int, done: int) -> None:
    if _progress_queue is not None:
        with contextlib.suppress(queue.Full, OSError, ValueError):  # a courtesy; the result has the frames
            _progress_queue.put_nowait((index, done))


def read_chunk(task: ChunkTask, raw_times_s: list[float]) -> Iterator[tuple[int, Frame]]:
    """Seek to the chunk's first frame and yield (frame index, upright BGR frame) up to its end; each
    frame's raw container timestamp (seconds) is appended to ``raw_times_s`` as it is decoded."""
    chunk = task.chunk
    cap = cv2.VideoCapture(str(task.path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        raise ChunkingError(f"{task.path}: a worker could not open the video")
    try:
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        if chunk.read_from:
            cap.set(cv2.CAP_PROP_POS_FRAMES, chunk.read_from)
        index = chunk.read_from
        while chunk.stop is None or index < chunk.stop:
            ok, decoded = cap.read()
            if not ok or decoded is None:
                return
            raw_times_s.append(cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0)
            if task.rotate is not None:
                decoded = cv2.rotate(decoded, task.rotate)
            yield index, np.asarray(decoded, dtype=np.uint8)
            index += 1
    finally:
        cap.release()


def pose_chunk(task: ChunkTask, report: Callable[[int, int], None] | None = None) -> ChunkResult:
    """In a worker: decode the chunk's frames, pose each one, scan the sampled frames it keeps.

    ``report(chunk index, frames kept so far)`` gets the progress; without it (in a worker process) the progress
    goes to the queue :func:`_init_worker` set."""
    report = report or _report
    chunk = task.chunk
    result = ChunkResult(chunk.index)
    scan = {i for i in task.scan_frames if i >= chunk.keep_from}
    held: dict[int, Frame] = {}

    def frames() -> Iterator[Frame]:
        for index, frame in read_chunk(task, result.raw_times_s):
            if index in scan:
                held[index] = frame
            yield frame if task.plan is None else crop(frame, task.plan.window(index))

    detector = task.detector.build() if task.detector is not None and scan else None
    estimator = task.pose.build()
    last_report = time.monotonic()
    try:
        for found in estimator.estimate(frames()):
            index = chunk.read_from + len(result.poses)
            pose = found if task.plan is None else uncrop(found, task.plan.window(index))
            result.poses.append(pose)
            if detector is not None and index in held:
                result.detections[index] = detector.detect(
                    held.pop(index), box_from_pose(pose, estimator.names)
                )
            if time.monotonic() - last_report >= PROGRESS_EVERY_S:
                report(chunk.index, _kept(chunk, len(result.poses)))
                last_report = time.monotonic()
    finally:
        if detector is not None:
            detector.close()
    report(chunk.index, _kept(chunk, len(result.poses)))
    return result


def _kept(chunk: Chunk, n_read: int) -> int:
    return max(0, n_read - (chunk.keep_from - chunk.read_from))


@dataclass(frozen=True)
class ChunkedPoses:
    """The stitched result: one timestamp (repaired as a single read repairs them) and pose per frame."""

    times_s: list[float]
    poses: list[FramePose]
    times_repaired: int
    detections: dict[int, list[PersonBox]]

    def scan(
        self, frames: Sequence[int], info: VideoInfo, settings: ScanSettings, detector_id: str
    ) -> PeopleScan:
        """The people scan's single decision, from the detections every chunk made on its sampled frames."""
        wanted = [i for i in frames if i < len(self.poses)]
        return decide(
            [self.detections.get(i, []) for i in wanted],
            wanted,
            (info.width_px, info.height_px),
            settings,
            detector_id,
        )


def stitch(
    chunks: Sequence[Chunk], results: Sequence[ChunkResult], *, static: bool
) -> tuple[list[float], list[FramePose]]:
    """Raw timestamps and poses of the whole clip from the chunks' results, checked where chunks overlap."""
    by_index = {r.index: r for r in results}
    times: list[float] = []
    poses: list[FramePose] = []
    ended = False
    for chunk in chunks:
        result = by_index[chunk.index]
        if ended:
            if result.poses:
                raise ChunkingError(
                    f"chunk {chunk.index} has frames after the video ended in an earlier chunk"
                )
            continue
        skip = chunk.keep_from - chunk.read_from
        if chunk.index > 0:
            _check_overlap(times, poses, result, chunk, static=static)
        times.extend(result.raw_times_s[skip:])
        poses.extend(result.poses[skip:])
        ended = chunk.n_read is not None and len(result.poses) < chunk.n_read
    return times, poses


def _check_overlap(
    times: list[float], poses: list[FramePose], result: ChunkResult, chunk: Chunk, *, static: bool
) -> None:
    """The frames this chunk read before its own were kept by the chunk before: same times (and, in static
    mode, the same keypoints), or the seek landed elsewhere."""
    skip = chunk.keep_from - chunk.read_from
    if len(times) != chunk.keep_from or len(result.poses) < skip:
        raise ChunkingError(
            f"chunk {chunk.index} starts at frame {chunk.keep_from} but the chunks before gave {len(times)} frames"
        )
    before_t = times[chunk.read_from : chunk.keep_from]
    if before_t != result.raw_times_s[:skip]:
        raise ChunkingError(
            f"chunk {chunk.index}: the overlap's timestamps differ (the seek landed elsewhere)"
        )
    if static:
        for a, b in zip(poses[chunk.read_from : chunk.keep_from], result.poses[:skip], strict=True):
            same = a.detected == b.detected and np.array_equal(a.positions_px, b.positions_px, equal_nan=True)
            if not same:
                raise ChunkingError(f"chunk {chunk.index}: the overlap's keypoints differ (another frame)")


def _default_pool(workers: int, pool: str) -> tuple[Executor, Any, Callable[[int, int], None] | None]:
    """The executor, its live-progress queue, and what a chunk reports to (None: the worker's own queue)."""
    if pool == "threads":
        live: queue.SimpleQueue[tuple[int, int]] = queue.SimpleQueue()
        threads = ThreadPoolExecutor(workers, thread_name_prefix="glutemed-chunk")
        return threads, live, lambda index, done: live.put((index, done))
    if pool != "processes":
        raise ValueError(f"unknown chunk pool {pool!r} (expected one of {', '.join(POOLS)})")
    context = multiprocessing.get_context("spawn")  # never fork a process that runs MediaPipe threads
    progress = context.Queue()
    processes = ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(progress,)
    )
    return processes, progress, None


def run_chunks(
    tasks: Sequence[ChunkTask],
    *,
    workers: int,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    pool: str = DEFAULT_POOL,
) -> list[ChunkResult]:
    """Run every task on ``executor`` (default: a fresh pool of ``workers`` threads, or spawned processes with
    ``pool="processes"``) and return the results; ``progress`` gets the frames kept so far, summed over the
    chunks."""
    own = executor is None
    runner, live, report = _default_pool(workers, pool) if executor is None else (executor, None, None)
    done_by_chunk: dict[int, int] = {}

    def drain() -> None:
        while live is not None:
            try:
                index, done = live.get_nowait()
            except (queue.Empty, OSError, ValueError):
                return
            done_by_chunk[index] = max(done_by_chunk.get(index, 0), done)
        return

    try:
        futures: dict[Future[ChunkResult], ChunkTask] = {
            runner.submit(pose_chunk, t, report): t for t in tasks
        }
        pending = set(futures)
        results: list[ChunkResult] = []
        while pending:
            finished, pending = wait(pending, timeout=PROGRESS_EVERY_S, return_when=FIRST_COMPLETED)
            drain()
            for future in finished:
                result = future.result()
                results.append(result)
                done_by_chunk[result.index] = _kept(futures[future].chunk, len(result.poses))
            if progress is not None:
                progress(sum(done_by_chunk.values()))
        return results
    finally:
        if own:
            runner.shutdown(wait=True, cancel_futures=True)
            if live is not None and hasattr(live, "join_thread"):  # a process queue's feeder thread
                live.close()
                live.join_thread()


def chunked_poses(
    info: VideoInfo,
    estimator: MediaPipePose,
    *,
    workers: int,
    plan: CropPlan | None = None,
    scan_frames: Sequence[int] = (),
    detector: MediaPipePeopleDetector | None = None,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    pool: str = DEFAULT_POOL,
) -> ChunkedPoses:
    """Pose every frame of the video ``info`` describes, in chunks over ``workers`` threads (or processes:
    ``pool``, see the module docstring).

    ``plan`` crops every frame (the people scan's choice); ``scan_frames`` are the frames the people
    ``detector`` looks at. Raises :class:`ChunkingError` when the chunks do not stitch, and
    :class:`~glutemed.io.errors.InputFileError` when the read was cut short (as a single read would).
    """
    overlap = overlap_frames(estimator.mode, info.fps_nominal_hz)
    chunks = plan_chunks(info.frame_count, workers, overlap)
    pose, scanner = PoseSpec.of(estimator), DetectorSpec.of(detector) if detector is not None else None
    tasks = [
        ChunkTask(info.path, rotation_code(info), c, pose, plan, tuple(scan_frames), scanner) for c in chunks
    ]
    results = run_chunks(tasks, workers=workers, executor=executor, progress=progress, pool=pool)
    raw_times, poses = stitch(chunks, results, static=estimator.mode == "static")
    times, repaired = repair_times(raw_times, info.fps_nominal_hz)
    check_complete(info, len(times), repaired, times[-1] if times else float("nan"))
    detections = {i: found for r in results for i, found in r.detections.items()}
    return ChunkedPoses(times, poses, repaired, detections)


def scan_frames_of(info: VideoInfo, settings: ScanSettings = DEFAULT_SCAN) -> list[int]:
    """The frames the people scan samples (as the single-process scan samples them)."""
    return sample_indices(info.frame_count, settings, info.fps_nominal_hz)
