"""Who is in the video: a people scan that finds every person, follows them across the clip, picks the runner.

MediaPipe's legacy Pose follows ONE person and picks it itself (the first one its detector likes, then whoever
it keeps tracking). With a coach, another runner or a passer-by in view it may follow the wrong body. This
module lets glutemed decide instead:

1. Scan: a person detector (any :class:`PeopleDetector`; the bundled one is
   :class:`glutemed.pose.mediapipe_backend.MediaPipePeopleDetector`) looks at a sample of evenly spaced
   frames, :func:`sample_indices`. The frames are the ones the pose pass decodes anyway (seeking to them
   first cost more than 2 s on the bundled 12 s clip, decoding it a second time 0.8 s), so the scan adds no
   decoding; the detector runs on a background thread while the pose model works, and is told whom the pose
   followed on that frame (:func:`box_from_pose`), so it only has to look for anyone else.
2. Link: :func:`link_tracks` joins the detections of consecutive sampled frames into tracks, one per person,
   by box overlap (IoU) or, for a person who moved, by centre distance relative to their size.
3. Pick: :func:`choose_runner` scores each track on size (median box side relative to the frame) and
   steadiness (the fraction of sampled frames it is in, divided by one plus its centre jitter) and takes the
   best. Only tracks seen on at least :attr:`ScanSettings.min_track_fraction` of the sampled frames count as
   people; a single stray detection is not a person.
4. Crop: with two or more people, :func:`plan_crop` gives the window the pose model is run on: a fixed window
   around everywhere the runner was seen when the runner stays in place (a treadmill), otherwise a window of
   constant size that follows the runner's interpolated centre. With one person or none there is no crop and
   the pose pass is exactly the plain one.

The weights and limits here (IoU 0.1, centre distance one body radius, the 25 % margin, what "stays in
place" means) are engineering choices of this module, checked on the bundled clip and on synthetic two-person
clips made from it (tests/pose/test_people.py); they are not published values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from glutemed.pose.base import Frame, FramePose

SCAN_VERSION = 1  # bump when the scan, linking, scoring or crop rules change: cached keypoints are redone


@dataclass(frozen=True)
class PersonBox:
    """One detected person: the mid-hip centre and the radius of a circle around the whole body, in pixels.

    That is what the BlazePose person detector predicts (mid-hip point plus a point on the circle that
    circumscribes the body). The person's box is the square around that circle.
    """

    centre_x_px: float
    centre_y_px: float
    radius_px: float
    score: float = 1.0

    @property
    def box_px(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the square around the body circle."""
        r = self.radius_px
        return (self.centre_x_px - r, self.centre_y_px - r, self.centre_x_px + r, self.centre_y_px + r)

    @property
    def side_px(self) -> float:
        return 2.0 * self.radius_px

    def iou(self, other: PersonBox) -> float:
        ax0, ay0, ax1, ay1 = self.box_px
        bx0, by0, bx1, by1 = other.box_px
        w = max(0.0, min(ax1, bx1) - max(ax0, bx0))
        h = max(0.0, min(ay1, by1) - max(ay0, by0))
        inter = w * h
        union = self.side_px**2 + other.side_px**2 - inter
        return inter / union if union > 0 else 0.0

    def scaled(self, factor: float) -> PersonBox:
        return PersonBox(
            self.centre_x_px * factor, self.centre_y_px * factor, self.radius_px * factor, self.score
        )


@runtime_checkable
class PeopleDetector(Protocol):
    """Finds every person in one BGR frame. ``model_id`` names the model and every setting that changes it.

    ``followed`` is the person the pose model followed on that frame, when known (:func:`box_from_pose`):
    the detector then only has to look for the others, and returns ``followed`` among the people it found.
    """

    model_id: str

    def detect(self, frame: Frame, followed: PersonBox | None = None) -> list[PersonBox]: ...


