"""The people scan: several people in view, the pose follows the runner (largest, steadiest) and says so.

The two-person clips are made from the bundled real clip (male_side.mp4, MIT) at half size (360x640, to keep
the tests fast): each frame is put on a wider grey canvas together with a copy shrunk to 0.6, standing on the
same floor line to its left. The geometry of
that copy is known exactly, so where the second person is and how big they are is analytic. Unit tests of
linking, scoring and cropping use hand-made boxes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from glutemed.core.series import KEYPOINTS, KeypointSeries
from glutemed.pose.base import Frame, FramePose
from glutemed.pose.mediapipe_backend import MediaPipePeopleDetector
from glutemed.pose.people import (
    DEFAULT_SCAN,
    POSE_RADIUS_FACTOR,
    CropPlan,
    PersonBox,
    PersonTrack,
    ScanSettings,
    box_from_pose,
    choose_runner,
    decide,
    link_tracks,
    people_tracks,
    plan_crop,
    sample_indices,
    uncrop,
)
from glutemed.services.video import video_to_keypoints

SMALL = 0.6  # the second person's scale
BIG_FROM = 12  # the runner (full size) enters at this frame; the small person is there from frame 0
N_FRAMES = 60
W, H = 360, 640  # the real clip's frame at half size
SMALL_W = int(W * SMALL)
CANVAS_W = SMALL_W + W


@dataclass(frozen=True)
class Region:
    x0: float
    x1: float

    def holds(self, x: float) -> bool:
        return self.x0 <= x < self.x1


SMALL_REGION = Region(0, SMALL_W)  # the small copy on the left
BIG_REGION = Region(SMALL_W, CANVAS_W)  # the full-size runner on the right


def two_people(frame: np.ndarray, index: int) -> np.ndarray:
    canvas = np.full((H, CANVAS_W, 3), 90, np.uint8)
    small = cv2.resize(frame, (SMALL_W, int(H * SMALL)), interpolation=cv2.INTER_AREA)
    canvas[H - small.shape[0] :, :SMALL_W] = small
    if index >= BIG_FROM:
        canvas[:, SMALL_W:] = frame
    return canvas


@pytest.fixture(scope="module")
def clip_60(real_frames) -> list[np.ndarray]:
    return [cv2.resize(f, (W, H), interpolation=cv2.INTER_AREA) for f in real_frames(N_FRAMES)]


@pytest.fixture(scope="module")
def two_person_video(tmp_path_factory: pytest.TempPathFactory, make_video, clip_60) -> Path:
    """The small person alone for BIG_FROM frames, then the runner beside them: MediaPipe alone locks on the
    small one, so following the runner needs the scan and the crop."""
    frames = [two_people(f, i) for i, f in enumerate(clip_60)]
    return make_video(tmp_path_factory.mktemp("people") / "two.mp4", frames, 30.0)


def mid_hip_x(series: KeypointSeries) -> np.ndarray:
    hips = [series.names.index("left_hip"), series.names.index("right_hip")]
    return np.asarray(series.positions[:, hips, 0].mean(axis=1))


# -- the detector on real frames -----------------------------------------------------------------------


def test_detector_finds_both_people_with_the_known_geometry(clip_60) -> None:
    detector = MediaPipePeopleDetector()
    try:
        alone = detector.detect(clip_60[30])
        both = detector.detect(two_people(clip_60[30], 30))
    finally:
        detector.close()
    assert len(alone) == 1
    assert len(both) == 2
    big = max(both, key=lambda p: p.radius_px)
    small = min(both, key=lambda p: p.radius_px)
    # The runner is the original frame shifted right by SMALL_W: the same body as on the one-person frame.
    assert big.centre_x_px == pytest.approx(alone[0].centre_x_px + SMALL_W, abs=0.15 * alone[0].radius_px)
    # The copy is the original scaled by 0.6 about the canvas's bottom-left corner.
    expect_x = SMALL * alone[0].centre_x_px
    expect_y = H - SMALL * (H - alone[0].centre_y_px)
    assert small.radius_px == pytest.approx(SMALL * alone[0].radius_px, rel=0.2)
    assert np.hypot(small.centre_x_px - expect_x, small.centre_y_px - expect_y) < 0.2 * small.radius_px


# -- the whole use case ----------------------------------------------------------------------------------


def test_two_people_the_crop_follows_the_runner_not_whom_mediapipe_picks(two_person_video: Path) -> None:
    # Tracking mode shows the problem best: MediaPipe keeps the person it found first.
    plain = video_to_keypoints(two_person_video, use_cache=False, scan_people=False, pose_mode="tracking")
    followed = video_to_keypoints(two_person_video, use_cache=False, pose_mode="tracking")

    # Without the scan MediaPipe locks on the small person it saw first and stays there.
    x_plain = mid_hip_x(plain)
    seen = np.isfinite(x_plain)
    assert np.mean([SMALL_REGION.holds(x) for x in x_plain[seen]]) >= 0.9
    assert plain.meta["people_scan"] == "off"

    meta = followed.meta
    assert meta["people_seen"] == "2"
    assert meta["people_crop"].startswith("fixed window")  # both stand still on their treadmill
    x0, _, x1, _ = (int(v) for v in meta["people_followed_box_px"].split(","))
    assert BIG_REGION.holds((x0 + x1) / 2)
    assert meta["people_full_frame_on_runner"].startswith("0 of")  # the scan saw MediaPipe on the wrong one
    assert meta["quality_notes"].startswith("2 people seen; followed the largest, steadiest (box x ")
    # With the crop the hips are on the runner on (nearly) every frame the runner is in.
    x = mid_hip_x(followed)[BIG_FROM:]
    assert np.mean([BIG_REGION.holds(v) for v in x]) >= 0.95
    # Before the runner enters the crop holds nobody: no pose there, rather than the other person's.
    assert not np.isfinite(mid_hip_x(followed)[: BIG_FROM - 1]).any()


def test_two_people_in_static_mode_the_pose_stays_on_the_runner(two_person_video: Path) -> None:
    # Static mode (the default) detects afresh on every frame; the crop still keeps it on the runner.
    followed = video_to_keypoints(two_person_video, use_cache=False)
    assert followed.meta["pose_mode"] == "static"
    assert followed.meta["people_seen"] == "2"
    x = mid_hip_x(followed)[BIG_FROM:]
    assert np.mean([BIG_REGION.holds(v) for v in x]) >= 0.95


def test_one_person_clip_is_not_cropped_and_unchanged(tmp_path: Path, make_video, clip_60) -> None:
    video = make_video(tmp_path / "one.mp4", clip_60[:30], 30.0)
    scanned = video_to_keypoints(video, use_cache=False)
    plain = video_to_keypoints(video, use_cache=False, scan_people=False)
    assert scanned.meta["people_seen"] == "1"
    assert scanned.meta["people_crop"] == "none"
    assert "people seen" not in scanned.meta["quality_notes"]
    assert np.array_equal(scanned.positions, plain.positions, equal_nan=True)


class FakePose:
    """A pose backend that puts a fixed body in the middle of each frame and counts frames."""

    name = "fake"
    model_id = "fake-people-1"
    names = KEYPOINTS

    def __init__(self) -> None:
        self.frames_seen = 0

    def estimate(self, frames: Iterable[Frame]) -> Iterator[FramePose]:
        for frame in frames:
            self.frames_seen += 1
            pos = np.tile([[frame.shape[1] / 2, frame.shape[0] / 2]], (len(KEYPOINTS), 1)).astype(float)
            pos[:, 1] += np.arange(len(KEYPOINTS)) * 3.0
            yield FramePose(pos, np.full(len(KEYPOINTS), 0.9), detected=True)


def test_scan_settings_are_part_of_the_cache_key(blank_video: Path, tmp_path: Path) -> None:
    off = FakePose()
    video_to_keypoints(blank_video, cache_dir=tmp_path, estimator=off, scan_people=False)
    assert off.frames_seen == 20
    on = FakePose()
    series = video_to_keypoints(blank_video, cache_dir=tmp_path, estimator=on)
    assert on.frames_seen == 20  # made without the scan: not reused
    assert series.meta["people_seen"] == "1"  # the body the fake pose reports; the detector finds no one else
    again = FakePose()
    hit = video_to_keypoints(blank_video, cache_dir=tmp_path, estimator=again)
    assert again.frames_seen == 0
    assert hit.meta["cache"].startswith("hit")
    other = FakePose()
    video_to_keypoints(
        blank_video, cache_dir=tmp_path, estimator=other, scan_settings=ScanSettings(min_samples=4)
    )
    assert other.frames_seen == 20  # other scan settings: recomputed


# -- linking, scoring and cropping on hand-made boxes ----------------------------------------------------


def test_tracks_are_linked_and_the_largest_steadiest_wins() -> None:
    frames = list(range(0, 80, 10))
    runner = [PersonBox(300 + 5 * (k % 2), 600, 200) for k in range(8)]  # big, jitters 5 px
    walker = [PersonBox(900 + 40 * k, 700, 90) for k in range(8)]  # small, walks 40 px a sample
    detections: list[list[PersonBox]] = [[walker[k], runner[k]] for k in range(8)]
    detections[3].append(PersonBox(1200, 200, 60))  # a stray detection on one frame
    tracks = link_tracks(detections, frames)
    assert len(tracks) == 3
    people = people_tracks(tracks, 8, DEFAULT_SCAN)
    assert len(people) == 2  # the stray one is not a person
    assert sorted(len(t.samples) for t in people) == [8, 8]
    best = people[choose_runner(people, 8, 1600, 1200) or 0]
    assert best.median_box.radius_px == 200
    assert best.frames == frames


def test_a_steady_runner_beats_a_bigger_person_seen_briefly() -> None:
    steady = PersonTrack()
    brief = PersonTrack()
    for k in range(8):
        steady.add(k, 10 * k, PersonBox(400, 500, 150))
    for k in (2, 3):
        brief.add(k, 10 * k, PersonBox(1000, 500, 250))
    assert choose_runner([brief, steady], 8, 1600, 1200) == 1
    assert brief.presence(8) == 0.25


def test_a_person_who_moves_fast_keeps_one_track_by_centre_distance() -> None:
    boxes = [[PersonBox(100 + 150 * k, 500, 160)] for k in range(6)]  # IoU with the last box < 0.1 at times
    assert len(link_tracks(boxes, list(range(6)))) == 1


def test_one_or_no_person_means_no_crop() -> None:
    one = decide([[PersonBox(300, 600, 200)]] * 8, list(range(8)), (720, 1280))
    assert one.n_people == 1
    assert one.plan.mode == "none"
    assert one.plan.window(5) == (0, 0, 720, 1280)
    none = decide([[]] * 8, list(range(8)), (720, 1280))
    assert none.n_people == 0
    assert none.chosen is None
    assert none.note().startswith("no person seen")


def test_crop_is_fixed_for_a_runner_in_place_and_moves_with_a_runner_crossing() -> None:
    in_place = PersonTrack()
    for k in range(8):
        in_place.add(k, 10 * k, PersonBox(500 + 10 * (k % 2), 600, 200))
    fixed = plan_crop(in_place, 1600, 1200, DEFAULT_SCAN)
    assert fixed.mode == "fixed"
    assert fixed.window(0) == fixed.window(70) == (200, 300, 810, 900)  # 1.5 radii around each box, union

    crossing = PersonTrack()
    for k in range(8):
        crossing.add(k, 30 * k, PersonBox(200 + 180 * k, 700, 150))
    moving = plan_crop(crossing, 1600, 1000, DEFAULT_SCAN)
    assert moving.mode == "moving"
    assert moving.size_px == (450, 450)
    for frame in (0, 15, 45, 100, 210):
        x0, y0, x1, y1 = moving.window(frame)
        assert (x1 - x0, y1 - y0) == (450, 450)
        assert x0 >= 0
        assert x1 <= 1600
        assert y0 >= 0
        assert y1 <= 1000
        centre_x = np.interp(frame, crossing.frames, [b.centre_x_px for b in crossing.boxes])
        assert x0 <= centre_x < x1
    assert moving.window(15)[0] == (200 + 90 - 225)  # halfway between two samples


def test_uncrop_moves_keypoints_back_to_full_frame_pixels() -> None:
    pose = FramePose(np.array([[10.0, 20.0], [np.nan, np.nan]]), np.array([0.9, 0.0]), detected=True)
    back = uncrop(pose, (100, 50, 400, 450))
    assert back.positions_px[0].tolist() == [110.0, 70.0]
    assert np.isnan(back.positions_px[1]).all()
    missing = FramePose.missing(2)
    assert uncrop(missing, (100, 50, 400, 450)) is missing


def test_sample_indices_are_evenly_spread_and_bounded() -> None:
    assert sample_indices(360, DEFAULT_SCAN) == [0, 51, 103, 154, 205, 256, 308, 359]
    assert len(sample_indices(5000, DEFAULT_SCAN)) == 16
    assert sample_indices(5, DEFAULT_SCAN) == [0, 1, 2, 3, 4]
    assert sample_indices(0, DEFAULT_SCAN, fps_hz=25.0)[:3] == [0, 25, 50]


def test_crop_plan_none_is_the_whole_frame() -> None:
    assert CropPlan("none", 640, 480).window(3) == (0, 0, 640, 480)


def test_the_report_shows_the_pose_notes() -> None:
    from glutemed.reports.gait_html import _pose_notes

    note = "2 people seen; followed the largest, steadiest (box x 1-2, y 3-4 px, on 8 of 8 scanned frames)"
    result = {"recordings": [{"path": "/v/run.mp4", "pose": {"quality_notes": note}}, {"path": "/v/b.mp4"}]}
    html = _pose_notes(result)
    assert html.count('<p class="note">') == 1
    assert "<strong>run.mp4</strong>: 2 people seen; followed the largest, steadiest" in html


def test_the_followed_persons_box_comes_from_their_keypoints() -> None:
    positions = np.full((len(KEYPOINTS), 2), np.nan)
    positions[KEYPOINTS.index("left_hip")] = (100.0, 200.0)
    positions[KEYPOINTS.index("right_hip")] = (120.0, 200.0)
    positions[KEYPOINTS.index("nose")] = (110.0, 20.0)  # 180 px above the mid-hip: the farthest point
    positions[KEYPOINTS.index("left_ankle")] = (150.0, 350.0)
    box = box_from_pose(FramePose(positions, np.ones(len(KEYPOINTS)), detected=True), KEYPOINTS)
    assert box is not None
    assert (box.centre_x_px, box.centre_y_px) == (110.0, 200.0)
    assert box.radius_px == pytest.approx(POSE_RADIUS_FACTOR * 180.0)
    assert box_from_pose(FramePose.missing(), KEYPOINTS) is None
