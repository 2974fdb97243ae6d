"""Fuzzing of every reader, a small sample per run (``make fuzz`` runs 10,000+ inputs per reader under a 1 GiB cap).

- mutation: AFL-style byte mutations of valid seeds (``FUZZ_MUTATIONS`` per reader, default 60);
- Hypothesis: format-aware documents with hostile values (``FUZZ_EXAMPLES`` per reader, default 30);
- corpus: every input the fuzzers ever found crashing (``tests/fuzz/corpus/<reader>/``) must now be answered
  by the reader's documented error or a result.

A finding is any exception other than the reader's documented ones, or a hang (see ``engine.check``).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from tests.fuzz.engine import CORPUS, check, mutate, save_crash, structured
from tests.fuzz.targets import TARGETS

MUTATIONS = int(os.environ.get("FUZZ_MUTATIONS", "60"))
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))
NAMES = sorted(TARGETS)


@pytest.mark.parametrize("name", NAMES)
def test_seeds_are_read(name: str, tmp_path: Path) -> None:
    """The seeds are valid inputs, so mutations start from files the readers accept (deep paths get fuzzed)."""
    target = TARGETS[name]
    for seed in target.seeds():
        target.run(seed, tmp_path)


@pytest.mark.parametrize("name", NAMES)
def test_mutated_inputs(name: str) -> None:
    target = TARGETS[name]
    rng = random.Random(f"sample-{name}")
    seeds = target.seeds()
    found = []
    for _ in range(MUTATIONS):
        data = mutate(rng, rng.choice(seeds), seeds)
        problem = check(target, data)
        if problem:
            found.append(f"{save_crash(target, data)}: {problem}")
    assert not found, "\n".join(found[:3])


def _structured_test(name: str):  # type: ignore[no-untyped-def]
    target = TARGETS[name]

    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(data=structured(target))
    def run(data: bytes) -> None:
        problem = check(target, data)
        if problem:
            raise AssertionError(f"{save_crash(target, data)}: {problem}")

    return run


@pytest.mark.parametrize("name", NAMES)
def test_generated_inputs(name: str) -> None:
    _structured_test(name)()


def _corpus() -> list[Path]:
    return sorted(p for p in CORPUS.glob("*/*.bin") if p.parent.name in TARGETS)


@pytest.mark.parametrize("path", _corpus(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_of_past_crashes(path: Path) -> None:
    problem = check(TARGETS[path.parent.name], path.read_bytes())
    assert problem is None, problem


def test_corpus_is_kept() -> None:
    """The corpus holds the crashing inputs found so far; it only grows."""
    assert len(_corpus()) >= 10