POSE_RADIUS_FACTOR = 1.05
"""Body radius from keypoints: this times the largest distance from the mid-hip to a keypoint. On the bundled
clip the BlazePose detector's radius was 1.035 times that distance (median of 30 frames; 10-90 % 0.99-1.11),
so boxes from the pose and from the detector are of one size."""


def box_from_pose(pose: FramePose, names: Sequence[str]) -> PersonBox | None:
    """The followed person's :class:`PersonBox` from their keypoints (mid-hip centre), or None."""
    if not pose.detected or "left_hip" not in names or "right_hip" not in names:
        return None
    hip = pose.positions_px[[names.index("left_hip"), names.index("right_hip")]].mean(axis=0)
    if not np.isfinite(hip).all():
        return None
    reach = np.linalg.norm(pose.positions_px - hip, axis=1)
    reach = reach[np.isfinite(reach)]
    if reach.size == 0 or float(reach.max()) <= 0:
        return None
    return PersonBox(float(hip[0]), float(hip[1]), POSE_RADIUS_FACTOR * float(reach.max()))


@dataclass(frozen=True)
class ScanSettings:
    """How the scan samples, links and decides; ``scan_id`` goes into the keypoint cache key."""

    min_samples: int = 8
    max_samples: int = 16
    frames_per_sample: int = 45  # one sample per this many frames, between min_samples and max_samples
    link_min_iou: float = 0.1
    link_max_centre_radii: float = 1.0  # or centres closer than this many body radii
    min_track_fraction: float = 0.25  # of the sampled frames, and at least 2 of them, to count as a person
    margin_fraction: float = 0.25  # added to each side of the body square, as a fraction of its side
    in_place_radii: float = 0.5  # the runner "stays in place" when every sampled centre is this close

    @property
    def scan_id(self) -> str:
        return (
            f"people-v{SCAN_VERSION}-s{self.min_samples}-{self.max_samples}-{self.frames_per_sample}"
            f"-iou{self.link_min_iou:g}-d{self.link_max_centre_radii:g}-f{self.min_track_fraction:g}"
            f"-m{self.margin_fraction:g}-p{self.in_place_radii:g}"
        )


DEFAULT_SCAN = ScanSettings()


