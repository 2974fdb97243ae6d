"""Use case: a runner's video in, canonical 2-D keypoints out (with a keypoint cache).

``video_to_keypoints`` opens and checks the video, runs the pose backend on every frame (decoding overlaps the
pose model), assembles the keypoints with their confidences and real timestamps into a
:class:`~glutemed.core.series.KeypointSeries`, and records in ``series.meta`` what the gait report should say
about the recording (frame rate, rotation, frames without a person, suspected person switches, warnings).

People: during that pose pass a people scan (:mod:`glutemed.pose.people`) looks for everyone on a sample of the
frames. With one person or none the pass stands as it is. With two or more, the runner (the largest, steadiest
person) is chosen and the pose model is run a second time on a crop around them, so it cannot follow anyone
else; the keypoints are moved back to full-frame pixels. ``meta`` says how many people were seen, whom the pose
followed and what was cropped (``people_*`` keys), and ``quality_notes`` carries the sentence for the report.

Pose mode: MediaPipe runs in ``static`` mode by default (each frame on its own, spread over the CPU cores),
``tracking`` on request (``pose_mode``); see :mod:`glutemed.pose.mediapipe_backend` for why. Each leg is checked
on its own (:mod:`glutemed.pose.legs`): ``meta`` lists the frames where a leg had a point spiking away or a
thigh or shank of impossible length (``implausible_frames_left``/``_right``) and each leg's confidence (its
weakest joint's median, ``leg_confidence_left``/``_right``), and the confidences themselves carry it to the quality score.

Cache: the keypoints are saved as a ``glutemed.keypoints/v1`` JSON file in ``cache_dir`` (the analysis output
folder; the user's cache folder, ``$XDG_CACHE_HOME/glutemed/keypoints`` or ``~/.cache/glutemed/keypoints``, when
none is given, so analysing a video never writes into the video's own folder), named after the video and keyed by
the video's SHA-256, the pose model id (which names the pose mode) and the people scan's settings and detector (``meta["people_scan"]``). A
later analysis of the same file with the same model and scan (for example with another config) reads that file
and skips pose estimation. A cache that cannot be written is reported in the meta, never fatal.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np

from glutemed.core.quality import SIDES, leg_confidence
from glutemed.core.series import KeypointSeries
from glutemed.io import InputFileError, read_keypoints_json, write_keypoints_json
from glutemed.pose.base import Frame, FramePose, PoseEstimator
from glutemed.pose.people import (
    DEFAULT_SCAN,
    CropPlan,
    PeopleDetector,
    PeopleScan,
    PeopleScanner,
    ScanSettings,
    crop,
    uncrop,
)
from glutemed.pose.tracking import TRACKING_NOTE, Track, assemble
from glutemed.pose.video import VideoReader, fps_warning, timing_note

ProgressCallback = Callable[[int, int], None]
"""Called after each frame with (frames done, frames expected; 0 when the container does not say)."""

CACHE_SUFFIX = ".keypoints.json"
MAX_LISTED_JUMPS = 50


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glutemed" / "keypoints"


def cache_path(video: Path, sha256: str, model_id: str, cache_dir: Path | None = None) -> Path:
    """Where the keypoints of ``video`` made by ``model_id`` are cached."""
    model = re.sub(r"[^A-Za-z0-9.-]+", "_", model_id)
    return (cache_dir or user_cache_dir()) / f"{video.stem}.{sha256[:16]}.{model}{CACHE_SUFFIX}"


def default_estimator(mode: str | None = None) -> PoseEstimator:
    """The bundled MediaPipe backend in ``mode`` (None: its default, static)."""
    from glutemed.pose.mediapipe_backend import DEFAULT_MODE, MediaPipePose

    return MediaPipePose(mode=mode or DEFAULT_MODE)


def default_people_detector() -> PeopleDetector:
    from glutemed.pose.mediapipe_backend import MediaPipePeopleDetector

    return MediaPipePeopleDetector()


def people_scan_key(detector: PeopleDetector | None, settings: ScanSettings) -> str:
    """What the cache must match besides the model: the scan's settings and detector, or "off"."""
    return "off" if detector is None else f"{settings.scan_id}+{detector.model_id}"


