"""`glutemed level`: camera roll from a still picture, end to end through the command line."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import cv2
import numpy as np
from typer.testing import CliRunner

from glutemed.cli.app import app

runner = CliRunner()
_spec = importlib.util.spec_from_file_location(
    "level_scenes", Path(__file__).resolve().parents[1] / "pose" / "test_level_lines.py"
)
assert _spec is not None
assert _spec.loader is not None
scenes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(scenes)


def test_prints_the_roll_and_draws_the_edges(tmp_path: Path) -> None:
    still, drawn = tmp_path / "room.png", tmp_path / "out" / "edges.png"
    cv2.imwrite(str(still), scenes.scene(-2.5))
    result = runner.invoke(app, ["level", str(still), "--out", str(drawn), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert abs(payload["roll_deg"] + 2.5) <= 0.05
    assert payload["n_horizontal"] >= 2
    assert cv2.imread(str(drawn)).shape == (720, 1280, 3)
    text = runner.invoke(app, ["level", str(still)])
    assert text.exit_code == 0
    assert "camera_roll_deg = -2.5" in text.output


def test_bad_input_exits_non_zero_and_names_the_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture", encoding="utf-8")
    result = runner.invoke(app, ["level", str(notes)])
    assert result.exit_code == 2
    assert "notes.txt" in result.output
    blur = tmp_path / "blur.png"
    noise = np.random.default_rng(0).integers(0, 255, (480, 640, 3)).astype(np.uint8)
    cv2.imwrite(str(blur), cv2.GaussianBlur(noise, (9, 9), 0))
    result = runner.invoke(app, ["level", str(blur), "--out", str(tmp_path / "never.png")])
    assert result.exit_code == 3
    assert "blur.png" in result.output
    assert not (tmp_path / "never.png").exists()