def sample_indices(frame_count: int, settings: ScanSettings, fps_hz: float = 30.0) -> list[int]:
    """Evenly spaced frame indices to scan; without a known frame count, one frame a second."""
    if frame_count <= 0:
        step = max(1, round(fps_hz if fps_hz > 0 else 30.0))
        return list(range(0, 3600 * step, step))  # an hour of samples: more than any clip needs
    n = min(
        frame_count,
        max(settings.min_samples, min(settings.max_samples, frame_count // settings.frames_per_sample)),
    )
    return sorted({round(i) for i in np.linspace(0, frame_count - 1, n)})


# -- tracks ----------------------------------------------------------------------------------------------


@dataclass
class PersonTrack:
    """One person across the sampled frames: the sample positions (0..n_sampled-1) and boxes there."""

    samples: list[int] = field(default_factory=list)
    frames: list[int] = field(default_factory=list)
    boxes: list[PersonBox] = field(default_factory=list)

    def add(self, sample: int, frame: int, box: PersonBox) -> None:
        self.samples.append(sample)
        self.frames.append(frame)
        self.boxes.append(box)

    @property
    def median_box(self) -> PersonBox:
        return PersonBox(
            float(np.median([b.centre_x_px for b in self.boxes])),
            float(np.median([b.centre_y_px for b in self.boxes])),
            float(np.median([b.radius_px for b in self.boxes])),
            float(np.median([b.score for b in self.boxes])),
        )

    def presence(self, n_sampled: int) -> float:
        return len(self.samples) / n_sampled if n_sampled else 0.0

    @property
    def jitter(self) -> float:
        """Median centre step between consecutive sightings, in units of the median box side."""
        if len(self.boxes) < 2:
            return 0.0
        xy = np.array([(b.centre_x_px, b.centre_y_px) for b in self.boxes])
        steps = np.linalg.norm(np.diff(xy, axis=0), axis=1)
        return float(np.median(steps) / max(self.median_box.side_px, 1e-9))

    def score(self, n_sampled: int, frame_width_px: int, frame_height_px: int) -> float:
        """Size (median box side over the frame's geometric mean side) x presence / (1 + jitter)."""
        size = self.median_box.side_px / math.sqrt(max(frame_width_px * frame_height_px, 1))
        return size * self.presence(n_sampled) / (1.0 + self.jitter)


def link_tracks(
    detections: Sequence[Sequence[PersonBox]],
    frames: Sequence[int],
    settings: ScanSettings = DEFAULT_SCAN,
) -> list[PersonTrack]:
    """Join per-sample detections into tracks, greedily by best match (IoU, then centre distance).

    ``detections[k]`` are the people found on sampled frame ``frames[k]``. A detection joins the track whose
    last box overlaps it most (IoU >= ``link_min_iou``) or, failing that, whose last centre is within
    ``link_max_centre_radii`` of the larger of the two radii; each track takes at most one detection per
    sample. Unmatched detections start new tracks.
    """
    tracks: list[PersonTrack] = []
    for k, (found, frame) in enumerate(zip(detections, frames, strict=True)):
        pairs: list[tuple[float, int, int]] = []
        for ti, track in enumerate(tracks):
            last = track.boxes[-1]
            for di, box in enumerate(found):
                iou = last.iou(box)
                dist = math.hypot(last.centre_x_px - box.centre_x_px, last.centre_y_px - box.centre_y_px)
                near = dist / max(last.radius_px, box.radius_px, 1e-9)
                if iou >= settings.link_min_iou or near <= settings.link_max_centre_radii:
                    pairs.append((-(iou + 1.0 / (1.0 + near)), ti, di))
        used_tracks: set[int] = set()
        used_boxes: set[int] = set()
        for _, ti, di in sorted(pairs):
            if ti in used_tracks or di in used_boxes:
                continue
            tracks[ti].add(k, frame, found[di])
            used_tracks.add(ti)
            used_boxes.add(di)
        for di, box in enumerate(found):
            if di not in used_boxes:
                track = PersonTrack()
                track.add(k, frame, box)
                tracks.append(track)
    return tracks


def people_tracks(tracks: Sequence[PersonTrack], n_sampled: int, settings: ScanSettings) -> list[PersonTrack]:
    """The tracks that count as people: seen on enough sampled frames (see ``min_track_fraction``)."""
    need = max(2, math.ceil(settings.min_track_fraction * n_sampled)) if n_sampled >= 2 else 1
    return [t for t in tracks if len(t.samples) >= need]


def choose_runner(
    tracks: Sequence[PersonTrack], n_sampled: int, frame_width_px: int, frame_height_px: int
) -> int | None:
    """Index of the best-scoring track (largest, steadiest), or None when there is none."""
    if not tracks:
        return None
    scores = [t.score(n_sampled, frame_width_px, frame_height_px) for t in tracks]
    return int(np.argmax(scores))


# -- crop ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CropPlan:
    """The window the pose model sees on each frame: none, one fixed window, or a moving one of fixed size.

    ``window(i)`` is (x0, y0, x1, y1) in integer pixels of the full frame, x1/y1 exclusive. For "moving",
    the window is centred on the runner's centre interpolated linearly between the sampled frames (held at
    the first and last sighting) and shifted to stay inside the frame.
    """

    mode: str  # "none", "fixed" or "moving"
    frame_width_px: int
    frame_height_px: int
    fixed: tuple[int, int, int, int] = (0, 0, 0, 0)
    size_px: tuple[int, int] = (0, 0)
    key_frames: tuple[int, ...] = ()
    key_centres_px: tuple[tuple[float, float], ...] = ()

    def window(self, frame_index: int) -> tuple[int, int, int, int]:
        if self.mode == "none":
            return (0, 0, self.frame_width_px, self.frame_height_px)
        if self.mode == "fixed":
            return self.fixed
        cx = float(np.interp(frame_index, self.key_frames, [c[0] for c in self.key_centres_px]))
        cy = float(np.interp(frame_index, self.key_frames, [c[1] for c in self.key_centres_px]))
        w, h = self.size_px
        x0 = min(max(0, round(cx - w / 2)), self.frame_width_px - w)
        y0 = min(max(0, round(cy - h / 2)), self.frame_height_px - h)
        return (x0, y0, x0 + w, y0 + h)

    def describe(self) -> str:
        if self.mode == "fixed":
            x0, y0, x1, y1 = self.fixed
            return f"fixed window x {x0}-{x1}, y {y0}-{y1} px"
        if self.mode == "moving":
            return f"window of {self.size_px[0]}x{self.size_px[1]} px following the runner"
        return "none"


def _clip_box(box: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return (
        max(0, math.floor(x0)),
        max(0, math.floor(y0)),
        min(width, math.ceil(x1)),
        min(height, math.ceil(y1)),
    )


def plan_crop(
    track: PersonTrack, frame_width_px: int, frame_height_px: int, settings: ScanSettings
) -> CropPlan:
    """The crop around ``track``: fixed when it stays in place, else a moving window (see :class:`CropPlan`)."""
    grow = 1.0 + 2.0 * settings.margin_fraction
    centres = np.array([(b.centre_x_px, b.centre_y_px) for b in track.boxes])
    radius = track.median_box.radius_px
    spread = float(np.max(np.linalg.norm(centres - np.median(centres, axis=0), axis=1)))
    if spread <= settings.in_place_radii * radius:
        half = [b.radius_px * grow for b in track.boxes]
        union = (
            min(c[0] - h for c, h in zip(centres, half, strict=True)),
            min(c[1] - h for c, h in zip(centres, half, strict=True)),
            max(c[0] + h for c, h in zip(centres, half, strict=True)),
            max(c[1] + h for c, h in zip(centres, half, strict=True)),
        )
        return CropPlan(
            "fixed", frame_width_px, frame_height_px, fixed=_clip_box(union, frame_width_px, frame_height_px)
        )
    side = 2.0 * grow * max(b.radius_px for b in track.boxes)
    size = (min(frame_width_px, math.ceil(side)), min(frame_height_px, math.ceil(side)))
    return CropPlan(
        "moving",
        frame_width_px,
        frame_height_px,
        size_px=size,
        key_frames=tuple(track.frames),
        key_centres_px=tuple((float(x), float(y)) for x, y in centres),
    )


def crop(frame: Frame, window: tuple[int, int, int, int]) -> Frame:
    x0, y0, x1, y1 = window
    return frame[y0:y1, x0:x1]


def uncrop(pose: FramePose, window: tuple[int, int, int, int]) -> FramePose:
    """Keypoints found in the window, moved back into full-frame pixel coordinates."""
    if not pose.detected:
        return pose
    shifted = pose.positions_px + np.array([window[0], window[1]], dtype=np.float64)
    return FramePose(shifted, pose.confidence, detected=True)


# -- the scan --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeopleScan:
    """What the scan found: the linked people tracks, which one is the runner, and the crop that follows."""

    n_sampled: int
    frames: tuple[int, ...]
    tracks: tuple[PersonTrack, ...]  # only those that count as people
    chosen: int | None
    plan: CropPlan
    settings: ScanSettings
    detector_id: str

    @property
    def n_people(self) -> int:
        return len(self.tracks)

    @property
    def runner(self) -> PersonTrack | None:
        return None if self.chosen is None else self.tracks[self.chosen]

    def runner_box_px(self) -> tuple[int, int, int, int] | None:
        runner = self.runner
        if runner is None:
            return None
        return _clip_box(runner.median_box.box_px, self.plan.frame_width_px, self.plan.frame_height_px)

    def note(self) -> str:
        """One sentence for the report: how many people, whom the pose followed, what was done."""
        runner = self.runner
        if runner is None or self.n_people < 2:
            seen = "no person" if self.n_people == 0 else "1 person"
            return f"{seen} seen on {self.n_sampled} scanned frames; pose run on the whole frame"
        x0, y0, x1, y1 = self.runner_box_px() or (0, 0, 0, 0)
        return (
            f"{self.n_people} people seen; followed the largest, steadiest (box x {x0}-{x1}, y {y0}-{y1} px, "
            f"on {len(runner.samples)} of {self.n_sampled} scanned frames); pose run on a crop "
            f"({self.plan.describe()})"
        )

    def meta(self) -> dict[str, str]:
        box = self.runner_box_px()
        return {
            "people_scan": f"{self.settings.scan_id}+{self.detector_id}",
            "people_seen": str(self.n_people),
            "people_scanned_frames": ",".join(str(i) for i in self.frames),
            "people_followed_box_px": "" if box is None else ",".join(str(v) for v in box),
            "people_crop": self.plan.describe(),
            "people_note": self.note(),
        }


class PeopleScanner:
    """Collects sampled frames during the pose pass, detects people on a worker thread, then decides.

    ``offer(i, frame)`` hands over frame ``i`` (only the sampled ones are kept, by reference: frames are never
    written to); ``posed(i, pose)`` hands over the pose found on it, and the detector then looks for everyone
    else on that frame. ``result()`` waits for the detector and returns the :class:`PeopleScan`.
    """

    def __init__(
        self,
        detector: PeopleDetector,
        frame_count: int,
        names: Sequence[str],
        *,
        fps_hz: float = 30.0,
        settings: ScanSettings = DEFAULT_SCAN,
    ) -> None:
        self.detector = detector
        self.names = tuple(names)
        self.settings = settings
        self._wanted = set(sample_indices(frame_count, settings, fps_hz))
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="glutemed-people")
        self._pending: dict[int, Frame] = {}
        self._jobs: list[tuple[int, Future[list[PersonBox]]]] = []
        self._size = (0, 0)

    def offer(self, index: int, frame: Frame) -> None:
        if index in self._wanted:
            self._size = (frame.shape[1], frame.shape[0])
            self._pending[index] = frame

    def posed(self, index: int, pose: FramePose) -> None:
        frame = self._pending.pop(index, None)
        if frame is not None:
            followed = box_from_pose(pose, self.names)
            self._jobs.append((index, self._pool.submit(self.detector.detect, frame, followed)))

    def result(self) -> PeopleScan:
        for index in sorted(self._pending):  # a frame whose pose never came: look at it without one
            self._jobs.append(
                (index, self._pool.submit(self.detector.detect, self._pending.pop(index), None))
            )
        try:
            found = sorted(((i, job.result()) for i, job in self._jobs), key=lambda item: item[0])
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
        return decide(
            [f for _, f in found], [i for i, _ in found], self._size, self.settings, self.detector.model_id
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def decide(
    detections: Sequence[Sequence[PersonBox]],
    frames: Sequence[int],
    frame_size_px: tuple[int, int],
    settings: ScanSettings = DEFAULT_SCAN,
    detector_id: str = "",
) -> PeopleScan:
    """Link, keep the people, pick the runner and plan the crop (none unless two or more people)."""
    width, height = frame_size_px
    n = len(frames)
    tracks = people_tracks(link_tracks(detections, frames, settings), n, settings)
    chosen = choose_runner(tracks, n, width, height)
    plan = CropPlan("none", width, height)
    if chosen is not None and len(tracks) >= 2:
        plan = plan_crop(tracks[chosen], width, height, settings)
    return PeopleScan(n, tuple(frames), tuple(tracks), chosen, plan, settings, detector_id)
