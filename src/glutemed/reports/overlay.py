"""Pictures drawn over the runner's video: an annotated MP4 and two stills for the report.

The keypoints are the engine's filtered series (``recording.engine.series_``), in video pixels with y pointing
down, so they land on the frames as they are. Frames come from :class:`glutemed.pose.video.VideoReader` (same
rotation as during pose estimation); each frame is matched to the series sample nearest in time. OpenCV loads
only when one of these functions runs.

The "worst" stance is the one with the largest value of the view's main metric (knee flexion peak in stance for
a side view, pelvic drop peak for a rear or front view); the "representative" stance is the one of the same leg
whose value lies closest to that leg's median.
"""

from __future__ import annotations

import base64
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from glutemed.core.engine import GaitEngine
from glutemed.core.series import KEYPOINTS
from glutemed.core.view import View

Progress = Callable[[int, int | None], None]  # (frames done, frames expected or None)

BONES: tuple[tuple[str, str], ...] = (
    ("left_shoulder", "right_shoulder"),
    ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("left_ankle", "left_heel"),
    ("left_heel", "left_toe"),
    ("left_ankle", "left_toe"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("right_ankle", "right_heel"),
    ("right_heel", "right_toe"),
    ("right_ankle", "right_toe"),
)
# BGR colours
LEFT_BGR = (255, 140, 30)  # blue
RIGHT_BGR = (30, 140, 255)  # orange
MID_BGR = (220, 220, 220)
PELVIS_BGR = (0, 230, 255)  # yellow
WORST_BGR = (40, 40, 230)  # red
TEXT_BGR = (255, 255, 255)
METRIC_LABELS = {
    "knee_flexion_peak_stance_deg": "knee flexion peak",
    "pelvic_drop_peak_deg": "pelvic drop peak",
}


class RecordingLike(Protocol):
    """What is read from :class:`glutemed.services.analyze.Recording`."""

    @property
    def engine(self) -> GaitEngine: ...


@dataclass(frozen=True)
class StanceChoice:
    side: str
    strike_time_s: float
    toe_off_time_s: float
    value: float
    metric: str

    @property
    def mid_time_s(self) -> float:
        return 0.5 * (self.strike_time_s + self.toe_off_time_s)


def main_metric(engine: GaitEngine) -> str:
    """The metric the worst stance is chosen by: knee flexion for a side view, pelvic drop otherwise."""
    return "knee_flexion_peak_stance_deg" if engine.view_ is View.SIDE else "pelvic_drop_peak_deg"


def choose_stances(engine: GaitEngine) -> dict[str, StanceChoice]:
    """``worst`` and ``representative`` stances (same leg); empty when the metric was never measured."""
    metric = main_metric(engine)
    choices = [
        StanceChoice(s.side, s.strike_time_s, s.toe_off_time_s, float(getattr(s, metric)), metric)
        for s in engine.stances_.stances
    ]
    measured = [c for c in choices if math.isfinite(c.value)]
    if not measured:
        return {}
    worst = max(measured, key=lambda c: c.value)
    leg = [c for c in measured if c.side == worst.side]
    median = float(np.median([c.value for c in leg]))
    representative = min(leg, key=lambda c: abs(c.value - median))
    return {"representative": representative, "worst": worst}


class _Points:
    """Keypoint lookup by frame time (nearest series sample)."""

    def __init__(self, engine: GaitEngine) -> None:
        series = engine.series_
        self.times_s = np.asarray(series.times_s, dtype=np.float64)
        self.xy = np.asarray(series.positions, dtype=np.float64)[..., :2]
        self.index = {name: series.index(name) for name in KEYPOINTS if name in series.names}

    def at(self, time_s: float) -> dict[str, tuple[int, int]]:
        i = int(np.clip(np.searchsorted(self.times_s, time_s), 0, len(self.times_s) - 1))
        if i > 0 and abs(self.times_s[i - 1] - time_s) <= abs(self.times_s[i] - time_s):
            i -= 1
        out = {}
        for name, k in self.index.items():
            x, y = self.xy[i, k]
            if math.isfinite(x) and math.isfinite(y):
                out[name] = (round(x), round(y))
        return out


def _colour(name: str) -> tuple[int, int, int]:
    return LEFT_BGR if name.startswith("left") else RIGHT_BGR if name.startswith("right") else MID_BGR


def _text(
    cv2: Any, frame: Any, text: str, org: tuple[int, int], scale: float, *, colour: Any = TEXT_BGR
) -> None:
    thick = max(1, round(2 * scale))
    cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 3, cv2.LINE_AA)
    cv2.putText(frame, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thick, cv2.LINE_AA)


