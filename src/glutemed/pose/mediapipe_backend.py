"""MediaPipe Pose (BlazePose) backend, from the ``mediapipe==0.10.21`` wheel, fully offline.

It uses the legacy ``mp.solutions.pose`` API with ``model_complexity=1``: the "full" landmark model and the
person detector, both shipped inside the wheel, so nothing is downloaded (the "lite" and "heavy" models, complexity 0
and 2, are not in the wheel and would be downloaded, so they are refused). It never returns more than one person
(see :mod:`glutemed.pose.tracking`).

Two modes (``mode``):

- ``"static"`` (the default): every frame is a still image. The person detector places the landmark model's
  region of interest afresh on each frame, and no landmark smoothing runs. Frames do not depend on each other,
  so they are spread over ``workers`` threads, each with its own solution (MediaPipe releases the GIL while it
  runs), and the results come back in frame order; the keypoints are the same whatever the number of workers.
- ``"tracking"``: MediaPipe's video mode. It detects a person once, then places each frame's region from the
  previous frame's landmarks and smooths the landmarks, re-detecting only when the track is lost. It is the
  cheapest on one core, but in a side view it bends the knees too little: on the bundled clip the knee-flexion
  peaks in stance were 26.2/19.7 deg (near/far leg) against 32.0/34.2 deg from RTMPose keypoints of the same
  frames, where static mode gave 31.5/31.3 (``benchmarks/bench_video.py --modes``, docs/validation.md).

Of BlazePose's 33 landmarks, 13 map onto the canonical keypoints: nose 0, shoulders 11/12, hips 23/24,
knees 25/26, ankles 27/28, heels 29/30 and the foot index 31/32 (the tip of the foot), used as ``*_toe``.
MediaPipe returns coordinates normalised to the image; they are scaled to pixels of the (rotated) frame.
The landmark's ``visibility`` (the model's estimate that the point is visible, in 0..1) is kept as the
keypoint's confidence; in a side view the far leg's is much lower than the near leg's.
"""

from __future__ import annotations

import os
import queue
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, get_args

# MediaPipe's C++ logging (glog/absl/TFLite) prints INFO and WARNING lines on import and per graph; keep errors
# only, unless the user asked for more. Set before the import below, which reads it. What still leaks (absl's C++
# log level is fixed in the wheel) is silenced while each graph starts (glutemed.pose.quiet).
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2
import mediapipe as mp
import numpy as np

from glutemed.core.series import KEYPOINTS
from glutemed.pose.base import Frame, FramePose
from glutemed.pose.people import PersonBox
from glutemed.pose.quiet import native_stderr_silenced

try:  # absl's Python logger (MediaPipe's Python side): errors only
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)
except ImportError:  # pragma: no cover - absl comes with mediapipe
    pass

BLAZEPOSE_INDEX: dict[str, int] = {
    "nose": 0,
    "left_shoulder": 11,
    "right_shoulder": 12,
    "left_hip": 23,
    "right_hip": 24,
    "left_knee": 25,
    "right_knee": 26,
    "left_ankle": 27,
    "right_ankle": 28,
    "left_heel": 29,
    "right_heel": 30,
    "left_toe": 31,  # BlazePose "left foot index"
    "right_toe": 32,  # BlazePose "right foot index"
}
_BUNDLED_MODELS = {1: "pose_landmark_full.tflite"}  # lite (0) and heavy (2) would be downloaded
PoseMode = Literal["static", "tracking"]
POSE_MODES: tuple[str, ...] = get_args(PoseMode)
DEFAULT_MODE: PoseMode = "static"
MAX_AUTO_WORKERS = 4  # "auto" uses one worker per available core, at most this many
_NATIVE_LOG_PENDING = {"first_landmarks": True}  # see MediaPipePose._process_quietly


class PoseBackendError(RuntimeError):
    """The pose model cannot run here (model file missing, unsupported setting)."""


