"""`video_to_keypoints`: the whole clip gives the known cadence, the cache skips pose estimation, bad input fails."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest

from glutemed.core.engine import GaitEngine
from glutemed.core.series import KEYPOINTS, KeypointSeries
from glutemed.pose.base import Frame, FramePose
from glutemed.pose.mediapipe_backend import MediaPipePose
from glutemed.pose.tracking import NoPersonError
from glutemed.services.video import cache_path, file_sha256, video_to_keypoints

GROUND_TRUTH_CADENCE_SPM = 168.9  # male_side.groundtruth.json: measured from raw pixels by the data's authors


class CountingEstimator:
    """Wraps a backend and counts the frames it was asked to estimate."""

    def __init__(self, inner: object | None = None, model_id: str = "fake-1") -> None:
        self.inner = inner
        self.name = "counting"
        self.model_id = getattr(inner, "model_id", model_id)
        self.names = KEYPOINTS
        self.frames_seen = 0

    def _count(self, frames: Iterable[Frame]) -> Iterator[Frame]:
        for frame in frames:
            self.frames_seen += 1
            yield frame

    def estimate(self, frames: Iterable[Frame]) -> Iterator[FramePose]:
        if self.inner is not None:
            yield from self.inner.estimate(self._count(frames))  # type: ignore[attr-defined]
            return
        for i, frame in enumerate(self._count(frames)):
            positions = np.tile([[frame.shape[1] / 2 + i, frame.shape[0] / 2]], (len(KEYPOINTS), 1))
            positions[:, 1] += np.arange(len(KEYPOINTS)) * 5.0
            yield FramePose(positions.astype(float), np.full(len(KEYPOINTS), 0.8), detected=True)


def test_cache_is_written_then_hit(blank_video: Path, tmp_path: Path) -> None:
    cache = tmp_path / "out"
    first = CountingEstimator()
    calls: list[tuple[int, int]] = []
    series = video_to_keypoints(
        blank_video, cache_dir=cache, estimator=first, progress=lambda *a: calls.append(a)
    )
    assert first.frames_seen == 20
    assert calls[-1] == (20, 20)
    assert len(calls) == 20
    assert series.names == KEYPOINTS
    assert series.meta["cache"].startswith("written")
    expected = cache_path(blank_video, file_sha256(blank_video), "fake-1", cache)
    assert expected.is_file()
    second = CountingEstimator()
    again = video_to_keypoints(blank_video, cache_dir=cache, estimator=second)
    assert second.frames_seen == 0
    assert again.meta["cache"].startswith("hit")
    assert np.array_equal(again.positions, series.positions)
    assert np.array_equal(again.times_s, series.times_s)
    other_model = CountingEstimator(model_id="fake-2")
    video_to_keypoints(blank_video, cache_dir=cache, estimator=other_model)
    assert other_model.frames_seen == 20  # keyed by model id: another model recomputes


def test_changed_video_or_damaged_cache_is_recomputed(blank_video: Path, tmp_path: Path, make_video) -> None:
    cache = tmp_path / "out"
    video_to_keypoints(blank_video, cache_dir=cache, estimator=CountingEstimator())
    stale = cache_path(blank_video, file_sha256(blank_video), "fake-1", cache)
    stale.write_text("{not json", encoding="utf-8")
    redo = CountingEstimator()
    video_to_keypoints(blank_video, cache_dir=cache, estimator=redo)
    assert redo.frames_seen == 20
    make_video(blank_video, [np.zeros((240, 320, 3), np.uint8)] * 12, 30.0)  # same name, new content
    changed = CountingEstimator()
    assert video_to_keypoints(blank_video, cache_dir=cache, estimator=changed).n_frames == 12
    assert changed.frames_seen == 12


def test_unwritable_cache_is_not_fatal(blank_video: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    series = video_to_keypoints(blank_video, cache_dir=blocker / "sub", estimator=CountingEstimator())
    assert series.meta["cache"].startswith("not written")


def test_blank_video_has_no_person(blank_video: Path, tmp_path: Path) -> None:
    with pytest.raises(NoPersonError, match=r"blank\.mp4: no person found in any of its 20 frames"):
        video_to_keypoints(blank_video, cache_dir=tmp_path, estimator=MediaPipePose())
    assert not list(tmp_path.glob("*.keypoints.json"))


def test_low_frame_rate_video_is_warned_about(tmp_path: Path, make_video, real_frames) -> None:
    low = make_video(tmp_path / "low.mp4", real_frames(24, step=2), 15.0)
    series = video_to_keypoints(low, use_cache=False)
    assert series.fps_hz == pytest.approx(15.0)
    assert "below 25 fps" in series.meta["warnings"]
    assert series.meta["fps_measured_hz"] == "15.000"
    assert float(series.meta["detected_fraction"]) == 1.0


@pytest.mark.slow
def test_whole_clip_gives_ground_truth_cadence_and_then_hits_the_cache(
    clip: Path, clip_cache: Path, default_clip_series: KeypointSeries
) -> None:
    # video_to_keypoints(clip, cache_dir=clip_cache) with every default, shared with test_pose_modes
    series = default_clip_series
    assert series.meta["cache"].startswith("written")
    assert series.n_frames == 360
    assert series.units == "pixel"
    assert series.meta["detected_fraction"] == "1.0000"
    assert series.meta["jump_frames"] == ""
    assert series.meta["warnings"] == ""
    engine = GaitEngine().analyze(series)
    assert engine.view_.value == "side"
    assert abs(engine.summary_.cadence_spm - GROUND_TRUTH_CADENCE_SPM) <= 0.5
    spy = CountingEstimator(MediaPipePose())  # counts frames: a cache hit runs no pose estimation at all
    again = video_to_keypoints(clip, cache_dir=clip_cache, estimator=spy)
    assert spy.frames_seen == 0
    assert again.meta["cache"].startswith("hit")
    assert np.allclose(again.positions, series.positions, equal_nan=True)


def test_default_cache_is_the_user_cache_not_the_video_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    where = cache_path(Path("/videos/run.mp4"), "ab" * 32, "model-1")
    assert where.parent == tmp_path / "xdg" / "glutemed" / "keypoints"
    assert where.name.startswith("run.abababababababab.model-1")