def _skeleton(cv2: Any, frame: Any, pts: dict[str, tuple[int, int]], scale: float) -> None:
    width = max(2, round(3 * scale))
    for a, b in BONES:
        if a in pts and b in pts:
            colour = _colour(a) if _colour(a) == _colour(b) else MID_BGR
            cv2.line(frame, pts[a], pts[b], colour, width, cv2.LINE_AA)
    if "left_hip" in pts and "right_hip" in pts:
        cv2.line(frame, pts["left_hip"], pts["right_hip"], PELVIS_BGR, width + 2, cv2.LINE_AA)
    for name, p in pts.items():
        cv2.circle(frame, p, width + 1, _colour(name), -1, cv2.LINE_AA)


def _foot(pts: dict[str, tuple[int, int]], side: str) -> tuple[int, int] | None:
    for part in ("heel", "toe", "ankle"):
        if f"{side}_{part}" in pts:
            return pts[f"{side}_{part}"]
    return None


def _annotate(
    cv2: Any,
    frame: Any,
    time_s: float,
    pts: dict[str, tuple[int, int]],
    engine: GaitEngine,
    *,
    worst: StanceChoice | None,
) -> None:
    height, width = frame.shape[:2]
    scale = max(0.5, min(width, height) / 720)
    _skeleton(cv2, frame, pts, scale)
    line = round(40 * scale)
    running = [s for s in engine.events_.stances if s.strike_time_s <= time_s <= s.toe_off_time_s]
    for row, stance in enumerate(running):
        colour = _colour(stance.side)
        label = f"{stance.side[0].upper()} stance"
        _text(cv2, frame, label, (round(10 * scale), line * (row + 1)), scale, colour=colour)
        foot = _foot(pts, stance.side)
        if foot is not None:
            cv2.circle(frame, foot, round(12 * scale), colour, -1, cv2.LINE_AA)
    if worst is not None and worst.strike_time_s <= time_s <= worst.toe_off_time_s:
        border = max(6, round(12 * scale))
        cv2.rectangle(frame, (0, 0), (width - 1, height - 1), WORST_BGR, border)
        label = f"worst stance ({worst.side}): {METRIC_LABELS[worst.metric]} {worst.value:.1f} deg"
        _text(cv2, frame, label, (round(10 * scale), height - line), 0.8 * scale, colour=WORST_BGR)


def write_overlay_video(
    video_path: Path,
    recording: RecordingLike,
    out_path: Path,
    *,
    progress: Progress | None = None,
    max_frames: int | None = None,
) -> Path:
    """Write the annotated MP4 ('mp4v'); it appears all at once (temporary name, then rename) or not at all."""
    import cv2

    from glutemed.pose.video import VideoReader

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    engine = recording.engine
    points, worst = _Points(engine), choose_stances(engine).get("worst")
    fd, name = tempfile.mkstemp(prefix=f".{out_path.stem}.", suffix=".part.mp4", dir=out_path.parent)
    os.close(fd)
    tmp = Path(name)
    writer: Any = None
    try:
        with VideoReader(video_path) as video:
            info = video.info
            total = info.frame_count or None
            if max_frames is not None:
                total = min(total, max_frames) if total else max_frames
            # the engine's series is on an even grid at the median frame rate (glutemed.core.timing); the
            # overlay is written at that rate, a frame repeated where variable-rate video skipped time
            fps = float(engine.series_.fps_hz)
            fourcc = cv2.VideoWriter.fourcc(*"mp4v")
            writer = cv2.VideoWriter(str(tmp), fourcc, fps, (info.width_px, info.height_px))
            if not writer.isOpened():
                raise OSError(f"{out_path}: OpenCV could not open an MP4 ('mp4v') writer")
            first_s, written, previous = float("nan"), 0, None
            for done, (time_s, frame) in enumerate(video.frames(), start=1):
                if max_frames is not None and done > max_frames:
                    break
                first_s = time_s if done == 1 else first_s
                slot = round((time_s - first_s) * fps)
                while previous is not None and written < slot:
                    writer.write(previous)
                    written += 1
                _annotate(cv2, frame, time_s, points.at(time_s), engine, worst=worst)
                writer.write(frame)
                written, previous = written + 1, frame
                if progress is not None:
                    progress(done, total)
        writer.release()
        writer = None
        tmp.chmod(0o644)
        tmp.replace(out_path)
    except BaseException:
        if writer is not None:
            writer.release()
        tmp.unlink(missing_ok=True)
        raise
    return out_path


