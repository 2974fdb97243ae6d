"""Shared fixtures for the assessment tests: a small synthetic catalogue, the bundled rules and the real KB."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from glutemed.core.intake import Availability, Intake, Runner, RunningVolume, Symptoms
from glutemed.core.programming import ConditionView, DoseView, ExerciseView
from glutemed.knowledge.rules import Rules, load_rules

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "runners"


def reps_dose(reps: int = 12, reps_range: tuple[int, int] = (8, 30), per_side: bool = True) -> DoseView:
    return DoseView(
        sets=3,
        sets_range=(1, 4),
        per_side=per_side,
        rest_s=45,
        sessions_per_week=3,
        sessions_per_week_range=(2, 4),
        reps=reps,
        reps_range=reps_range,
    )


def hold_dose(hold_s: int = 30) -> DoseView:
    return DoseView(
        sets=4,
        sets_range=(2, 5),
        per_side=True,
        rest_s=30,
        sessions_per_week=3,
        sessions_per_week_range=(1, 7),
        hold_s=hold_s,
        hold_s_range=(10, 45),
    )


def catalogue() -> list[ExerciseView]:
    return [replace(ex, sources=("kingofthegym2023",)) for ex in _catalogue()]


def _catalogue() -> list[ExerciseView]:
    return [
        ExerciseView(
            "itb-stretch", "ITB stretch", "stretch", ("none",), hold_dose(), ("hip-adduction-stretch",)
        ),
        ExerciseView("tfl-release", "TFL release", "release", ("foam-roller",), hold_dose()),
        ExerciseView(
            "wall-press",
            "Wall press",
            "activation",
            ("wall",),
            hold_dose(),
            gmed_emg_pct=40.0,
            gmed_emg_ref="x2000",
        ),
        ExerciseView(
            "clam", "Clam", "activation", ("mini-band",), reps_dose(), gmed_emg_pct=40.0, tfl_index=115.0
        ),
        ExerciseView(
            "side-lying-abd",
            "Side-lying abduction",
            "isolated-strength",
            ("mat",),
            reps_dose(),
            ("lateral-hip-compression",),
            gmed_emg_pct=81.0,
        ),
        ExerciseView(
            "standing-abd",
            "Standing abduction",
            "isolated-strength",
            ("long-band",),
            reps_dose(),
            gmed_emg_pct=33.0,
        ),
        ExerciseView(
            "leg-raise", "Leg raise", "isolated-strength", ("none",), reps_dose(), ("hip-flexor-dominant",)
        ),
        ExerciseView(
            "sl-squat", "Single-leg squat", "compound-stabiliser", ("none",), reps_dose(), gmed_emg_pct=82.0
        ),
        ExerciseView(
            "sl-rdl",
            "SL RDL",
            "compound-stabiliser",
            ("none",),
            reps_dose(),
            avoid_for=("low-back-pain",),
            gmed_emg_pct=58.0,
        ),
        ExerciseView(
            "hops", "Hops", "motor-control", ("none",), reps_dose(), ("high-impact",), gmed_emg_pct=48.0
        ),
        ExerciseView("band-squat", "Band squat", "motor-control", ("mini-band",), reps_dose(per_side=False)),
    ]


def conditions() -> dict[str, ConditionView]:
    return {
        "gluteal-tendinopathy": ConditionView(
            "gluteal-tendinopathy",
            ("hip-adduction-stretch", "lateral-hip-compression", "sustained-hip-adduction"),
        ),
        "low-back-pain": ConditionView("low-back-pain", ()),
        "patellofemoral-pain": ConditionView("patellofemoral-pain", ("knee-flexion-loaded",)),
    }


def simple_intake(**symptoms: object) -> Intake:
    return Intake(
        runner=Runner(age_years=40, sex="female", height_cm=168, mass_kg=60),
        volume=RunningVolume(km_per_week=30, sessions_per_week=3, minutes_per_week=180),
        symptoms=Symptoms(**symptoms),  # type: ignore[arg-type]
        availability=Availability(equipment=("mini-band",), sessions_per_week=3, minutes_per_session=30),
    )


@pytest.fixture(scope="session")
def rules() -> Rules:
    return load_rules()


@pytest.fixture(scope="session")
def kb():  # type: ignore[no-untyped-def]
    """The bundled knowledge base; GLUTEMED_TEST_KB_DIR points the tests (and the CLI) at another data folder."""
    from glutemed.knowledge.loader import KnowledgeBaseError, knowledge_base, load_knowledge_base

    other = os.environ.get("GLUTEMED_TEST_KB_DIR")
    try:
        if not other:
            yield knowledge_base()
            return
        loaded = load_knowledge_base(Path(other), check=False)
    except KnowledgeBaseError as exc:
        pytest.skip(f"the bundled knowledge base does not load yet: {str(exc)[:200]}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("glutemed.cli.common.knowledge_base", lambda: loaded)
        patch.setattr("glutemed.cli.assess.bundled_rules", lambda: load_rules(kb=loaded))
        yield loaded


@pytest.fixture(scope="session")
def synthetic_catalogue() -> list[ExerciseView]:
    return catalogue()


@pytest.fixture(scope="session")
def synthetic_conditions() -> dict[str, ConditionView]:
    return conditions()


@pytest.fixture(scope="session")
def make_intake():  # type: ignore[no-untyped-def]
    return simple_intake


@pytest.fixture(scope="session")
def examples() -> Path:
    return EXAMPLES
