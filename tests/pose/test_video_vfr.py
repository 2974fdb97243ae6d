"""Variable frame rate: real timestamps from the reader to the gait result, and the other containers.

The videos in tests/data/video/vfr are the bundled treadmill clip with frames dropped irregularly (MP4 and
Matroska) and with a rate change from 60- to 30-fps timing mid-clip (MP4); every frame keeps its original time
(see that folder's ORIGIN.md; ``*.pts.json`` lists the times written). The runner's cadence is 168.9 steps/min.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from glutemed.config import load_config
from glutemed.core.engine import GaitEngine
from glutemed.core.series import KeypointSeries
from glutemed.io import InputFileError, read_keypoints
from glutemed.knowledge.loader import knowledge_base
from glutemed.pose.video import VideoReader, timing_note
from glutemed.services.analyze import Recording, analyze_path
from glutemed.services.video import video_to_keypoints

DATA = Path(__file__).resolve().parents[1] / "data" / "video"
VFR = DATA / "vfr"
DROP_MP4, DROP_MKV, RATE_CHANGE_MP4 = (
    VFR / "male_side_vfr_drop.mp4",
    VFR / "male_side_vfr_drop.mkv",
    VFR / "male_side_vfr_60to30.mp4",
)
CLIP_POSE = DATA / "male_side_treadmill" / "male_side.pose.json"  # RTMPose keypoints of the 30 fps source
GROUND_TRUTH_CADENCE_SPM = 168.9  # male_side.groundtruth.json: measured from raw pixels by the data's authors


def schedule(video: Path) -> tuple[list[int], np.ndarray]:
    """Source frame index and presentation time (s) of every frame written into ``video``."""
    name = video.stem + ".pts.json"
    record = json.loads((VFR / name).read_text(encoding="utf-8"))
    return record["source_frames"], np.asarray(record["pts_s"], dtype=np.float64)


def read_times(video: Path) -> tuple[VideoReader, np.ndarray]:
    with VideoReader(video) as reader:
        times = np.array([time_s for time_s, _ in reader.frames()])
    return reader, times


def retimed(series: KeypointSeries, video: Path) -> KeypointSeries:
    """The source clip's keypoints picked and stamped as the frames of ``video`` were."""
    frames, times = schedule(video)
    return replace(
        series, times_s=times, positions=series.positions[frames], confidence=series.confidence[frames]
    )


# ------------------------------------------------------------------------------------------- the reader


@pytest.mark.parametrize(
    ("video", "intervals_frames"),
    [(DROP_MP4, {2, 4, 6}), (DROP_MKV, {2, 4, 6}), (RATE_CHANGE_MP4, {1, 2})],
    ids=["drop-mp4", "drop-mkv", "60to30-mp4"],
)
def test_reader_yields_the_presentation_times_written(video: Path, intervals_frames: set[int]) -> None:
    _, written = schedule(video)
    reader, times = read_times(video)
    assert reader.n_frames_read == times.size == written.size
    assert reader.times_repaired == 0
    assert np.max(np.abs(times - written)) <= 0.001  # Matroska rounds to whole milliseconds
    assert set(np.round(np.diff(times) * 60).astype(int)) == intervals_frames  # in 1/60 s: really uneven


def test_vfr_mp4_states_its_mean_rate_and_exact_frame_count() -> None:
    with VideoReader(DROP_MP4) as reader:
        info = reader.info
    assert info.frame_count == 218
    assert info.fps_nominal_hz == pytest.approx(218 / (357 / 30 + 1 / 30), rel=1e-3)  # the mean, not 30
    assert info.duration_s == pytest.approx(357 / 30 + 1 / 30, abs=0.002)
    assert (info.width_px, info.height_px) == (360, 640)


def test_vfr_mkv_without_frame_duration_is_read_whole_not_refused_as_truncated() -> None:
    # FFmpeg reports the Matroska 1 ms time base as a 1000 fps rate and OpenCV promises duration x 1000 frames
    capture = cv2.VideoCapture(str(DROP_MKV), cv2.CAP_FFMPEG)
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(1000.0)
    assert capture.get(cv2.CAP_PROP_FRAME_COUNT) > 10_000
    capture.release()
    reader, times = read_times(DROP_MKV)
    assert (reader.info.fps_nominal_hz, reader.info.frame_count) == (0.0, 0)  # unknown, not 1000
    assert reader.info.duration_s == pytest.approx(11.933, abs=0.002)
    assert times.size == 218


def test_vfr_mkv_cut_short_is_refused_by_its_duration(tmp_path: Path) -> None:
    data = DROP_MKV.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    with VideoReader(cut) as reader, pytest.raises(InputFileError, match=r"cut\.mkv: truncated.*11\.93 s"):
        list(reader.frames())


def test_timing_note_describes_uneven_intervals_only() -> None:
    note = timing_note(schedule(DROP_MP4)[1])
    assert note is not None
    assert note.startswith("variable frame rate: 102 of 217 frame intervals")
    assert "median rate 30.0 fps, mean 18.2 fps" in note
    rate_change = timing_note(schedule(RATE_CHANGE_MP4)[1])
    assert rate_change is not None
    assert "median rate 60.0 fps" in rate_change
    assert timing_note(np.arange(360) / 30) is None
    assert timing_note(np.round(np.arange(360) / 30, 3)) is None  # Matroska's millisecond rounding is even
    one_drop = np.delete(np.arange(1800) / 30, 900)  # one dropped frame in a minute
    assert timing_note(one_drop) is None


# --------------------------------------------------------------------------------- other containers


