"""Pictures drawn over the runner's video: an annotated MP4 and two stills for the report.

The keypoints are the engine's filtered series (``recording.engine.series_``), in video pixels with y pointing
down, so they land on the frames as they are. Frames come from :class:`glutemed.pose.video.VideoReader` (same
rotation as during pose estimation); each frame is matched to the series sample nearest in time. OpenCV loads
only when one of these functions runs.

Which stances are shown follows the analyzer's verdicts: for each flagged or borderline fault and leg, the stance
that is worst *in that fault's direction* (too little knee bend: the stance with the least bend) on the leg the
fault was found on, and a typical stance of that leg (closest to the leg's median) for comparison
(:func:`glutemed.core.stance_choice.choose_stances`). With nothing flagged or borderline, the stills show a
typical stance of each leg and the overlay highlights no stance.
"""

from __future__ import annotations

import base64
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from glutemed.core.engine import GaitEngine
from glutemed.core.faults import FaultVerdict, Verdict
from glutemed.core.series import KEYPOINTS
from glutemed.core.stance_choice import Direction, StanceValue, choose_stances
from glutemed.core.stance_curves import ANGLE_OF_METRIC, angle_track
from glutemed.core.stance_metrics import StanceMetrics
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
METRIC_WORDS = {
    "knee_flexion_peak_stance_deg": "peak knee bend",
    "pelvic_drop_peak_deg": "peak pelvic drop",
    "hip_adduction_peak_deg": "peak hip adduction",
    "knee_fppa_peak_deg": "peak knee valgus angle",
    "shank_angle_strike_deg": "shank tilt at foot strike",
    "step_width_cm": "step width",
}
# what "worst" means per direction, in words: (too much, too little)
WORST_WORDS = {
    "knee_flexion_peak_stance_deg": ("most knee bend", "least knee bend"),
    "pelvic_drop_peak_deg": ("most pelvic drop", "least pelvic drop"),
    "hip_adduction_peak_deg": ("most hip adduction", "least hip adduction"),
    "knee_fppa_peak_deg": ("largest knee valgus angle", "smallest knee valgus angle"),
    "shank_angle_strike_deg": ("most forward shank", "least forward shank"),
    "step_width_cm": ("widest step", "narrowest step"),
}
UNIT_WORDS = {"deg": "deg", "centimetres": "cm", "spm": "steps/min"}


class RecordingLike(Protocol):
    """What is read from :class:`glutemed.services.analyze.Recording`."""

    @property
    def engine(self) -> GaitEngine: ...

    @property
    def verdicts(self) -> list[FaultVerdict]: ...


@dataclass(frozen=True)
class StillTarget:
    """A fault (or, with nothing flagged, the view's main metric) whose stances a still should show."""

    fault_id: str | None
    metric: str
    side: str
    direction: Direction
    unit: str
    band: str  # the normal band in words, from the verdict's own thresholds


@dataclass(frozen=True)
class ShownStance:
    """One stance picked for a still or for the overlay's highlight."""

    target: StillTarget
    kind: Literal["worst", "typical"]
    side: str
    strike_time_s: float
    toe_off_time_s: float
    value: float
    step: int  # 1-based among the leg's measured stances
    n_steps: int
    frame_time_s: float  # the instant shown: the angle's peak within the stance, or foot strike

    @property
    def title(self) -> str:
        what = (
            "typical stance"
            if self.kind == "typical"
            else worst_words(self.target.metric, self.target.direction)
        )
        return f"{self.side} leg, step {self.step} of {self.n_steps}: {what}"

    @property
    def value_text(self) -> str:
        unit = UNIT_WORDS.get(self.target.unit, self.target.unit)
        return f"{METRIC_WORDS.get(self.target.metric, self.target.metric)} {self.value:.1f} {unit}"