def video_to_keypoints(
    path: str | Path,
    *,
    progress: ProgressCallback | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    estimator: PoseEstimator | None = None,
    scan_people: bool = True,
    people_detector: PeopleDetector | None = None,
    scan_settings: ScanSettings = DEFAULT_SCAN,
    pose_mode: str | None = None,
    workers: int | None = 1,
    chunk_pool: str = "threads",
) -> KeypointSeries:
    """Pose keypoints of every frame of the video at ``path``; errors are InputFileError naming the file.

    ``pose_mode`` ("static" or "tracking") picks the bundled backend's mode when no ``estimator`` is given.
    ``workers`` > 1 runs the bundled backend on chunks of the clip side by side, in that many threads (or
    processes, with ``chunk_pool="processes"``; :mod:`glutemed.pose.chunked`); None lets the clip's length
    decide (all cores beyond :data:`~glutemed.pose.LONG_CLIP_S`), 0 means every core. The keypoint cache does
    not depend on it.
    ``scan_people=False`` skips the people scan (the pose model then follows whomever it finds, as MediaPipe
    alone does); ``people_detector`` replaces the bundled MediaPipe person detector.
    """
    path = Path(path)
    with VideoReader(path) as video:  # checks the file before anything slow happens
        sha256 = file_sha256(path)
        estimator = estimator or default_estimator(pose_mode)
        cached = cache_path(path, sha256, estimator.model_id, cache_dir)
        detector = (people_detector or default_people_detector()) if scan_people else None
        scan_key = people_scan_key(detector, scan_settings)
        if use_cache:
            hit = _read_cache(cached, sha256, estimator.model_id, scan_key)
            if hit is not None:
                return hit
        try:
            series = _estimate(
                video, estimator, progress, detector, scan_settings, workers=workers, pool=chunk_pool
            )
        finally:
            if people_detector is None and detector is not None:
                close = getattr(detector, "close", None)
                if close is not None:
                    close()  # the bundled detector's graph; a caller's detector stays the caller's
    meta = dict(series.meta) | {"origin_sha256": sha256}
    if use_cache:
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_keypoints_json(series, cached, origin_sha256=sha256)
            meta["cache"] = f"written {cached}"
        except OSError as exc:
            meta["cache"] = f"not written ({exc.strerror or exc})"
    return KeypointSeries(
        series.times_s, series.positions, series.confidence, series.names, series.units, series.source, meta
    )


def _read_cache(cached: Path, sha256: str, model_id: str, scan_key: str) -> KeypointSeries | None:
    if not cached.is_file():
        return None
    try:
        series = read_keypoints_json(cached)
    except InputFileError:
        return None  # a damaged cache is simply recomputed
    meta = series.meta
    if (meta.get("origin_sha256"), meta.get("model_id"), meta.get("people_scan")) != (
        sha256,
        model_id,
        scan_key,
    ):
        return None
    meta = dict(series.meta) | {"cache": f"hit {cached}"}
    return KeypointSeries(
        series.times_s, series.positions, series.confidence, series.names, series.units, series.source, meta
    )


def _estimate(
    video: VideoReader,
    estimator: PoseEstimator,
    progress: ProgressCallback | None,
    detector: PeopleDetector | None,
    settings: ScanSettings,
    *,
    workers: int | None = 1,
    pool: str = "threads",
) -> KeypointSeries:
    chunked = _chunked(
        video, estimator, progress, detector=detector, settings=settings, workers=workers, pool=pool
    )
    if chunked is not None:
        return chunked
    times: list[float] = []
    expected = video.info.frame_count
    scanner = (
        PeopleScanner(
            detector, expected, estimator.names, fps_hz=video.info.fps_nominal_hz, settings=settings
        )
        if detector is not None
        else None
    )

    def frames() -> Iterator[Frame]:
        for i, (time_s, frame) in enumerate(video.frames()):
            times.append(time_s)
            if scanner is not None:
                scanner.offer(i, frame)
            yield frame

    poses: list[FramePose] = []
    try:
        for pose in estimator.estimate(frames()):
            if scanner is not None:
                scanner.posed(len(poses), pose)
            poses.append(pose)
            if progress is not None:
                progress(len(poses), expected)
        scan = scanner.result() if scanner is not None else None
    finally:
        if scanner is not None:
            scanner.close()
    people_meta = {"people_scan": "off"}
    notes: list[str] = []
    if scan is not None:
        people_meta = scan.meta()
        if scan.plan.mode != "none":
            people_meta["people_full_frame_on_runner"] = _on_runner(poses, estimator.names, scan)
            poses = _estimate_cropped(video.path, estimator, scan.plan, len(poses), progress)
            notes.append(scan.note())
    return _series(video, estimator, times, poses, people_meta=people_meta, notes=notes)