def bundled_model_path(model_complexity: int) -> Path:
    """Path of the landmark model inside the installed wheel; refuses settings that would download."""
    if model_complexity not in _BUNDLED_MODELS:
        raise PoseBackendError(
            f"MediaPipe Pose model_complexity={model_complexity} is not bundled in the wheel "
            "(only 1, the full model, is used offline)"
        )
    path = Path(mp.__file__).parent / "modules" / "pose_landmark" / _BUNDLED_MODELS[model_complexity]
    if not path.is_file():
        raise PoseBackendError(
            f"the MediaPipe model {path.name} is missing from {path.parent}; reinstall mediapipe==0.10.21"
        )
    return path


def available_cores() -> int:
    """CPU cores this process may run on (its affinity where the platform tells it); inside a Dask worker, at
    most the threads that worker was given.

    A LocalCluster (``glutemed batch``, the web worker on Dask) runs one single-threaded worker per core; a pose
    model in each that spread its frames over every core would put two pose threads per core, and the workers
    would contend instead of each using its own core.
    """
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        cores = max(1, os.cpu_count() or 1)
    share = _dask_worker_threads()
    return min(cores, share) if share else cores


def _dask_worker_threads() -> int:
    """The thread count of the Dask worker running the current task, or 0 outside one."""
    distributed = sys.modules.get("distributed")  # never imported here: a worker has imported it already
    if distributed is None:
        return 0
    try:
        worker = distributed.get_worker()
    except ValueError:  # not inside a Dask task
        return 0
    state = getattr(worker, "state", worker)
    return max(0, int(getattr(state, "nthreads", 0) or 0))


def _wait_until_open(solution: Any) -> None:
    """Block until a started legacy solution's calculators have opened (they load their models asynchronously)."""
    graph = getattr(solution, "_graph", None)
    if graph is not None and hasattr(graph, "wait_until_idle"):
        graph.wait_until_idle()