@dataclass(frozen=True)
class Still:
    """A PNG still of one shown stance, with the angle drawn on it."""

    stance: ShownStance
    angle_text: str  # the angle drawn, measured on this frame ('' when the keypoints were missing)
    uri: str  # data:image/png;base64,...

    @property
    def fault_id(self) -> str | None:
        return self.stance.target.fault_id

    @property
    def metric(self) -> str:
        return self.stance.target.metric

    @property
    def side(self) -> str:
        return self.stance.side

    @property
    def kind(self) -> str:
        return self.stance.kind


def worst_words(metric: str, direction: str) -> str:
    more, less = WORST_WORDS.get(metric, ("largest value", "smallest value"))
    return more if direction == "above" else less


def main_metric(engine: GaitEngine) -> str:
    """The metric shown when nothing is flagged: knee flexion for a side view, pelvic drop otherwise."""
    return "knee_flexion_peak_stance_deg" if engine.view_ is View.SIDE else "pelvic_drop_peak_deg"


def _band_words(verdicts: list[FaultVerdict], metric: str, side: str) -> str:
    same = [v for v in verdicts if v.metric == metric and v.side == side]
    if not same:
        return ""
    first, unit = same[0], UNIT_WORDS.get(same[0].unit, same[0].unit)
    if first.judged_by == "other-side":
        return f"legs within {first.borderline:g} {unit} of each other"
    if first.judged_by == "information":
        return "not judged (information)"
    lows = [v.borderline for v in same if v.direction == "below"]
    highs = [v.borderline for v in same if v.direction == "above"]
    if lows and highs:
        return f"{max(lows):g}-{min(highs):g} {unit}"
    return f"above {max(lows):g} {unit}" if lows else f"below {min(highs):g} {unit}"


def still_targets(recording: RecordingLike) -> list[StillTarget]:
    """Flagged and borderline faults measured per stance, flagged first, then by quality; one per metric and
    leg. With none: the view's main metric on each leg."""
    per_stance = set(StanceMetrics.__dataclass_fields__)
    engine = recording.engine
    judged = [
        v
        for v in recording.verdicts
        if v.verdict in (Verdict.FLAGGED, Verdict.BORDERLINE)
        and v.side in ("left", "right")
        and v.metric in per_stance
    ]
    judged.sort(key=lambda v: (v.verdict is not Verdict.FLAGGED, -v.quality))
    out: dict[tuple[str, str], StillTarget] = {}
    for v in judged:
        direction: Direction = "below" if v.direction == "below" else "above"
        band = _band_words(recording.verdicts, v.metric, v.side)
        out.setdefault((v.metric, v.side), StillTarget(v.fault_id, v.metric, v.side, direction, v.unit, band))
    if out:
        return list(out.values())
    metric = main_metric(engine)
    return [
        StillTarget(None, metric, side, "above", "deg", _band_words(recording.verdicts, metric, side))
        for side in ("left", "right")
    ]


def _frame_time(engine: GaitEngine, metric: str, side: str, strike_s: float, toe_off_s: float) -> float:
    """The instant a stance's value belongs to: the angle's peak for peak metrics, else strike or mid-stance."""
    angle = ANGLE_OF_METRIC.get(metric)
    if metric.endswith("_strike_deg") or metric == "step_width_cm":
        return strike_s
    if angle is None or angle == "shank":
        return 0.5 * (strike_s + toe_off_s)
    track = angle_track(engine.series_, angle, side)
    times = engine.series_.times_s
    inside = (times >= strike_s) & (times <= toe_off_s) & np.isfinite(track)
    if not inside.any():
        return 0.5 * (strike_s + toe_off_s)
    return float(times[inside][int(np.argmax(track[inside]))])