@pytest.mark.parametrize(("suffix", "fourcc"), [(".mkv", "mp4v"), (".mov", "mp4v"), (".avi", "MJPG")])
def test_each_container_gives_the_frames_and_their_times(
    tmp_path: Path, real_frames, suffix: str, fourcc: str
) -> None:
    frames = [cv2.resize(f, (360, 640), interpolation=cv2.INTER_AREA) for f in real_frames(8, step=3)]
    path = tmp_path / f"clip{suffix}"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), 10.0, (360, 640))
    assert writer.isOpened()
    for frame in frames:
        writer.write(frame)
    writer.release()
    with VideoReader(path) as reader:
        decoded = list(reader.frames())
    assert reader.info.fps_nominal_hz == pytest.approx(10.0)
    assert reader.info.frame_count == 8
    assert np.array([t for t, _ in decoded]) == pytest.approx(np.arange(8) / 10.0, abs=0.001)
    for (_, got), want in zip(decoded, frames, strict=True):
        assert got.shape == want.shape
        assert np.mean(np.abs(got.astype(float) - want)) < 6.0  # lossy, but the same picture


# ------------------------------------------------------------------------------ keypoints and analysis


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Recording, KeypointSeries]:
    """The dropped-frames MP4 analysed once (MediaPipe, ~6 s), and its keypoints read back from the cache."""
    cache = tmp_path_factory.mktemp("keypoints")
    recording = analyze_path(DROP_MP4, kb=knowledge_base(), config=load_config(), cache_dir=cache)[0]
    series = video_to_keypoints(DROP_MP4, cache_dir=cache)
    assert series.meta["cache"].startswith("hit")
    return recording, series


@pytest.mark.slow
def test_keypoints_carry_the_real_times(analysed: tuple[Recording, KeypointSeries]) -> None:
    _, series = analysed
    _, written = schedule(DROP_MP4)
    assert series.n_frames == 218
    assert np.max(np.abs(series.times_s - written)) <= 0.001
    assert series.meta["fps_measured_hz"] == "30.000"  # the median interval
    assert float(series.meta["fps_nominal_hz"]) == pytest.approx(18.27, abs=0.01)  # the container's mean
    assert series.meta["timestamps_repaired"] == "0"
    assert float(series.meta["detected_fraction"]) == 1.0
    # the uneven timing is a note the report and the CLI show, with the interval counts of the clip
    assert "variable frame rate:" in series.meta["quality_notes"]
    assert "of 217 frame intervals" in series.meta["quality_notes"]


@pytest.mark.slow
def test_result_reports_the_median_real_rate(analysed: tuple[Recording, KeypointSeries]) -> None:
    recording, series = analysed
    assert recording.engine.series_.fps_hz == pytest.approx(30.0, abs=0.01)
    assert recording.engine.quality_.fps_hz == pytest.approx(30.0, abs=0.01)
    # the mean rate (18.3 fps) is below the 25 fps floor; the median is not, so nothing is refused for it
    assert "below 25 fps" not in series.meta["warnings"]
    assert not [v for v in recording.verdicts if "frame rate" in v.reason]


@pytest.mark.slow
def test_analyze_gives_ground_truth_cadence(analysed: tuple[Recording, KeypointSeries]) -> None:
    """The engine puts the 218 uneven frames on an even 30 fps grid (without it: 173.2 steps/min, 15/16)."""
    recording, series = analysed
    assert recording.engine.view_.value == "side"
    assert recording.engine.resampled_from_frames_ == series.n_frames == 218
    assert abs(recording.engine.summary_.cadence_spm - GROUND_TRUTH_CADENCE_SPM) <= 1.0
    # MediaPipe's tracking mode found all 16/16 stances here; static mode (the default since the far leg's knee
    # came out right) reports the far leg's hidden points with low confidence, and where those gaps meet the
    # dropped frames a stance is lost: 15/13 were found. Enough for a verdict (7 per leg) either way.
    assert recording.engine.summary_.n_stances["left"] >= 15
    assert recording.engine.summary_.n_stances["right"] >= 13


@pytest.mark.parametrize("video", [DROP_MP4, RATE_CHANGE_MP4], ids=["drop", "60to30"])
def test_engine_finds_every_stance_of_retimed_keypoints(video: Path) -> None:
    """The source clip's RTMPose keypoints picked and stamped as the frames of each VFR file: every stance of
    the 30 fps clip is found (before the engine's even grid: 15/16 and 11/12, and 173.4 steps/min for 60to30)."""
    source = read_keypoints(CLIP_POSE)
    uniform = GaitEngine().analyze(source).summary_
    engine = GaitEngine().analyze(retimed(source, video))
    assert engine.resampled_from_frames_ is not None
    assert engine.summary_.n_stances == uniform.n_stances == {"left": 16, "right": 16}
    assert abs(engine.summary_.cadence_spm - GROUND_TRUTH_CADENCE_SPM) <= 1.0


@pytest.mark.slow
def test_overlay_plays_at_real_speed(analysed: tuple[Recording, KeypointSeries], tmp_path: Path) -> None:
    """218 frames over 11.9 s: the overlay repeats frames where time was skipped, 358 frames at 30 fps."""
    from glutemed.reports.overlay import write_overlay_video

    recording, _ = analysed
    out = write_overlay_video(DROP_MP4, recording, tmp_path / "overlay.mp4")
    cap = cv2.VideoCapture(str(out))
    n_frames, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), cap.get(cv2.CAP_PROP_FPS)
    cap.release()
    assert fps == pytest.approx(30.0, abs=0.01)
    assert n_frames == 358  # 357 source periods + 1: the clip's real 11.9 s
