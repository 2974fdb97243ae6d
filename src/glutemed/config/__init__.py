"""Typed analysis configuration, read from a commented TOML file that doubles as the manual."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class ConfigError(ValueError):
    """A configuration file is unreadable or holds an unknown or invalid option."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputConfig(_Section):
    view: Literal["auto", "rear", "front", "side"] = "auto"
    scale_m_per_unit: float = Field(default=0.0, ge=0.0)
    camera_roll_deg: float = Field(default=0.0, ge=-45.0, le=45.0)


class PoseConfig(_Section):
    mode: Literal["static", "tracking"] = "static"


class FilterConfig(_Section):
    max_gap_s: float = Field(default=0.1, ge=0.0, le=1.0)
    min_confidence: float = Field(default=0.3, ge=0.0, le=1.0)
    cutoff_hz: float = Field(default=0.0, ge=0.0)
    order: int = Field(default=4, ge=1, le=8)


class QualityConfig(_Section):
    min_stances_per_side: int = Field(default=7, ge=1)
    good_fps_hz: float = Field(default=60.0, gt=0)
    min_fps_hz: float = Field(default=25.0, gt=0)


class OutputConfig(_Section):
    per_stance_csv: bool = True
    trc: bool = True


class AnalysisConfig(_Section):
    input: InputConfig = InputConfig()
    pose: PoseConfig = PoseConfig()
    filter: FilterConfig = FilterConfig()
    quality: QualityConfig = QualityConfig()
    output: OutputConfig = OutputConfig()

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def default_config_path() -> Path:
    return Path(str(resources.files("glutemed.config") / "analysis.toml"))


def load_config(path: Path | None = None) -> AnalysisConfig:
    """Read a TOML config; options left out keep their defaults. Errors name the file and the option."""
    source = path or default_config_path()
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{source}: config file not found") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from exc
    try:
        return AnalysisConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{source}: {problems}") from exc
