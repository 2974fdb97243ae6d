"""Real producer outputs, made once per test session, for the contract tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from glutemed.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
FUKUCHI = ROOT / "tests" / "data" / "mocap" / "fukuchi_rbds"
EXAMPLES = ROOT / "examples" / "runners"


def run_cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="session")
def fukuchi_gait(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`glutemed analyze` on the Fukuchi RBDS001 treadmill trial (rear and side), as a user runs it."""
    out = tmp_path_factory.mktemp("fukuchi")
    run_cli(
        "analyze",
        str(FUKUCHI / "RBDS001runT35.c3d"),
        "--static",
        str(FUKUCHI / "RBDS001static.c3d"),
        "--out",
        str(out),
    )
    return out / "result.json"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
