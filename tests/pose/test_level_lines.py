"""Camera roll from straight edges (glutemed.pose.level_lines) on drawn scenes turned by a known angle."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from glutemed.io.errors import InputFileError
from glutemed.pose.level_lines import LevelError, draw_estimate, estimate_roll_from_image, read_still

VIDEO = Path(__file__).resolve().parents[1] / "data" / "video" / "male_side_treadmill" / "male_side.mp4"


def scene(roll_deg: float, *, seed: int = 0, width: int = 1280, height: int = 720) -> np.ndarray:
    """A room seen from behind a treadmill, drawn level, then turned anticlockwise by ``roll_deg``.

    Level and plumb edges: the floor-wall boundary, a shelf, a door frame, a wall corner, the treadmill's far
    deck edge. Distractors: the treadmill's receding side edges, a blob of a runner, and noise.
    """
    rng = np.random.default_rng(seed)
    img = np.full((height, width, 3), 200, np.uint8)
    img[int(0.62 * height) :, :] = 120  # floor
    cv2.line(img, (0, int(0.62 * height)), (width, int(0.62 * height)), (60, 60, 60), 3)
    cv2.rectangle(
        img, (int(0.08 * width), int(0.12 * height)), (int(0.22 * width), int(0.62 * height)), (90, 70, 50), 6
    )
    cv2.line(img, (int(0.78 * width), 0), (int(0.78 * width), int(0.62 * height)), (150, 150, 150), 4)
    cv2.line(
        img, (int(0.55 * width), int(0.3 * height)), (int(0.9 * width), int(0.3 * height)), (80, 80, 80), 5
    )
    deck_y = int(0.8 * height)
    cv2.line(img, (int(0.35 * width), deck_y), (int(0.65 * width), deck_y), (20, 20, 20), 5)
    cv2.line(img, (int(0.35 * width), deck_y), (int(0.2 * width), height), (20, 20, 20), 5)  # receding
    cv2.line(img, (int(0.65 * width), deck_y), (int(0.8 * width), height), (20, 20, 20), 5)
    cv2.ellipse(img, (width // 2, int(0.5 * height)), (60, 170), 0, 0, 360, (40, 40, 160), -1)  # runner
    img = np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)
    # turn the picture anticlockwise on screen by roll_deg (OpenCV's positive angle is anticlockwise)
    turn = cv2.getRotationMatrix2D((width / 2, height / 2), roll_deg, 1.0)
    return cv2.warpAffine(img, turn, (width, height), borderMode=cv2.BORDER_REFLECT)


@pytest.mark.parametrize("roll_deg", [-6.0, -0.3, 0.0, 0.7, 2.0, 4.5])
def test_reads_the_roll_of_a_drawn_room(roll_deg: float) -> None:
    """Within 0.05 deg (27 drawn rooms from -6 to 8 deg, three noise seeds each: at most 0.021 deg off).

    Small rolls are the hard case: a line tilted 0.7 deg is drawn in 80 px steps, each exactly level."""
    est = estimate_roll_from_image(scene(roll_deg, seed=round(roll_deg * 10) % 3))
    assert est.roll_deg == pytest.approx(roll_deg, abs=0.05)
    assert est.n_horizontal >= 2
    assert est.n_vertical >= 1
    assert est.horizontal_deg == pytest.approx(roll_deg, abs=0.05)
    assert est.vertical_deg == pytest.approx(roll_deg, abs=0.1)
    assert est.spread_deg < 0.1


def test_portrait_and_grey_pictures() -> None:
    grey = cv2.cvtColor(scene(-2.0, width=720, height=1280), cv2.COLOR_BGR2GRAY)
    assert estimate_roll_from_image(grey).roll_deg == pytest.approx(-2.0, abs=0.05)


def test_a_picture_without_straight_edges_is_refused() -> None:
    noise = np.random.default_rng(3).integers(0, 255, (480, 640, 3)).astype(np.uint8)
    with pytest.raises(LevelError, match="straight edge"):
        estimate_roll_from_image(cv2.GaussianBlur(noise, (9, 9), 0))


def test_reads_pictures_and_video_frames(tmp_path: Path) -> None:
    png = tmp_path / "still.png"
    cv2.imwrite(str(png), scene(1.5))
    assert read_still(png).shape == (720, 1280, 3)
    frame = read_still(VIDEO, at_s=2.0)
    assert frame.shape == (1280, 720, 3)  # the upright portrait frame
    drawn = draw_estimate(scene(1.5), estimate_roll_from_image(scene(1.5)))
    assert drawn.shape == (720, 1280, 3)
    assert not np.array_equal(drawn, scene(1.5))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.png", b"", "cannot be read as a picture"),
        ("notes.txt", b"hello", "not a picture or video"),
        ("cut.jpg", b"\xff\xd8\xff\xe0garbage", "cannot be read as a picture"),
    ],
)
def test_bad_files_name_the_file(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message) as info:
        read_still(path)
    assert str(path) in str(info.value)
