"""Issue 11, cases 1, 8 and 9 for documents: alias bombs, deep nesting, huge numbers, duplicate keys, bad dates.

All cases run through the real command line in one child process limited to 1 GiB of address space (see
``harness.glutemed_batch``); each test checks its case's exit code, its one error line and the peak memory.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.hardening.conftest import EXAMPLES, session_doc
from tests.hardening.harness import Run, assert_clean_failure, glutemed_batch

# The classic "billion laughs" in YAML: nine levels of nine aliases, a few hundred bytes, 9^9 strings expanded.
ALIAS_BOMB = (
    "\n".join(
        ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"{b}: &{b} [{','.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    )
    + "\n"
)
INTAKE = EXAMPLES / "female-lateral-hip-pain.yaml"
DATES = {"quoted": '"2025-13-45"', "bare": "2025-13-45", "feb30": '"2025-02-30"'}


def _cases(d: Path) -> dict[str, tuple[Path, list[str | Path]]]:
    (d / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    (d / "session.json").write_text(json.dumps(session_doc()), encoding="utf-8")
    (d / "big.json").write_text(
        json.dumps({"runner": ["x" * 1000] * 2000, "running": "y" * 500_000}), encoding="utf-8"
    )
    for kind in ("json", "yaml"):
        (d / f"deep.{kind}").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    (d / "deep_kp.json").write_text(
        '{"schema": "glutemed.keypoints/v1", "x": ' + "[" * 200_000 + "]" * 200_000 + "}", encoding="utf-8"
    )
    text = INTAKE.read_text(encoding="utf-8")
    (d / "bigint.yaml").write_text(text.replace("mass_kg: 64", "mass_kg: " + "9" * 5000), encoding="utf-8")
    (d / "dup.yaml").write_text(
        text + "runner:\n  age_years: 52\n  sex: female\n  height_cm: 165\n  mass_kg: 30\n", encoding="utf-8"
    )
    cases: dict[str, tuple[Path, list[str | Path]]] = {
        "bomb-intake": (d, ["assess", "bomb.yaml"]),
        "bomb-tests": (d, ["assess", INTAKE, "--tests", "bomb.yaml"]),
        "bomb-session": (d, ["log", "bomb.yaml", "--logbook", "book.json"]),
        "bomb-logbook": (d, ["progress", "bomb.yaml"]),
        "big-value": (d, ["assess", "big.json"]),
        "deep-json": (d, ["assess", "deep.json"]),
        "deep-yaml": (d, ["assess", "deep.yaml"]),
        "deep-keypoints": (d, ["analyze", "deep_kp.json"]),
        "bigint": (d, ["assess", "bigint.yaml"]),
        "duplicate-runner": (d, ["assess", "dup.yaml"]),
    }
    for name, date in DATES.items():
        (d / f"date_{name}.yaml").write_text(
            f"date: {date}\nexercises:\n  - exercise: single-leg-romanian-deadlift\n    sets: [{{reps: 10}}]\n",
            encoding="utf-8",
        )
        cases[f"date-{name}"] = (d, ["log", f"date_{name}.yaml", "--logbook", f"book_{name}.json"])
    return cases


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Run]]:
    d = tmp_path_factory.mktemp("documents")
    return d, glutemed_batch(_cases(d))


def test_alias_bomb_is_small() -> None:
    assert len(ALIAS_BOMB.encode()) < 700


@pytest.mark.parametrize("role", ["intake", "tests", "session", "logbook"])
def test_alias_bomb_refused_everywhere(runs: tuple[Path, dict[str, Run]], role: str) -> None:
    d, results = runs
    assert_clean_failure(results[f"bomb-{role}"], 2, "bomb.yaml", "refused")
    assert not (d / "book.json").exists()


def test_huge_wrong_value_is_not_echoed(runs: tuple[Path, dict[str, Run]]) -> None:
    """The validation error names the fields and quotes the input short (the old path called repr() on it)."""
    assert_clean_failure(runs[1]["big-value"], 2, "big.json", "runner", "running")


@pytest.mark.parametrize("case", ["deep-json", "deep-yaml", "deep-keypoints"])
def test_200k_deep_nesting(runs: tuple[Path, dict[str, Run]], case: str) -> None:
    assert_clean_failure(runs[1][case], 2, "deep", "nested more than")


def test_5000_digit_integer(runs: tuple[Path, dict[str, Run]]) -> None:
    assert_clean_failure(runs[1]["bigint"], 2, "bigint.yaml", "5000 digits")


def test_duplicate_runner_key_refused(runs: tuple[Path, dict[str, Run]]) -> None:
    assert_clean_failure(runs[1]["duplicate-runner"], 2, "dup.yaml", "'runner' twice")


@pytest.mark.parametrize("name", list(DATES))
def test_impossible_session_date(runs: tuple[Path, dict[str, Run]], name: str) -> None:
    d, results = runs
    assert_clean_failure(results[f"date-{name}"], 2, f"date_{name}.yaml", "date")
    assert not (d / f"book_{name}.json").exists()
