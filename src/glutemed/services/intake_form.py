"""The intake questions shared by the questionnaire (``glutemed intake new``) and the web intake form.

One list of questions with their wording, the red-flag questions, and the per-field check: every answer is
validated by the same pydantic field (and bounds) that ``load_intake`` uses for a YAML intake, so the command
line, the web form and a file accept and refuse the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, TypeAdapter

from glutemed.core.intake import AGGRAVATORS
from glutemed.knowledge.models import Equipment, PainRegion
from glutemed.services.intake_schema import (
    AvailabilityIn,
    ChangeIn,
    ContextIn,
    IntakeIn,
    LifestyleIn,
    RedFlagsIn,
    RunnerIn,
    RunningIn,
    SymptomsIn,
)

Kind = Literal["text", "number", "choice", "list"]


@dataclass(frozen=True)
class Question:
    section: str | None  # key in the intake (None: top level)
    field: str
    text: str
    kind: Kind = "number"
    default: str | None = None  # shown and used on an empty answer; None: an answer is required


def _options(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


QUESTIONS: tuple[Question, ...] = (
    Question(None, "name", "Name or label for this runner (optional)", "text", ""),
    Question("runner", "age_years", "Age (years)"),
    Question("runner", "sex", "Sex (female/male)", "choice"),
    Question("runner", "height_cm", "Height (cm)"),
    Question("runner", "mass_kg", "Body mass (kg)"),
    Question("running", "km_per_week", "Running distance per week (km)"),
    Question("running", "sessions_per_week", "Runs per week"),
    Question("running", "minutes_per_week", "Running time per week (minutes)"),
    Question("running", "pace_min_per_km", "Usual easy pace (min/km, optional)", "number", ""),
    Question(
        "context", "surfaces", "Surfaces you run on, comma-separated (e.g. road, trail, track)", "list", ""
    ),
    Question("context", "footwear_change", "Changed running shoes recently (yes/no)", "choice", "no"),
    Question("context", "hills_or_stairs", "Much hill or stair running (yes/no)", "choice", "no"),
    Question(
        "context",
        "change_of_direction_sports",
        "Other sports with changes of direction, comma-separated (blank: none)",
        "list",
        "",
    ),
    Question("lifestyle", "sitting_h_per_day", "Hours sitting per day", "number", "0"),
    Question("lifestyle", "standing_h_per_day", "Hours standing per day", "number", "0"),
    Question(
        "lifestyle", "stands_hung_on_one_hip", "Do you stand hanging on one hip (yes/no)", "choice", "no"
    ),
    Question(None, "injury_history", "Past running injuries, separated by ';' (blank: none)", "list", ""),
    Question(
        "symptoms",
        "regions",
        f"Where does it hurt? Comma-separated from: {_options([r.value for r in PainRegion])} (blank: nowhere)",
        "list",
        "",
    ),
    Question("symptoms", "side", "Which side hurts (left/right/both, blank: none)", "choice", ""),
    Question("symptoms", "pain_rest_0_10", "Pain at rest (0-10)", "number", "0"),
    Question("symptoms", "pain_running_0_10", "Pain while running (0-10)", "number", "0"),
    Question("symptoms", "pain_night_0_10", "Pain at night (0-10)", "number", "0"),
    Question("symptoms", "duration_weeks", "How many weeks has it hurt", "number", "0"),
    Question(
        "symptoms",
        "aggravators",
        f"What makes it worse? Comma-separated from: {_options(AGGRAVATORS)} (blank: nothing)",
        "list",
        "",
    ),
    Question(
        "availability",
        "equipment",
        f"Equipment you have, comma-separated from: {_options([e.value for e in Equipment])}",
        "list",
        "none",
    ),
    Question(
        "availability", "sessions_per_week", "Strength sessions you can do per week (1-7)", "number", "2"
    ),
    Question("availability", "minutes_per_session", "Minutes per strength session", "number", "20"),
    Question(None, "goals", "Your goals, separated by ';' (optional)", "list", ""),
)

CHANGE_QUESTIONS: tuple[Question, ...] = (
    Question("recent_change", "change_pct", "By how many percent did it go up (e.g. 30)"),
    Question("recent_change", "weeks_ago", "How many weeks ago (optional)", "number", ""),
)
CHANGE_KINDS = ("distance", "speed", "frequency")

RED_FLAGS: tuple[tuple[str, str], ...] = (
    ("night_pain_unrelated_to_position", "Pain at night that does not change with your position?"),
    ("unexplained_weight_loss", "Weight loss you cannot explain?"),
    ("fever", "Fever or feeling generally unwell with the pain?"),
    ("trauma", "Did the pain start with a fall, crash or other trauma?"),
    ("numbness_or_weakness", "Numbness, pins and needles or weakness in the leg?"),
    (
        "bladder_or_bowel_change",
        "Any change in bladder or bowel control, or numbness around the saddle area?",
    ),
    ("history_of_cancer", "Have you ever had cancer?"),
    (
        "systemic_corticosteroids",
        "Do you take, or did you recently take, steroid tablets or injections for weeks?",
    ),
    (
        "immunosuppression",
        "Do you take medicine that weakens the immune system, or have an illness that does?",
    ),
    ("groin_pain_on_loading", "Deep groin pain when running, hopping or standing on the painful leg?"),
    ("missed_periods", "Three months or more without a period (or none yet at 15 or older)?"),
    (
        "low_energy_availability",
        "Do you eat less than your training needs, or have you had an eating disorder?",
    ),
)
FEMALE_ONLY = frozenset({"missed_periods"})

SECTIONS: dict[str | None, type[BaseModel]] = {
    None: IntakeIn,
    "runner": RunnerIn,
    "running": RunningIn,
    "symptoms": SymptomsIn,
    "availability": AvailabilityIn,
    "context": ContextIn,
    "lifestyle": LifestyleIn,
    "recent_change": ChangeIn,
    "red_flags": RedFlagsIn,
}


def field_adapter(section: str | None, field: str) -> TypeAdapter[Any]:
    """A validator for one intake field with the type and bounds its pydantic model declares."""
    info = SECTIONS[section].model_fields[field]
    annotation: Any = info.annotation
    if not info.metadata:
        return TypeAdapter(annotation)
    annotated: Any = Annotated.__class_getitem__((annotation, *info.metadata))  # type: ignore[attr-defined]
    return TypeAdapter(annotated)


def raw_answer(q: Question, answer: str) -> Any:
    """The answer as the type pydantic should see; blank optional answers become None or []."""
    text = answer.strip()
    if q.kind == "list":
        sep = ";" if q.field in {"goals", "injury_history"} else ","
        return [part.strip() for part in text.split(sep) if part.strip()]
    return text or None


def check_answer(q: Question, answer: str) -> Any:
    """Validate one answer; returns a JSON/YAML-friendly value or raises ValidationError."""
    adapter = field_adapter(q.section, q.field)
    value = adapter.validate_python(raw_answer(q, answer))
    return adapter.dump_python(value, mode="json")


def name_of(q: Question) -> str:
    """The question's field as a dotted name (``runner.age_years``; ``name`` at the top level)."""
    return f"{q.section}.{q.field}" if q.section else q.field
