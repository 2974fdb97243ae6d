"""Leaving the isolated-strength phase needs the dynamometry re-test, not only good exercise logs."""

from __future__ import annotations

from glutemed.core.clinical_scoring import TestScore
from glutemed.services.program import strength_criterion


def score(test_id: str, side: str | None, positive: bool) -> TestScore:
    return TestScore(test_id=test_id, side=side, positive=positive, value=None, unit=None, interpretation="")


def test_missing_retest_keeps_the_phase_open() -> None:
    met, why = strength_criterion((score("side-bridge-endurance", "left", False),))
    assert met is None
    assert "re-test hip abduction strength" in why


def test_weak_side_or_large_deficit_keeps_the_phase_open() -> None:
    met, why = strength_criterion(
        (score("hip-abduction-dynamometry", "left", True), score("hip-abduction-dynamometry", "right", False))
    )
    assert met is False
    assert "hip-abduction-dynamometry left" in why
    met, why = strength_criterion(
        (score("hip-abduction-dynamometry", "left", False), score("hip-abduction-deficit", None, True))
    )
    assert met is False
    assert "hip-abduction-deficit" in why


def test_strength_at_the_norm_closes_the_phase() -> None:
    met, _ = strength_criterion(
        (score("hip-abduction-dynamometry", "left", False), score("hip-abduction-deficit", None, False))
    )
    assert met is True
