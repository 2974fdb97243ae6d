"""Use case: a runner's video in, canonical 2-D keypoints out (with a keypoint cache).

``video_to_keypoints`` opens and checks the video, runs the pose backend on every frame (decoding overlaps the
pose model), assembles the keypoints with their confidences and real timestamps into a
:class:`~glutemed.core.series.KeypointSeries`, and records in ``series.meta`` what the gait report should say
about the recording (frame rate, rotation, frames without a person, suspected person switches, warnings).

Cache: the keypoints are saved as a ``glutemed.keypoints/v1`` JSON file in ``cache_dir`` (the analysis output
folder; the user's cache folder, ``$XDG_CACHE_HOME/glutemed/keypoints`` or ``~/.cache/glutemed/keypoints``, when
none is given, so analysing a video never writes into the video's own folder), named after the video and keyed by the video's SHA-256 and
the pose model id. A later analysis of the same file with the same model (for example with another config)
reads that file and skips pose estimation. A cache that cannot be written is reported in the meta, never fatal.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from glutemed.core.series import KeypointSeries
from glutemed.io import InputFileError, read_keypoints_json, write_keypoints_json
from glutemed.pose.base import Frame, FramePose, PoseEstimator
from glutemed.pose.tracking import TRACKING_NOTE, assemble
from glutemed.pose.video import VideoReader, fps_warning

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


def default_estimator() -> PoseEstimator:
    from glutemed.pose.mediapipe_backend import MediaPipePose

    return MediaPipePose()


def video_to_keypoints(
    path: str | Path,
    *,
    progress: ProgressCallback | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    estimator: PoseEstimator | None = None,
) -> KeypointSeries:
    """Pose keypoints of every frame of the video at ``path``; errors are InputFileError naming the file."""
    path = Path(path)
    with VideoReader(path) as video:  # checks the file before anything slow happens
        sha256 = file_sha256(path)
        estimator = estimator or default_estimator()
        cached = cache_path(path, sha256, estimator.model_id, cache_dir)
        if use_cache:
            hit = _read_cache(cached, sha256, estimator.model_id)
            if hit is not None:
                return hit
        series = _estimate(video, estimator, progress)
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


def _read_cache(cached: Path, sha256: str, model_id: str) -> KeypointSeries | None:
    if not cached.is_file():
        return None
    try:
        series = read_keypoints_json(cached)
    except InputFileError:
        return None  # a damaged cache is simply recomputed
    if series.meta.get("origin_sha256") != sha256 or series.meta.get("model_id") != model_id:
        return None
    meta = dict(series.meta) | {"cache": f"hit {cached}"}
    return KeypointSeries(
        series.times_s, series.positions, series.confidence, series.names, series.units, series.source, meta
    )


def _estimate(
    video: VideoReader, estimator: PoseEstimator, progress: ProgressCallback | None
) -> KeypointSeries:
    times: list[float] = []
    expected = video.info.frame_count

    def frames() -> Iterator[Frame]:
        for time_s, frame in video.frames():
            times.append(time_s)
            yield frame

    poses: list[FramePose] = []
    for pose in estimator.estimate(frames()):
        poses.append(pose)
        if progress is not None:
            progress(len(poses), expected)
    track = assemble(poses, estimator.names, video.path)
    times_s = np.array(times[: len(poses)], dtype=np.float64)
    if times_s.size < 2:
        raise InputFileError(video.path, f"only {times_s.size} frame decoded; a gait analysis needs a clip")
    fps_hz = float(1.0 / np.median(np.diff(times_s)))
    info = video.info
    warnings = [w for w in (fps_warning(fps_hz),) if w]
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
        "warnings": " | ".join(warnings),
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
