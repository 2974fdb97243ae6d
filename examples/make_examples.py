"""Regenerate the example files that commands produce, with the commands themselves.

    .venv/bin/python examples/make_examples.py

tests/contracts/test_examples.py runs the same steps into a temporary folder and fails when the committed
files drift from what the commands now write.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from glutemed.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
FUKUCHI = Path("tests/data/mocap/fukuchi_rbds")  # relative, so the stored paths do not name this machine
VOLATILE = ("created_utc", "glutemed_version")


def _run(*args: str) -> None:
    result = CliRunner().invoke(app, list(args))
    if result.exit_code != 0:
        raise SystemExit(f"glutemed {' '.join(args)} failed:\n{result.output}")


def itb_crossover_gait() -> dict[str, Any]:
    """`glutemed analyze` on the Fukuchi RBDS001 treadmill trial, seen from the rear and the side."""
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            "analyze",
            str(FUKUCHI / "RBDS001runT35.c3d"),
            "--static",
            str(FUKUCHI / "RBDS001static.c3d"),
            "--out",
            tmp,
        )
        data: dict[str, Any] = json.loads((Path(tmp) / "result.json").read_text(encoding="utf-8"))
    return data


def session_template() -> str:
    """`glutemed log --template`: the example session file (YAML text, written as it is)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "session.yaml"
        _run("log", "--template", str(path))
        return path.read_text(encoding="utf-8")


# Each maker returns a dict (written as JSON) or a str (a text file, written as it is).
EXAMPLES: dict[str, Callable[[], dict[str, Any] | str]] = {
    "runners/itb-crossover.gait.json": itb_crossover_gait,
    "sessions/session.yaml": session_template,
}


def stable(data: dict[str, Any]) -> dict[str, Any]:
    """The example without the fields that change on every run (time, version)."""
    return {k: v for k, v in data.items() if k not in VOLATILE}


def main() -> int:
    for name, make in EXAMPLES.items():
        path = ROOT / "examples" / name
        made = make()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            made if isinstance(made, str) else json.dumps(made, indent=2) + "\n", encoding="utf-8"
        )
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    import os

    os.chdir(ROOT)
    sys.exit(main())