def shown_stances(recording: RecordingLike) -> list[ShownStance]:
    """For each target, the worst stance in its direction and the typical stance (typical only when nothing is
    flagged), on the target's own leg."""
    engine = recording.engine
    stances = engine.stances_.stances
    out = []
    for target in still_targets(recording):
        values = [
            StanceValue(
                i,
                s.side,
                float("nan") if getattr(s, target.metric) is None else float(getattr(s, target.metric)),
            )
            for i, s in enumerate(stances)
        ]
        chosen = choose_stances(values, direction=target.direction, side=target.side)
        if chosen is None:
            continue
        picks: list[tuple[Literal["worst", "typical"], StanceValue, int]] = [
            ("typical", chosen.typical, chosen.typical_step)
        ]
        if target.fault_id is not None:
            picks.insert(0, ("worst", chosen.worst, chosen.worst_step))
        for kind, pick, step in picks:
            st = stances[pick.index]
            out.append(
                ShownStance(
                    target=target,
                    kind=kind,
                    side=st.side,
                    strike_time_s=st.strike_time_s,
                    toe_off_time_s=st.toe_off_time_s,
                    value=pick.value,
                    step=step,
                    n_steps=chosen.n_stances,
                    frame_time_s=_frame_time(
                        engine, target.metric, st.side, st.strike_time_s, st.toe_off_time_s
                    ),
                )
            )
    return out


def highlighted_stance(recording: RecordingLike) -> ShownStance | None:
    """The stance the overlay video marks: the worst stance of the most important flagged/borderline fault."""
    return next((s for s in shown_stances(recording) if s.kind == "worst"), None)


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
    worst: ShownStance | None,
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
        what = worst_words(worst.target.metric, worst.target.direction)
        label = f"{what} ({worst.side} leg): {worst.value_text}"
        _text(cv2, frame, label, (round(10 * scale), height - line), 0.8 * scale, colour=WORST_BGR)


# Container by suffix -> the codec OpenCV's FFmpeg writes into it. Browsers play VP8 in WebM; they do not play
# MPEG-4 Part 2 ('mp4v'), and OpenCV's wheel has no H.264 encoder. VP9 would be smaller but encoded about 6x
# slower here (720x1280 clip, 2-core machine: VP8 13 fps, VP9 2.1 fps, mp4v 257 fps; see docs/web.md).
OVERLAY_CODECS = {".webm": "VP80", ".mp4": "mp4v"}


def write_overlay_video(
    video_path: Path,
    recording: RecordingLike,
    out_path: Path,
    *,
    progress: Progress | None = None,
    max_frames: int | None = None,
) -> Path:
    """Write the annotated video in the format its suffix names (:data:`OVERLAY_CODECS`: ``.webm`` plays in
    browsers, ``.mp4`` in desktop players); it appears all at once (temporary name, then rename) or not at all."""
    import cv2

    from glutemed.pose.video import VideoReader

    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in OVERLAY_CODECS:
        raise ValueError(f"{out_path}: the overlay video is written as {' or '.join(OVERLAY_CODECS)}")
    codec = OVERLAY_CODECS[suffix]
    out_path.parent.mkdir(parents=True, exist_ok=True)
    engine = recording.engine
    points, worst = _Points(engine), highlighted_stance(recording)
    fd, name = tempfile.mkstemp(prefix=f".{out_path.stem}.", suffix=f".part{suffix}", dir=out_path.parent)
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
            fourcc = cv2.VideoWriter.fourcc(*codec)
            writer = cv2.VideoWriter(str(tmp), fourcc, fps, (info.width_px, info.height_px))
            if not writer.isOpened():
                raise OSError(f"{out_path}: OpenCV could not open a {suffix} ({codec!r}) writer")
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


def _angle_at(a: tuple[int, int], b: tuple[int, int], c: tuple[int, int]) -> float:
    """Included angle at ``b`` in degrees, from pixel points."""
    u, v = np.subtract(a, b), np.subtract(c, b)
    cosine = float(np.dot(u, v) / max(np.linalg.norm(u) * np.linalg.norm(v), 1e-9))
    return math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


Points = dict[str, tuple[int, int]]


