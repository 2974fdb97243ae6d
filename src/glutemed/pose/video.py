"""Open a runner's video with OpenCV (FFmpeg) and stream its frames with their real timestamps.

- Containers: .mp4, .mov, .avi, .mkv. Anything else, an empty file, a file FFmpeg cannot open (a text file
  renamed .mp4, an MP4 cut before its index) or one that decodes no frame is refused with an
  :class:`~glutemed.io.errors.InputFileError` that names the file.
- Truncation: a file is refused as truncated when fewer than 90 % of the frames the container promises decode
  *and* the decoded frames end before 90 % of its duration (a few frames short is common in phone files and is
  only noted). The time test matters for variable frame rate: a container without a frame index (Matroska)
  lets FFmpeg estimate the count as duration x a guessed rate, which can far exceed the frames really there.
  Without usable timestamps the frame count alone decides.
- Timestamps: each frame's presentation time (``CAP_PROP_POS_MSEC`` right after the frame is read, relative to
  the stream's start), so variable-frame-rate phone video keeps its true timing (checked against the written
  pts of ``tests/data/video/vfr``: within 1 microsecond in MP4, the 1 ms rounding of Matroska). A timestamp
  that does not increase (some containers report none) is replaced by the previous one plus one nominal frame
  period, and the count is reported.
- Nominal rate: what the container states (for variable frame rate MP4, the mean rate). A stated rate of
  1000 fps or more is no camera's: it is FFmpeg reporting the Matroska 1 ms time base of a track that states no
  frame duration; then the nominal rate and the frame count (estimated from it) are given as 0, unknown.
- Rotation: phones store portrait video as landscape plus a rotation tag. OpenCV is asked to apply it
  (``CAP_PROP_ORIENTATION_AUTO``); if this build does not, the frames are rotated here by the tag
  (``CAP_PROP_ORIENTATION_META``: 90, 180 or 270 degrees clockwise), so keypoints are always in the upright
  image the viewer sees.
- Frame rate: under 25 frames per second (the floor issue 4 sets, and the config's ``min_fps_hz``) a warning
  says so; callers give :func:`fps_warning` the median rate of the real timestamps, not the container's mean.
- Uneven timing (variable frame rate, dropped frames): :func:`timing_note` says how uneven the frame intervals
  are, from the timestamps read.
- Speed: frames are decoded on a background thread a few frames ahead of the pose model, so decoding overlaps
  pose estimation instead of adding to it.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np
from numpy.typing import ArrayLike

from glutemed.core.timing import UNEVEN_INTERVAL_FRACTION, is_uneven, uneven_share
from glutemed.io.errors import InputFileError
from glutemed.pose import VIDEO_SUFFIXES, is_video
from glutemed.pose.base import Frame

__all__ = [
    "MIN_FPS_HZ",
    "VIDEO_SUFFIXES",
    "VideoInfo",
    "VideoReader",
    "check_complete",
    "fps_warning",
    "is_video",
    "repair_times",
    "rotation_code",
    "timing_note",
]
MIN_FPS_HZ = 25.0
MAX_FRAME_PIXELS = 7680 * 4320  # 8K UHD; larger frames take seconds each to decode and resize
TRUNCATED_BELOW_FRACTION = 0.9
TIME_BASE_NOT_RATE_HZ = 1000.0  # a "frame rate" this high is a container's millisecond time base
# Uneven timing (the rule lives in glutemed.core.timing): an interval more than 10 % off the median is uneven
# (Matroska's 1 ms rounding of 1/30 s is 3 %); a note is made when more than 1 % of the intervals are.
_ROTATE = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
_END = object()


def fps_warning(fps_hz: float) -> str | None:
    """The warning for a frame rate below :data:`MIN_FPS_HZ`, or None."""
    if fps_hz >= MIN_FPS_HZ:
        return None
    return (
        f"frame rate {fps_hz:.1f} fps is below {MIN_FPS_HZ:g} fps: foot contacts and peak angles are timed "
        "too coarsely for a verdict; film at 60 fps if the phone allows it"
    )


def timing_note(times_s: ArrayLike) -> str | None:
    """A note when the frame intervals of ``times_s`` (seconds, increasing) are uneven, or None when even."""
    times = np.asarray(times_s, dtype=np.float64)
    intervals_s = np.diff(times)
    if not is_uneven(times):
        return None
    median_s = float(np.median(intervals_s))
    n_uneven = round(uneven_share(times) * intervals_s.size)
    mean_hz = intervals_s.size / float(intervals_s.sum())
    return (
        f"variable frame rate: {n_uneven} of {intervals_s.size} frame intervals differ from the "
        f"median {1000 * median_s:.1f} ms by more than {100 * UNEVEN_INTERVAL_FRACTION:g} % (from "
        f"{1000 * intervals_s.min():.1f} to {1000 * intervals_s.max():.1f} ms; median rate "
        f"{1 / median_s:.1f} fps, mean {mean_hz:.1f} fps); each frame keeps its real time and the analysis "
        "resamples the keypoints onto an even grid"
    )


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video; sizes are of the upright (rotated) frames."""

    path: Path
    width_px: int
    height_px: int
    fps_nominal_hz: float  # stated by the container; 0 when it does not say (see the module docstring)
    frame_count: int  # promised by the container; 0 when it does not say
    rotation_deg: int
    rotated_by: str  # "opencv", "glutemed" or "none"
    duration_s: float = 0.0  # the container's duration (its frame count over its rate); 0 when unknown