def _series(
    video: VideoReader,
    estimator: PoseEstimator,
    times: list[float],
    poses: list[FramePose],
    *,
    people_meta: dict[str, str],
    notes: list[str],
    run_meta: dict[str, str] | None = None,
) -> KeypointSeries:
    """Assemble the poses and timestamps of one read into the series and its meta."""
    times_s = np.array(times[: len(poses)], dtype=np.float64)
    track = assemble(poses, estimator.names, video.path, times_s if times_s.size == len(poses) else None)
    if times_s.size < 2:
        raise InputFileError(video.path, f"only {times_s.size} frame decoded; a gait analysis needs a clip")
    fps_hz = float(1.0 / np.median(np.diff(times_s)))
    info = video.info
    warnings = [w for w in (fps_warning(fps_hz),) if w]
    uneven = timing_note(times_s)
    if uneven is not None:
        notes.append(uneven)
    if track.jump_frames:
        warnings.append(
            f"the tracked body jumps in {len(track.jump_frames)} frame(s): another person may have been "
            "followed there; film the runner alone"
        )
    if track.detected_fraction < 1.0:
        warnings.append(
            f"no person found in {int((~track.detected).sum())} of {track.detected.size} frames "
            f"(lost {track.n_lost} time(s)): is the runner in view for the whole clip?"
        )
    notes.extend(_leg_notes(track.implausible, track.detected.size))
    meta = {
        "model_id": estimator.model_id,
        "pose_backend": estimator.name,
        "video": info.path.name,
        "width_px": str(info.width_px),
        "height_px": str(info.height_px),
        "fps_nominal_hz": f"{info.fps_nominal_hz:g}",
        "fps_measured_hz": f"{fps_hz:.3f}",
        "rotation_deg": str(info.rotation_deg),
        "rotated_by": info.rotated_by,
        "timestamps_repaired": str(video.times_repaired),
        "detected_fraction": f"{track.detected_fraction:.4f}",
        "tracking": TRACKING_NOTE,
        "jump_frames": ",".join(str(i) for i in track.jump_frames[:MAX_LISTED_JUMPS]),
        "pose_mode": str(getattr(estimator, "mode", "")),
        "pose_workers": str(getattr(estimator, "workers", "")),
        **(run_meta or {}),
        **_leg_meta(track, estimator.names),
        **people_meta,
        "warnings": " | ".join(warnings),
        "quality_notes": " | ".join(notes),
    }
    return KeypointSeries(
        times_s,
        track.positions_px,
        track.confidence,
        estimator.names,
        "pixel",
        f"{estimator.name} ({estimator.model_id}) on {info.path.name}",
        meta,
    )


def _chunked(
    video: VideoReader,
    estimator: PoseEstimator,
    progress: ProgressCallback | None,
    *,
    detector: PeopleDetector | None,
    settings: ScanSettings,
    workers: int | None,
    pool: str,
) -> KeypointSeries | None:
    """The clip posed in chunks side by side (:mod:`glutemed.pose.chunked`; ``pool`` "threads" or
    "processes"), or None to pose it in one run: one worker, a backend or people detector other than the
    bundled ones, an unknown frame count or a short clip, or chunks that did not stitch (a seek that landed
    elsewhere, a worker process that died)."""
    if workers == 1:
        return None
    from glutemed.pose import chunked as ch
    from glutemed.pose.mediapipe_backend import MediaPipePeopleDetector, MediaPipePose

    info = video.info
    scanner = detector if isinstance(detector, MediaPipePeopleDetector) else None
    if not isinstance(estimator, MediaPipePose) or (detector is not None and scanner is None):
        return None  # chunks are posed by the bundled backend and detector, rebuilt in each worker
    n_workers = ch.auto_workers(info, workers, estimator.mode)
    overlap = ch.overlap_frames(estimator.mode, info.fps_nominal_hz)
    n_chunks = len(ch.plan_chunks(info.frame_count, n_workers, overlap))
    if n_workers <= 1 or n_chunks < 2:
        return None
    if pool == "processes" and multiprocessing.current_process().daemon:
        return None  # a daemonic process (a Dask worker's) may not start processes of its own
    expected = info.frame_count
    scan_frames = ch.scan_frames_of(info, settings) if scanner is not None else []
    try:
        first = ch.chunked_poses(
            info,
            estimator,
            workers=n_workers,
            pool=pool,
            scan_frames=scan_frames,
            detector=scanner,
            progress=None if progress is None else lambda done: progress(done, expected),
        )
        poses = first.poses
        people_meta, notes = {"people_scan": "off"}, []
        if scanner is not None:
            scan = first.scan(scan_frames, info, settings, scanner.model_id)
            people_meta = scan.meta()
            if scan.plan.mode != "none":
                people_meta["people_full_frame_on_runner"] = _on_runner(poses, estimator.names, scan)
                n = len(poses)
                poses = ch.chunked_poses(
                    info,
                    estimator,
                    workers=n_workers,
                    pool=pool,
                    plan=scan.plan,
                    progress=None if progress is None else lambda done: progress(n + done, 2 * n),
                ).poses
                if len(poses) != n:
                    raise InputFileError(
                        video.path, f"the second read gave {len(poses)} frames, the first {n}"
                    )
                notes.append(scan.note())
    except (ch.ChunkingError, BrokenProcessPool):
        return None
    run_meta = {
        "pose_workers": f"{n_workers} {pool}",
        "pose_chunks": f"{n_chunks} chunks, {overlap} frame(s) of overlap each",
        "timestamps_repaired": str(first.times_repaired),
    }
    return _series(
        video, estimator, first.times_s, poses, people_meta=people_meta, notes=notes, run_meta=run_meta
    )


