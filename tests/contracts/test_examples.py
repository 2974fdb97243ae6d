"""The files in examples/ are what the commands write today (regenerate with examples/make_examples.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _maker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "examples" / "make_examples.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _maker()


@pytest.mark.parametrize("name", sorted(MAKER.EXAMPLES))
def test_example_matches_what_the_command_writes(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    text = (ROOT / "examples" / name).read_text(encoding="utf-8")
    fresh = MAKER.EXAMPLES[name]()
    assert Path.cwd() == ROOT
    if isinstance(fresh, str):  # a text example (the YAML session template) is compared as written
        assert text == fresh, (
            f"examples/{name} drifted from the command's output: run .venv/bin/python examples/make_examples.py"
        )
        return
    committed = json.loads(text)
    assert MAKER.stable(committed) == MAKER.stable(fresh), (
        f"examples/{name} drifted from the command's output: run .venv/bin/python examples/make_examples.py"
    )
