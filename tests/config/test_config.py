"""The commented TOML config is complete, and bad files are refused with the file and option named."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from glutemed.config import AnalysisConfig, ConfigError, default_config_path, load_config


def test_bundled_file_matches_the_model_defaults() -> None:
    assert load_config() == AnalysisConfig()


def test_bundled_file_documents_every_option() -> None:
    raw = tomllib.loads(default_config_path().read_text(encoding="utf-8"))
    model_fields = {
        section: set(type(getattr(AnalysisConfig(), section)).model_fields)
        for section in AnalysisConfig.model_fields
    }
    assert {section: set(values) for section, values in raw.items()} == model_fields
    text = default_config_path().read_text(encoding="utf-8")
    for section, names in model_fields.items():
        for name in names:
            line = next(i for i, row in enumerate(text.splitlines()) if row.startswith(f"{name} ="))
            assert text.splitlines()[line - 1].startswith("#"), f"[{section}] {name} has no comment above it"


def test_partial_file_keeps_defaults(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[input]\nview = "rear"\n', encoding="utf-8")
    config = load_config(path)
    assert config.input.view == "rear"
    assert config.quality.min_stances_per_side == 7


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[input]\nview = 'top'\n", "input.view"),
        ("[filter]\nmax_gap_s = -1\n", "filter.max_gap_s"),
        ("[input]\ncamera_roll_deg = 50\n", "input.camera_roll_deg"),
        ("[output]\ncolour = true\n", "output.colour"),
        ("[input\n", "not valid TOML"),
    ],
)
def test_bad_config_names_file_and_option(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert "bad.toml" in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_pose_mode_is_read_and_checked(tmp_path: Path) -> None:
    assert load_config().pose.mode == "static"
    path = tmp_path / "c.toml"
    path.write_text('[pose]\nmode = "tracking"\n', encoding="utf-8")
    assert load_config(path).pose.mode == "tracking"
    path.write_text('[pose]\nmode = "fast"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"pose\.mode"):
        load_config(path)