def _label(cv2: Any, frame: Any, at: tuple[int, int], angle: float, scale: float) -> None:
    _text(cv2, frame, f"{angle:.0f} deg", (at[0] + round(15 * scale), at[1]), scale, colour=PELVIS_BGR)


def _draw_knee(cv2: Any, frame: Any, pts: Points, side: str, scale: float) -> str:
    hip, knee, ankle = (pts.get(f"{side}_{p}") for p in ("hip", "knee", "ankle"))
    if hip is None or knee is None or ankle is None:
        return ""
    cv2.line(frame, hip, knee, WORST_BGR, round(5 * scale), cv2.LINE_AA)
    cv2.line(frame, knee, ankle, WORST_BGR, round(5 * scale), cv2.LINE_AA)
    flexion = 180.0 - _angle_at(hip, knee, ankle)
    _label(cv2, frame, knee, flexion, scale)
    return f"knee bend on this frame {flexion:.0f} deg"


def _draw_shank(cv2: Any, frame: Any, pts: Points, side: str, scale: float) -> str:
    knee, ankle = pts.get(f"{side}_knee"), pts.get(f"{side}_ankle")
    if knee is None or ankle is None:
        return ""
    cv2.line(frame, knee, ankle, WORST_BGR, round(5 * scale), cv2.LINE_AA)
    cv2.line(frame, knee, (knee[0], ankle[1]), TEXT_BGR, 2, cv2.LINE_AA)
    tilt = math.degrees(math.atan2(abs(ankle[0] - knee[0]), max(abs(ankle[1] - knee[1]), 1)))
    _label(cv2, frame, knee, tilt, scale)
    return f"shank tilt from vertical on this frame {tilt:.0f} deg"


def _draw_hip(cv2: Any, frame: Any, pts: Points, side: str, scale: float) -> str:
    other = "right" if side == "left" else "left"
    near, far, knee = pts.get(f"{side}_hip"), pts.get(f"{other}_hip"), pts.get(f"{side}_knee")
    if near is None or far is None or knee is None:
        return ""
    cv2.line(frame, near, far, WORST_BGR, round(5 * scale), cv2.LINE_AA)
    cv2.line(frame, near, knee, WORST_BGR, round(5 * scale), cv2.LINE_AA)
    # reference: perpendicular to the pelvis line, pointing down (image y grows downwards) from the stance hip
    dx, dy = far[0] - near[0], far[1] - near[1]
    length = max(math.hypot(dx, dy), 1.0)
    down = (-dy / length, dx / length) if dx >= 0 else (dy / length, -dx / length)
    reach = math.hypot(knee[0] - near[0], knee[1] - near[1])
    end = (round(near[0] + down[0] * reach), round(near[1] + down[1] * reach))
    cv2.line(frame, near, end, TEXT_BGR, 2, cv2.LINE_AA)
    angle = _angle_at(end, near, knee)
    _label(cv2, frame, knee, angle, scale)
    return f"thigh against the pelvis on this frame {angle:.0f} deg"


def _draw_pelvis(cv2: Any, frame: Any, pts: Points, side: str, scale: float) -> str:
    other = "right" if side == "left" else "left"
    near, far = pts.get(f"{side}_hip"), pts.get(f"{other}_hip")
    if near is None or far is None:
        return ""
    cv2.line(frame, near, far, WORST_BGR, round(5 * scale), cv2.LINE_AA)
    y = round((near[1] + far[1]) / 2)
    left_x, right_x = min(near[0], far[0]), max(near[0], far[0])
    cv2.line(frame, (left_x - 40, y), (right_x + 40, y), TEXT_BGR, 2, cv2.LINE_AA)
    tilt = math.degrees(math.atan2(abs(near[1] - far[1]), max(abs(near[0] - far[0]), 1)))
    _text(cv2, frame, f"{tilt:.1f} deg", (right_x + 50, y), scale, colour=PELVIS_BGR)
    return f"pelvis line against the horizontal on this frame {tilt:.1f} deg"


