from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from glutemed.core.series import KeypointSeries
from glutemed.io import InputFileError, read_keypoints
from glutemed.io.trc import read_trc, trc_text, write_trc

SPORTS2D_HEAD = (
    "PathFileType\t4\t(X/Y/Z)\trun_px.trc\n"
    "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\tOrigDataStartFrame\tOrigNumFrames\n"
    "60\t60\t3\t4\tpx\t60\t0\t3\n"
    "Frame#\tTime\tHip\t\t\tRHip\t\t\tLHip\t\t\tRBigToe\t\t\n"
    "\t\tX1\tY1\tZ1\tX2\tY2\tZ2\tX3\tY3\tZ3\tX4\tY4\tZ4\n"
    "\n"
)


def _sports2d(tmp_path: Path, y_sign: float = -1.0) -> Path:
    rows = []
    for f in range(3):
        vals = [
            100 + f,
            y_sign * 500,
            0,
            90 + f,
            y_sign * 505,
            0,
            110 + f,
            y_sign * 505,
            0,
            95,
            y_sign * 900,
            0,
        ]
        rows.append(f"{f}\t{f / 60}\t" + "\t".join(str(v) for v in vals))
    path = tmp_path / "run_px.trc"
    path.write_text(SPORTS2D_HEAD + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_sports2d_pixels_map_names_and_point_y_down(tmp_path: Path) -> None:
    s = read_trc(_sports2d(tmp_path))
    assert s.units == "pixel"
    assert s.names == ("left_hip", "right_hip", "right_toe")
    assert s.meta["ignored_markers"] == "Hip"
    assert s.meta["y_flipped"].startswith("yes")
    assert s.xyz("right_toe")[0, 1] == 900.0  # toe below the hip in the image
    assert s.fps_hz == pytest.approx(60.0)


def test_positive_pixel_y_is_kept(tmp_path: Path) -> None:
    s = read_trc(_sports2d(tmp_path, y_sign=1.0))
    assert "y_flipped" not in s.meta
    assert s.xyz("left_hip")[1, 0] == 111.0


def test_3d_round_trip_is_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    pos = rng.normal(size=(20, 4, 3))
    pos[:, :, 2] += np.array([1.0, 1.0, 0.5, 0.1])  # hips high, feet low: z up
    pos[3, 1] = np.nan
    names = ("left_hip", "right_hip", "left_knee", "left_heel")
    s = KeypointSeries.from_arrays(pos, names, fps_hz=150.0, units="m", source="synthetic")
    back = read_trc(write_trc(s, tmp_path / "out.trc", y_up=False), vertical_axis="z")
    np.testing.assert_array_equal(back.positions, s.positions)
    np.testing.assert_array_equal(back.times_s, s.times_s)
    assert back.names == names
    y_up = read_trc(write_trc(s, tmp_path / "opensim.trc"), vertical_axis="y")
    np.testing.assert_array_equal(y_up.positions, s.positions)


def test_2d_round_trip_is_exact(tmp_path: Path) -> None:
    pos = np.arange(5 * 2 * 2, dtype=float).reshape(5, 2, 2) + 0.125
    s = KeypointSeries.from_arrays(pos, ("left_knee", "right_knee"), fps_hz=30.0)
    back = read_keypoints(write_trc(s, tmp_path / "k.trc"))
    np.testing.assert_array_equal(back.positions, s.positions)
    assert "Z1" in trc_text(s)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "file is empty"),
        ("hello\nworld\n", "TRC header needs 5 lines"),
        ("x\n" * 6, "not a TRC file"),
    ],
)
def test_broken_files_name_the_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.trc"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError, match=message) as err:
        read_trc(path)
    assert str(path) in str(err.value)


def test_truncated_file(tmp_path: Path) -> None:
    good = _sports2d(tmp_path).read_text(encoding="utf-8")
    path = tmp_path / "cut.trc"
    path.write_text(good[: len(good) - 20], encoding="utf-8")
    with pytest.raises(InputFileError, match="truncated") as err:
        read_trc(path)
    assert "cut.trc" in str(err.value)


def test_unknown_marker_names(tmp_path: Path) -> None:
    text = _sports2d(tmp_path).read_text(encoding="utf-8")
    for old in ("RHip", "LHip", "RBigToe"):
        text = text.replace(old, "Marker" + old[1:])
    path = tmp_path / "odd.trc"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError, match="no marker name maps to a known keypoint"):
        read_trc(path)


def test_non_numeric_cell(tmp_path: Path) -> None:
    path = tmp_path / "nan.trc"
    path.write_text(_sports2d(tmp_path).read_text(encoding="utf-8").replace("\t101\t", "\tabc\t"), "utf-8")
    with pytest.raises(InputFileError, match="is not a number"):
        read_trc(path)
