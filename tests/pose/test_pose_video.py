"""Opening videos: real timestamps, rotation metadata, frame-rate warning, and clear refusals of bad files."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np
import pytest

from glutemed.io import InputFileError
from glutemed.pose import is_video
from glutemed.pose.video import VideoReader, fps_warning


def read_all(path: Path) -> tuple[VideoReader, list[float], list[tuple[int, ...]]]:
    """Read every frame, keeping only timestamps and frame shapes (not a gigabyte of pixels)."""
    times, shapes = [], []
    with VideoReader(path) as video:
        for time_s, frame in video.frames():
            times.append(time_s)
            shapes.append(frame.shape)
    return video, times, shapes


def test_real_clip_gives_every_frame_with_its_timestamp(clip: Path) -> None:
    video, times, shapes = read_all(clip)
    assert video.info.fps_nominal_hz == pytest.approx(30.0)
    assert video.info.frame_count == 360
    assert (video.info.width_px, video.info.height_px) == (720, 1280)  # portrait
    assert video.info.rotation_deg == 0
    assert len(shapes) == video.n_frames_read == 360
    assert set(shapes) == {(1280, 720, 3)}
    assert np.all(np.diff(times) > 0)
    assert times[0] == pytest.approx(0.0)
    assert times[-1] == pytest.approx(359 / 30, abs=1e-3)
    assert video.times_repaired == 0


def rotated_copy(source: Path, target: Path) -> Path:
    """The clip with its track header's display matrix set to a 90 degree rotation, as phones write it."""
    data = bytearray(source.read_bytes())
    at = -1
    while (at := data.find(b"tkhd", at + 1)) >= 0:
        version = data[at + 4]
        matrix = at + 8 + (20 if version == 0 else 32) + 16
        if struct.unpack(">I", data[matrix + 36 : matrix + 40])[0]:  # the video track has a width
            data[matrix : matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    target.write_bytes(bytes(data))
    return target


def test_rotation_metadata_is_honoured(clip: Path, tmp_path: Path) -> None:
    rotated = rotated_copy(clip, tmp_path / "rotated.mp4")
    with VideoReader(rotated) as video:
        _, frame = next(iter(video.frames()))
    assert video.info.rotation_deg == 90
    assert (video.info.width_px, video.info.height_px) == (1280, 720)
    assert frame.shape == (720, 1280, 3)
    upright = cv2.VideoCapture(str(clip))
    ok, original = upright.read()
    upright.release()
    assert ok
    assert np.array_equal(frame, cv2.rotate(original, cv2.ROTATE_90_CLOCKWISE))


def test_low_frame_rate_is_reported(tmp_path: Path, make_video, blank_video: Path) -> None:
    assert fps_warning(30.0) is None
    warning = fps_warning(15.0)
    assert warning is not None
    assert "below 25 fps" in warning
    low = make_video(tmp_path / "low.avi", [np.zeros((64, 64, 3), np.uint8)] * 10, 15.0)
    video, times, _ = read_all(low)
    assert video.info.fps_nominal_hz == pytest.approx(15.0)
    assert np.diff(times) == pytest.approx(1 / 15)


def test_video_types() -> None:
    assert is_video("a/run.MP4")
    assert is_video("run.mov")
    assert is_video("run.mkv")
    assert is_video("run.avi")
    assert not is_video("run.json")


def test_missing_and_empty_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        VideoReader(tmp_path / "nothing.mp4")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match=r"empty\.mp4: is empty"):
        VideoReader(empty)


def test_text_file_named_mp4_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mp4"
    fake.write_text("this is not a video\n" * 50, encoding="utf-8")
    with pytest.raises(InputFileError, match=r"notes\.mp4: cannot be opened as a video"):
        VideoReader(fake)


def test_unsupported_type_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "run.gif"
    other.write_bytes(b"GIF89a")
    with pytest.raises(InputFileError, match="not a supported video type"):
        VideoReader(other)


def test_mp4_cut_in_half_is_refused(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputFileError, match=r"cut\.mp4: cannot be opened as a video"):
        VideoReader(cut)


def test_avi_cut_in_half_is_refused_as_truncated(tmp_path: Path, make_video) -> None:
    frames = [np.full((120, 160, 3), (i * 4) % 255, np.uint8) for i in range(60)]
    whole = make_video(tmp_path / "whole.avi", frames, 30.0)
    data = whole.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])
    with VideoReader(cut) as video, pytest.raises(InputFileError, match=r"cut\.avi: truncated"):
        list(video.frames())


def test_stopping_early_leaves_no_error(clip: Path) -> None:
    with VideoReader(clip) as video:
        for index, _ in enumerate(video.frames()):
            if index == 4:
                break
    assert video.n_frames_read == 5