def _draw_angle(cv2: Any, frame: Any, pts: dict[str, tuple[int, int]], view: View, side: str) -> str:
    """Draw the measured angle on the still; returns its text ('' when the keypoints are missing)."""
    height, width = frame.shape[:2]
    scale = max(0.5, min(width, height) / 720)
    if view is View.SIDE:
        hip, knee, ankle = (pts.get(f"{side}_{p}") for p in ("hip", "knee", "ankle"))
        if hip is None or knee is None or ankle is None:
            return ""
        cv2.line(frame, hip, knee, WORST_BGR, round(5 * scale), cv2.LINE_AA)
        cv2.line(frame, knee, ankle, WORST_BGR, round(5 * scale), cv2.LINE_AA)
        u, v = np.subtract(hip, knee), np.subtract(ankle, knee)
        cosine = float(np.dot(u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9))
        flexion = 180.0 - math.degrees(math.acos(max(-1.0, min(1.0, cosine))))
        text = f"knee flexion {flexion:.0f} deg"
        _text(
            cv2, frame, f"{flexion:.0f} deg", (knee[0] + round(15 * scale), knee[1]), scale, colour=PELVIS_BGR
        )
        return text
    left, right = pts.get("left_hip"), pts.get("right_hip")
    if left is None or right is None:
        return ""
    cv2.line(frame, left, right, WORST_BGR, round(5 * scale), cv2.LINE_AA)
    y = round((left[1] + right[1]) / 2)
    cv2.line(
        frame, (min(left[0], right[0]) - 40, y), (max(left[0], right[0]) + 40, y), TEXT_BGR, 2, cv2.LINE_AA
    )
    tilt = math.degrees(math.atan2(abs(left[1] - right[1]), max(abs(left[0] - right[0]), 1)))
    _text(cv2, frame, f"{tilt:.1f} deg", (max(left[0], right[0]) + 50, y), scale, colour=PELVIS_BGR)
    return f"pelvis line vs horizontal {tilt:.1f} deg"


def _grab_frames(video_path: Path, times_s: list[float]) -> list[Any]:
    """The frames nearest to each time, in one pass that stops once every time has been passed."""
    from glutemed.pose.video import VideoReader

    best: list[tuple[float, Any]] = [(math.inf, None)] * len(times_s)
    with VideoReader(video_path) as video:
        for time_s, frame in video.frames():
            for i, wanted in enumerate(times_s):
                if abs(time_s - wanted) < best[i][0]:
                    best[i] = (abs(time_s - wanted), frame)
            if time_s > max(times_s) + 1.0:
                break
    return [frame for _, frame in best]


def stance_stills(video_path: Path, recording: RecordingLike) -> dict[str, str]:
    """PNG data URIs of the ``representative`` and ``worst`` stance at mid-stance, angle drawn; {} if none."""
    import cv2

    engine = recording.engine
    chosen = choose_stances(engine)
    if not chosen:
        return {}
    points = _Points(engine)
    keys = list(chosen)
    frames = _grab_frames(video_path, [chosen[k].mid_time_s for k in keys])
    out = {}
    for key, frame in zip(keys, frames, strict=True):
        if frame is None:
            continue
        stance = chosen[key]
        pts = points.at(stance.mid_time_s)
        _skeleton(cv2, frame, pts, max(0.5, min(frame.shape[:2]) / 720))
        angle = _draw_angle(cv2, frame, pts, engine.view_, stance.side)
        scale = max(0.5, min(frame.shape[:2]) / 720)
        lines = [
            f"{key} stance, {stance.side} leg, t = {stance.mid_time_s:.2f} s",
            f"{METRIC_LABELS[stance.metric]} {stance.value:.1f} deg",
            angle,
        ]
        for row, text in enumerate(t for t in lines if t):
            _text(cv2, frame, text, (round(10 * scale), round(40 * scale) * (row + 1)), 0.8 * scale)
        ok, png = cv2.imencode(".png", frame)
        if ok:
            out[key] = "data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii")
    return out