def _draw_angle(cv2: Any, frame: Any, pts: Points, metric: str, side: str) -> str:
    """Draw the angle of ``metric`` on the still; returns its text ('' when the keypoints are missing)."""
    scale = max(0.5, min(frame.shape[:2]) / 720)
    if metric.startswith("knee_flexion"):
        return _draw_knee(cv2, frame, pts, side, scale)
    if metric.startswith("shank"):
        return _draw_shank(cv2, frame, pts, side, scale)
    if metric.startswith("hip_adduction"):
        return _draw_hip(cv2, frame, pts, side, scale)
    return _draw_pelvis(cv2, frame, pts, side, scale)


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


CROP_MARGIN = 0.15  # of the body's height, around the keypoints
STILL_TEXT_PX = 26  # text height on the cropped still, in pixels per 500 px of width


def _crop_box(pts: Points, height: int, width: int) -> tuple[int, int, int, int]:
    """Around the body: the keypoints' box plus a margin, widened to at least 3:4 so the labels fit."""
    if not pts:
        return 0, 0, width, height
    xs, ys = [p[0] for p in pts.values()], [p[1] for p in pts.values()]
    body = max(max(ys) - min(ys), 1)
    top, bottom = min(ys) - CROP_MARGIN * body - 0.25 * body, max(ys) + CROP_MARGIN * body
    left, right = min(xs) - CROP_MARGIN * body, max(xs) + CROP_MARGIN * body
    need = 0.75 * (bottom - top)
    if right - left < need:
        centre = 0.5 * (left + right)
        left, right = centre - need / 2, centre + need / 2
    x0, y0 = max(0, round(left)), max(0, round(top))
    x1, y1 = min(width, round(right)), min(height, round(bottom))
    return (x0, y0, x1, y1) if x1 - x0 > 20 and y1 - y0 > 20 else (0, 0, width, height)


def _still_lines(stance: ShownStance) -> list[str]:
    what = (
        "typical" if stance.kind == "typical" else worst_words(stance.target.metric, stance.target.direction)
    )
    lines = [f"{stance.side} leg, step {stance.step}/{stance.n_steps}: {what}", stance.value_text]
    if stance.target.band:
        lines.append(f"normal: {stance.target.band}")
    return lines


def stance_stills(video_path: Path, recording: RecordingLike) -> list[Still]:
    """PNG stills of the stances :func:`shown_stances` picks, cropped around the runner, with the angle, the
    stance's value and the normal band drawn; [] if none."""
    import cv2

    shown = shown_stances(recording)
    if not shown:
        return []
    points = _Points(recording.engine)
    frames = _grab_frames(video_path, [s.frame_time_s for s in shown])
    out = []
    for stance, frame in zip(shown, frames, strict=True):
        if frame is None:
            continue
        pts = points.at(stance.frame_time_s)
        _skeleton(cv2, frame, pts, max(0.5, min(frame.shape[:2]) / 720))
        angle = _draw_angle(cv2, frame, pts, stance.target.metric, stance.side)
        x0, y0, x1, y1 = _crop_box(pts, *frame.shape[:2])
        still = np.ascontiguousarray(frame[y0:y1, x0:x1])
        lines = _still_lines(stance)
        scale = (x1 - x0) / 500 * STILL_TEXT_PX / 22  # Hershey simplex is about 22 px tall at scale 1
        widest = max(cv2.getTextSize(t, cv2.FONT_HERSHEY_SIMPLEX, 1.0, 2)[0][0] for t in lines)
        scale = min(scale, 0.92 * (x1 - x0) / widest)  # every line fits the crop's width
        step = round(1.5 * 22 * scale)
        for row, text in enumerate(lines):
            _text(cv2, still, text, (round(8 * scale), step * (row + 1)), scale)
        ok, png = cv2.imencode(".png", still)
        if ok:
            uri = "data:image/png;base64," + base64.b64encode(png.tobytes()).decode("ascii")
            out.append(Still(stance, angle, uri))
    return out