class VideoReader:
    """Single-pass reader: ``with VideoReader(path) as video: for time_s, frame in video.frames(): ...``.

    After :meth:`frames` has run to the end, ``n_frames_read``, ``times_repaired`` and ``last_time_s`` say
    what happened.
    """

    def __init__(self, path: str | Path, *, prefetch: int = 8) -> None:
        self.path = Path(path)
        self.prefetch = max(1, prefetch)
        _check_file(self.path)
        self._cap = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._cap.isOpened():
            self._cap.release()
            raise InputFileError(
                self.path,
                "cannot be opened as a video (not a video file, or a damaged or truncated one: "
                "FFmpeg found no readable stream)",
            )
        self.info = self._read_info()
        _check_frame_size(self.path, self.info, self._cap)
        self._rotate_code = rotation_code(self.info)
        self.n_frames_read = 0
        self.times_repaired = 0
        self.last_time_s = float("nan")
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None

    def _read_info(self) -> VideoInfo:
        cap = self._cap
        cap.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        rotation = round(cap.get(cv2.CAP_PROP_ORIENTATION_META)) % 360
        auto = bool(cap.get(cv2.CAP_PROP_ORIENTATION_AUTO))
        width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if rotation in (90, 270) and not auto:
            width, height = height, width
        rotated_by = "none" if rotation not in _ROTATE else ("opencv" if auto else "glutemed")
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        duration_s = count / fps if count and fps > 0 else 0.0
        if fps >= TIME_BASE_NOT_RATE_HZ:  # no frame rate stated; the count was estimated from the time base
            fps, count = 0.0, 0
        return VideoInfo(self.path, width, height, fps, count, rotation, rotated_by, duration_s)

    # -- frames ------------------------------------------------------------------------------------------
    def frames(self) -> Iterator[tuple[float, Frame]]:
        """Yield (time_s, BGR frame) in order; raises InputFileError if nothing decodes or the file is cut."""
        if self._worker is not None:
            raise RuntimeError("VideoReader.frames() reads the video once; open a new reader")
        items: queue.Queue[Any] = queue.Queue(maxsize=self.prefetch)
        self._worker = threading.Thread(target=self._decode, args=(items, self._stop), daemon=True)
        self._worker.start()
        previous_s = -float("inf")
        period_s = 1.0 / self.info.fps_nominal_hz if self.info.fps_nominal_hz > 0 else 1.0 / 30.0
        try:
            while (item := items.get()) is not _END:
                if isinstance(item, BaseException):
                    raise InputFileError(
                        self.path, f"decoding failed after frame {self.n_frames_read}: {item}"
                    )
                time_s, frame = item
                if not time_s > previous_s:
                    time_s = previous_s + period_s if self.n_frames_read else 0.0
                    self.times_repaired += 1
                previous_s = self.last_time_s = time_s
                self.n_frames_read += 1
                yield time_s, frame
        finally:
            self._stop_worker()
        self._check_complete()

    def _decode(self, items: queue.Queue[Any], stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                ok, frame = self._cap.read()
                if not ok or frame is None:
                    break
                time_s = self._cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if self._rotate_code is not None:
                    frame = cv2.rotate(frame, self._rotate_code)
                _put(items, (time_s, frame), stop)
        except Exception as exc:  # handed to the consumer, which raises it with the file name
            _put(items, exc, stop)
        finally:
            _put(items, _END, stop)

    def _check_complete(self) -> None:
        check_complete(self.info, self.n_frames_read, self.times_repaired, self.last_time_s)

    # -- lifetime ----------------------------------------------------------------------------------------
    def _stop_worker(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join()

    def close(self) -> None:
        """Stop the decoding thread (if a read was left unfinished) and release the file."""
        self._stop_worker()
        self._cap.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def rotation_code(info: VideoInfo) -> int | None:
    """The ``cv2.rotate`` code glutemed applies to each decoded frame (OpenCV did not rotate it), or None."""
    return _ROTATE.get(info.rotation_deg) if info.rotated_by == "glutemed" else None


def check_complete(info: VideoInfo, n_frames_read: int, times_repaired: int, last_time_s: float) -> None:
    """Refuse a read that decoded nothing or was cut short (the rule of the module docstring)."""
    if n_frames_read == 0:
        raise InputFileError(info.path, "no video frame could be decoded (empty or damaged video stream)")
    promised, duration_s = info.frame_count, info.duration_s
    count_short = bool(promised) and n_frames_read < TRUNCATED_BELOW_FRACTION * promised
    if times_repaired == 0 and duration_s > 0:
        time_short = last_time_s < TRUNCATED_BELOW_FRACTION * duration_s
        truncated = time_short and (count_short or not promised)
    else:
        truncated = count_short
    if truncated:
        promise = f"{promised} frames" if promised else f"{duration_s:.2f} s of video"
        raise InputFileError(
            info.path,
            f"truncated or damaged: the container promises {promise} but only {n_frames_read} "
            f"frames could be decoded (up to {last_time_s:.2f} s)",
        )


def repair_times(raw_times_s: list[float], fps_nominal_hz: float) -> tuple[list[float], int]:
    """Timestamps as :meth:`VideoReader.frames` gives them, from the raw ones of a whole read, and how many
    were repaired (a time that does not increase becomes the previous one plus one nominal frame period)."""
    period_s = 1.0 / fps_nominal_hz if fps_nominal_hz > 0 else 1.0 / 30.0
    times: list[float] = []
    previous_s, repaired = -float("inf"), 0
    for raw_s in raw_times_s:
        time_s = raw_s
        if not raw_s > previous_s:
            time_s = previous_s + period_s if times else 0.0
            repaired += 1
        times.append(time_s)
        previous_s = time_s
    return times, repaired


def _check_file(path: Path) -> None:
    if not path.exists():
        raise InputFileError(path, "no such file")
    if not path.is_file():
        raise InputFileError(path, "is not a file")
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise InputFileError(
            path, f"not a supported video type {path.suffix!r} (expected {', '.join(sorted(VIDEO_SUFFIXES))})"
        )
    if path.stat().st_size == 0:
        raise InputFileError(path, "is empty (0 bytes)")


def max_frame_pixels() -> int:
    """Largest frame (width x height) decoded: 8K UHD; ``GLUTEMED_MAX_VIDEO_PIXELS`` overrides it."""
    raw = os.environ.get("GLUTEMED_MAX_VIDEO_PIXELS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else MAX_FRAME_PIXELS


def _check_frame_size(path: Path, info: VideoInfo, cap: Any) -> None:
    """Refuse a video whose frames are too large to decode at a useful speed (checked before any frame)."""
    limit = max_frame_pixels()
    if info.width_px * info.height_px > limit:
        cap.release()
        raise InputFileError(
            path,
            f"frames of {info.width_px} x {info.height_px} pixels are over the limit of {limit:,} pixels "
            "(8K); pose estimation needs no more than 1920 x 1080: scale the video down first "
            "(for example: ffmpeg -i IN -vf scale=1920:-2 OUT.mp4)",
        )


def _put(items: queue.Queue[Any], item: object, stop: threading.Event) -> None:
    """Put ``item`` unless the consumer has stopped (then drop it instead of blocking forever)."""
    while not stop.is_set():
        try:
            items.put(item, timeout=0.1)
        except queue.Full:
            continue
        return