class MediaPipePose:
    """The :class:`~glutemed.pose.base.PoseEstimator` for MediaPipe Pose (BlazePose full).

    ``mode`` is ``"static"`` (default) or ``"tracking"`` (see the module docstring). ``workers`` is the number of
    threads static mode runs in: 0 means one per available core, at most :data:`MAX_AUTO_WORKERS`; tracking mode
    always runs in one. ``model_id`` names the mode (the keypoint cache is keyed by it), not the workers, which do
    not change the keypoints.
    """

    name = "mediapipe-pose"
    names: tuple[str, ...] = KEYPOINTS

    def __init__(
        self,
        *,
        mode: str = DEFAULT_MODE,
        workers: int = 0,
        model_complexity: int = 1,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        bundled_model_path(model_complexity)
        if mode not in POSE_MODES:
            raise PoseBackendError(f"unknown pose mode {mode!r} (expected one of {', '.join(POSE_MODES)})")
        if workers < 0:
            raise PoseBackendError(f"workers must be 0 (auto) or more, not {workers}")
        self.mode = mode
        self.model_complexity = model_complexity
        self.min_detection_confidence = min_detection_confidence
        self.min_tracking_confidence = min_tracking_confidence
        self.workers = 1 if mode == "tracking" else (workers or min(MAX_AUTO_WORKERS, available_cores()))
        settings = f"det{min_detection_confidence:g}"
        if mode == "tracking":
            settings += f"-trk{min_tracking_confidence:g}"
        self.model_id = f"mediapipe-{mp.__version__}-pose-c{model_complexity}-{mode}-{settings}"
        self._index = np.array([BLAZEPOSE_INDEX[n] for n in self.names])

    def solution(self) -> Any:
        """A fresh legacy ``mp.solutions.pose.Pose`` with this backend's settings (use it as a context manager).

        The graph is started with native logging silenced and waited on until its models are loaded, which is
        when TFLite and absl print their lines.
        """
        with native_stderr_silenced():
            solution = mp.solutions.pose.Pose(
                static_image_mode=self.mode == "static",
                model_complexity=self.model_complexity,
                smooth_landmarks=True,  # ignored in static mode
                enable_segmentation=False,
                min_detection_confidence=self.min_detection_confidence,
                min_tracking_confidence=self.min_tracking_confidence,
            )
            _wait_until_open(solution)
        return solution

    def estimate(self, frames: Iterable[Frame]) -> Iterator[FramePose]:
        """Yield the pose of each BGR frame, in order; a frame with nobody found gives :meth:`FramePose.missing`."""
        if self.workers == 1:
            with self.solution() as pose:
                for frame in frames:
                    yield self._pose_of(pose, frame)
            return
        yield from self._estimate_in_threads(frames)

    def _estimate_in_threads(self, frames: Iterable[Frame]) -> Iterator[FramePose]:
        """Static mode over ``workers`` threads: each frame goes to whichever solution is free; order is kept.

        At most two frames per worker are in flight, so a long video still streams.
        """
        solutions = [self.solution() for _ in range(self.workers)]
        free: queue.SimpleQueue[Any] = queue.SimpleQueue()
        for solution in solutions:
            free.put(solution)

        def work(frame: Frame) -> FramePose:
            pose = free.get()
            try:
                return self._pose_of(pose, frame)
            finally:
                free.put(pose)

        pool = ThreadPoolExecutor(self.workers, thread_name_prefix="glutemed-pose")
        pending: deque[Future[FramePose]] = deque()
        try:
            for frame in frames:
                pending.append(pool.submit(work, frame))
                if len(pending) >= 2 * self.workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for solution in solutions:
                solution.close()

    def _pose_of(self, pose: Any, frame: Frame) -> FramePose:
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        rgb.flags.writeable = False
        if _NATIVE_LOG_PENDING["first_landmarks"]:
            result = self._process_quietly(pose, rgb)
        else:
            result = pose.process(rgb)
        return self._to_frame_pose(result, width_px=frame.shape[1], height_px=frame.shape[0])

    @staticmethod
    def _process_quietly(pose: Any, rgb: Any) -> Any:
        """Process with native logging silenced, until the first person found in this process.

        MediaPipe's landmark projection logs one warning ("Using NORM_RECT without IMAGE_DIMENSIONS ...") the
        first time any pose graph in the process projects landmarks; after that, nothing is logged per frame.
        """
        with native_stderr_silenced():
            result = pose.process(rgb)
        if result.pose_landmarks is not None:
            _NATIVE_LOG_PENDING["first_landmarks"] = False
        return result

    def _to_frame_pose(self, result: Any, *, width_px: int, height_px: int) -> FramePose:
        if result.pose_landmarks is None:
            return FramePose.missing(len(self.names))
        landmarks = result.pose_landmarks.landmark
        raw = np.array([(landmarks[i].x, landmarks[i].y, landmarks[i].visibility) for i in self._index])
        positions = raw[:, :2].astype(np.float64) * np.array([width_px, height_px], dtype=np.float64)
        confidence = np.clip(raw[:, 2], 0.0, 1.0)
        return FramePose(positions, confidence, detected=True)


# -- the people detector -----------------------------------------------------------------------------------

# The BlazePose person detector that legacy Pose runs on its first frame, as a graph of its own. Its settings
# are those of MediaPipe's pose detection subgraph (224x224 letterboxed input scaled to -1..1, 2254 SSD
# anchors over 5 layers, 12 numbers per anchor: a face box and 4 keypoints), except the score threshold, which
# is the caller's. MediaPipe's own subgraph does not expose that threshold, hence the graph spelled out here.
_DETECTION_GRAPH = """
input_stream: "image"
output_stream: "detections"
node {
  calculator: "ImageToTensorCalculator"
  input_stream: "IMAGE:image"
  output_stream: "TENSORS:tensors"
  output_stream: "LETTERBOX_PADDING:padding"
  options { [mediapipe.ImageToTensorCalculatorOptions.ext] {
    output_tensor_width: 224 output_tensor_height: 224 keep_aspect_ratio: true
    output_tensor_float_range { min: -1.0 max: 1.0 } border_mode: BORDER_ZERO } }
}
node {
  calculator: "InferenceCalculator"
  input_stream: "TENSORS:tensors"
  output_stream: "TENSORS:raw"
  options { [mediapipe.InferenceCalculatorOptions.ext] {
    model_path: "mediapipe/modules/pose_detection/pose_detection.tflite" delegate { xnnpack {} } } }
}
node {
  calculator: "SsdAnchorsCalculator"
  output_side_packet: "anchors"
  options { [mediapipe.SsdAnchorsCalculatorOptions.ext] {
    num_layers: 5 min_scale: 0.1484375 max_scale: 0.75 input_size_width: 224 input_size_height: 224
    anchor_offset_x: 0.5 anchor_offset_y: 0.5 strides: [8, 16, 32, 32, 32] aspect_ratios: 1.0
    fixed_anchor_size: true } }
}
node {
  calculator: "TensorsToDetectionsCalculator"
  input_stream: "TENSORS:raw"
  input_side_packet: "ANCHORS:anchors"
  output_stream: "DETECTIONS:all"
  options { [mediapipe.TensorsToDetectionsCalculatorOptions.ext] {
    num_classes: 1 num_boxes: 2254 num_coords: 12 box_coord_offset: 0 keypoint_coord_offset: 4
    num_keypoints: 4 num_values_per_keypoint: 2 sigmoid_score: true score_clipping_thresh: 100.0
    reverse_output_order: true x_scale: 224.0 y_scale: 224.0 w_scale: 224.0 h_scale: 224.0
    min_score_thresh: %(min_score)f } }
}
node {
  calculator: "NonMaxSuppressionCalculator"
  input_stream: "all"
  output_stream: "kept"
  options { [mediapipe.NonMaxSuppressionCalculatorOptions.ext] {
    min_suppression_threshold: 0.3 overlap_type: INTERSECTION_OVER_UNION algorithm: WEIGHTED } }
}
node {
  calculator: "DetectionLetterboxRemovalCalculator"
  input_stream: "DETECTIONS:kept"
  input_stream: "LETTERBOX_PADDING:padding"
  output_stream: "DETECTIONS:detections"
}
"""


class MediaPipePeopleDetector:
    """Every person in a frame, with the BlazePose person detector bundled in the wheel (nothing downloaded).

    That detector was trained to find the one most prominent person: on a frame with two runners it scores
    the second one far below any useful threshold, and when it does find a small second person it misjudges
    their size (both measured on two-runner frames made from the bundled clip). So:

    1. People are found one at a time on the frame shrunk to ``long_side_px`` (the model sees 224x224
       anyway): detect the best-scoring person, blank their body out (:func:`_blank`), detect again, until
       nothing scores ``min_score`` or ``max_people`` are found. When the caller knows whom the pose model
       followed on the frame (``followed``), that person is blanked first, so a clip with one runner costs
       one detection per scanned frame (about 15 ms here) instead of two.
    2. When two or more were found, each is measured again on a square crop of the full-resolution frame around
       them (3 body radii wide, the others blanked), where they are the prominent one; a person the second look
       does not confirm is dropped, and two looks that land on the same person are merged. On the bundled
       clip's two-runner frames this brought a 0.6-scale copy's radius from 260-357 px to 189-216 px (true
       about 200 px) and its mid-hip to within 20 px.
    """

    name = "mediapipe-pose-detection"

    def __init__(self, *, min_score: float = 0.3, max_people: int = 4, long_side_px: int = 640) -> None:
        model = Path(mp.__file__).parent / "modules" / "pose_detection" / "pose_detection.tflite"
        if not model.is_file():
            raise PoseBackendError(
                f"the MediaPipe model {model.name} is missing from {model.parent}; reinstall mediapipe==0.10.21"
            )
        self.min_score = min_score
        self.max_people = max_people
        self.long_side_px = long_side_px
        self.model_id = f"mediapipe-{mp.__version__}-posedet-s{min_score:g}-n{max_people}-px{long_side_px}-r2"
        self._graph: Any = None

    def _solution(self) -> Any:
        if self._graph is None:
            from google.protobuf import text_format
            from mediapipe.framework import calculator_pb2
            from mediapipe.python.solution_base import SolutionBase

            config = text_format.Parse(
                _DETECTION_GRAPH % {"min_score": self.min_score}, calculator_pb2.CalculatorGraphConfig()
            )
            with native_stderr_silenced():
                self._graph = SolutionBase(graph_config=config, outputs=["detections"])
                _wait_until_open(self._graph)
        return self._graph

    def _best(self, rgb: Frame) -> PersonBox | None:
        """The best-scoring person in an RGB image, in its pixels, or None."""
        detections = self._solution().process({"image": rgb}).detections or []
        if not detections:
            return None
        best = max(detections, key=lambda d: d.score[0])
        hip, edge = best.location_data.relative_keypoints[0], best.location_data.relative_keypoints[1]
        h, w = rgb.shape[:2]
        cx, cy = hip.x * w, hip.y * h
        radius = float(np.hypot(edge.x * w - cx, edge.y * h - cy))
        return PersonBox(cx, cy, radius, float(best.score[0])) if radius >= 1.0 else None

    def _shrunk_rgb(self, bgr: Frame) -> tuple[Frame, float]:
        scale = min(1.0, self.long_side_px / max(bgr.shape[:2]))
        small = (
            cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1.0 else bgr
        )
        rgb: Frame = cv2.cvtColor(small, cv2.COLOR_BGR2RGB).astype(np.uint8, copy=False)
        return rgb, scale

    def detect(self, frame: Frame, followed: PersonBox | None = None) -> list[PersonBox]:
        """The people in one BGR frame, in pixels of ``frame``; ``followed`` (known already) is blanked first."""
        rgb, scale = self._shrunk_rgb(frame)
        found: list[PersonBox] = []
        if followed is not None:
            found.append(followed)
            _blank(rgb, followed.scaled(scale))
        while len(found) < self.max_people and (person := self._best(rgb)) is not None:
            found.append(person.scaled(1.0 / scale))
            _blank(rgb, person)
        if len(found) < 2:
            return found
        return _merge([p for i in range(len(found)) if (p := self._second_look(frame, found, i))])

    def _second_look(self, frame: Frame, found: list[PersonBox], index: int) -> PersonBox | None:
        person = found[index]
        half = 1.5 * person.radius_px
        x0, y0 = max(0, int(person.centre_x_px - half)), max(0, int(person.centre_y_px - half))
        x1 = min(frame.shape[1], int(person.centre_x_px + half) + 1)
        y1 = min(frame.shape[0], int(person.centre_y_px + half) + 1)
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None
        window = frame[y0:y1, x0:x1].copy()
        for j, other in enumerate(found):
            if j != index:
                _blank(window, PersonBox(other.centre_x_px - x0, other.centre_y_px - y0, other.radius_px))
        rgb, scale = self._shrunk_rgb(window)
        again = self._best(rgb)
        if again is None:
            return None
        again = again.scaled(1.0 / scale)
        return PersonBox(again.centre_x_px + x0, again.centre_y_px + y0, again.radius_px, again.score)

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None


def _blank(image: Frame, person: PersonBox) -> None:
    """Black out a person's body in place: the body circle's full height and 0.6 of it in width."""
    cx, cy, r = person.centre_x_px, person.centre_y_px, person.radius_px
    x0, x1 = max(0, int(cx - 0.6 * r)), max(0, int(cx + 0.6 * r) + 1)
    y0, y1 = max(0, int(cy - r)), max(0, int(cy + r) + 1)
    image[y0:y1, x0:x1] = 0


def _merge(people: list[PersonBox], same_iou: float = 0.5) -> list[PersonBox]:
    """Drop a person whose box overlaps a better-scoring one's by ``same_iou`` or more (the same body twice)."""
    kept: list[PersonBox] = []
    for person in sorted(people, key=lambda p: -p.score):
        if all(person.iou(k) < same_iou for k in kept):
            kept.append(person)
    return kept