def _leg_meta(track: Track, names: tuple[str, ...]) -> dict[str, str]:
    """Per leg: its confidence over frames with a person (its weakest joint's median, as the quality score takes
    it), its implausible frames, and how many frames each leg check found."""
    meta: dict[str, str] = {}
    for side in SIDES:
        conf = leg_confidence(track.confidence[track.detected], names, side)
        meta[f"leg_confidence_{side}"] = f"{conf:.3f}" if np.isfinite(conf) else ""
        frames = track.implausible.get(side, ())
        meta[f"implausible_frames_{side}"] = ",".join(str(i) for i in frames[:MAX_LISTED_JUMPS])
        meta[f"implausible_count_{side}"] = str(len(frames))
        meta[f"collapsed_count_{side}"] = str(len(track.legs.collapsed.get(side, ())))
        meta[f"spike_count_{side}"] = str(len(track.legs.spikes.get(side, ())))
        meta[f"off_length_count_{side}"] = str(len(track.legs.off_length.get(side, ())))
    return meta


def _leg_notes(implausible: dict[str, tuple[int, ...]], n_frames: int) -> list[str]:
    return [
        f"the pose model misplaced the {side} leg in {len(frames)} of {n_frames} frames (laid onto the other "
        "leg, a point jumping away for one frame, or a thigh or shank of impossible length); those points were "
        "dropped or count for less"
        for side, frames in implausible.items()
        if frames
    ]


def _estimate_cropped(
    path: Path, estimator: PoseEstimator, plan: CropPlan, n_frames: int, progress: ProgressCallback | None
) -> list[FramePose]:
    """The second pose pass, on the crop around the runner; keypoints back in full-frame pixels.

    Progress continues from the first pass: frames n+1..2n of 2n.
    """
    windows: list[tuple[int, int, int, int]] = []

    def frames() -> Iterator[Frame]:
        with VideoReader(path) as again:
            for i, (_, frame) in enumerate(again.frames()):
                if i >= n_frames:
                    break
                windows.append(plan.window(i))
                yield crop(frame, windows[-1])

    poses: list[FramePose] = []
    for pose in estimator.estimate(frames()):
        poses.append(uncrop(pose, windows[len(poses)]))
        if progress is not None:
            progress(n_frames + len(poses), 2 * n_frames)
    if len(poses) != n_frames:
        raise InputFileError(path, f"the second read gave {len(poses)} frames, the first {n_frames}")
    return poses


def _on_runner(poses: list[FramePose], names: tuple[str, ...], scan: PeopleScan) -> str:
    """On how many of the runner's scanned frames the whole-frame pose had its mid-hip inside the runner's box."""
    runner = scan.runner
    if runner is None or "left_hip" not in names or "right_hip" not in names:
        return ""
    hips = [names.index("left_hip"), names.index("right_hip")]
    inside = 0
    for frame, box in zip(runner.frames, runner.boxes, strict=True):
        pose = poses[frame] if frame < len(poses) else None
        if pose is None or not pose.detected:
            continue
        x, y = np.nanmean(pose.positions_px[hips], axis=0)
        x0, y0, x1, y1 = box.box_px
        inside += bool(x0 <= x <= x1 and y0 <= y <= y1)
    return f"{inside} of {len(runner.frames)}"
