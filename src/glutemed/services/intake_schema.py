"""Validate intake, clinical-test and session-log files (YAML or JSON) and turn them into core dataclasses.

Unknown fields and impossible values (pain 14/10, a body mass of 0) raise :class:`InputFileError` with the
file name and the dotted path of the field, e.g. ``runner.mass_kg``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from glutemed.core import clinical_scoring as cs
from glutemed.core import intake as core
from glutemed.core.progression import ExerciseLog, SessionLog, SetLog
from glutemed.io.errors import InputFileError as FileInputError
from glutemed.io.safe_read import read_yaml, short
from glutemed.knowledge.models import Equipment, Id, PainRegion

M = TypeVar("M", bound=BaseModel)

Pain = float
PainField = Field(default=0.0, ge=0, le=10)
SideLR = Literal["left", "right"]


class InputFileError(ValueError):
    """An input file could not be read or breaks its schema; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunnerIn(_Strict):
    age_years: float = Field(ge=10, le=100)
    sex: Literal["female", "male"]
    height_cm: float = Field(ge=100, le=230)
    mass_kg: float = Field(gt=25, le=250)


class RunningIn(_Strict):
    km_per_week: float = Field(ge=0, le=400)
    sessions_per_week: int = Field(ge=0, le=21)
    minutes_per_week: float = Field(ge=0, le=3000)
    pace_min_per_km: float | None = Field(default=None, gt=2, le=20)


class ChangeIn(_Strict):
    kind: Literal["speed", "distance", "frequency"]
    change_pct: float = Field(ge=-100, le=1000)
    weeks_ago: float | None = Field(default=None, ge=0, le=104)


class ContextIn(_Strict):
    surfaces: list[str] = []
    footwear_change: bool = False
    hills_or_stairs: bool = False
    change_of_direction_sports: list[str] = []


class LifestyleIn(_Strict):
    sitting_h_per_day: float = Field(default=0.0, ge=0, le=24)
    standing_h_per_day: float = Field(default=0.0, ge=0, le=24)
    stands_hung_on_one_hip: bool = False


class SymptomsIn(_Strict):
    regions: list[PainRegion] = []
    side: Literal["left", "right", "both"] | None = None
    pain_rest_0_10: Pain = PainField
    pain_running_0_10: Pain = PainField
    pain_night_0_10: Pain = PainField
    duration_weeks: float = Field(default=0.0, ge=0, le=1040)
    aggravators: list[core.Aggravator] = []


class RedFlagsIn(_Strict):
    """Yes/no answers; which of them (with age and the pain map) raise a red flag is in red_flags.yaml."""

    night_pain_unrelated_to_position: bool = False
    unexplained_weight_loss: bool = False
    fever: bool = False
    trauma: bool = False
    numbness_or_weakness: bool = False
    bladder_or_bowel_change: bool = False
    history_of_cancer: bool = False
    systemic_corticosteroids: bool = False
    immunosuppression: bool = False
    groin_pain_on_loading: bool = False
    missed_periods: bool = False
    low_energy_availability: bool = False


def red_flag_rules() -> tuple[core.RedFlagRuleView, ...]:
    """The bundled red-flag rules (red_flags.yaml) as the plain views core evaluates."""
    from glutemed.knowledge.loader import knowledge_base

    return tuple(
        core.RedFlagRuleView(
            id=flag.id,
            needs=tuple(tuple(group) for group in flag.needs),
            age_over_years=flag.age_over_years,
            age_under_years=flag.age_under_years,
        )
        for flag in knowledge_base().red_flags.values()
    )


class AvailabilityIn(_Strict):
    equipment: list[Equipment] = [Equipment.NONE]
    sessions_per_week: int = Field(default=2, ge=1, le=7)
    minutes_per_session: float = Field(default=20.0, ge=5, le=180)


class StanceIn(_Strict):
    side: SideLR
    lateral_hip_pain_0_10: Pain = Field(ge=0, le=10)
    pelvic_drop_seen: bool | None = None


class TrendelenburgIn(_Strict):
    side: SideLR
    positive: bool


class SquatIn(_Strict):
    side: SideLR
    fppa_deg: float | None = Field(default=None, ge=-45, le=60)
    rating: Literal["good", "fair", "poor"] | None = None


class SideBridgeIn(_Strict):
    left_s: float = Field(ge=0, le=600)
    right_s: float = Field(ge=0, le=600)


_PROTOCOL_WORDS = {
    "make": "isometric",
    "break": "eccentric",
    "sidelying": "side-lying",
    "handheld": "hand-held",
}


class DynamometryProtocolIn(_Strict):
    """How both legs were tested. The defaults are the protocol of the norm glutemed compares with (Ramskov 2014:
    eccentric "break" test, hand-held dynamometer; supine as recorded in clinical_tests.yaml). A result tested
    another way still gets its side-to-side deficit but is not held against that norm."""

    contraction: Literal["isometric", "eccentric"] = "eccentric"  # or "make" / "break"
    position: Literal["side-lying", "supine", "standing"] = "supine"
    device: Literal["hand-held", "fixed"] = "hand-held"

    @field_validator("contraction", "position", "device", mode="before")
    @classmethod
    def _plain_words(cls, value: object) -> object:
        """Accept "Make", "break", "side_lying", "Side lying", "handheld" and the like."""
        if not isinstance(value, str):
            return value
        word = value.strip().lower().replace("_", "-").replace(" ", "-")
        return _PROTOCOL_WORDS.get(word.replace("-", ""), word)

    def to_core(self) -> cs.DynamometryProtocol:
        return cs.DynamometryProtocol(self.contraction, self.position, self.device)


class DynamometryIn(_Strict):
    left_n: float = Field(gt=0, le=1500)
    right_n: float = Field(gt=0, le=1500)
    lever_arm_m: float = Field(gt=0.2, le=1.2)
    protocol: DynamometryProtocolIn = DynamometryProtocolIn()

    def to_core(self) -> cs.DynamometryResult:
        return cs.DynamometryResult(self.left_n, self.right_n, self.lever_arm_m, self.protocol.to_core())


class ProvocationIn(_Strict):
    test: Literal["greater-trochanter-palpation", "resisted-external-derotation"]
    side: SideLR
    painful: bool


class TestsIn(_Strict):
    single_leg_stance: list[StanceIn] = []
    trendelenburg: list[TrendelenburgIn] = []
    single_leg_squat: list[SquatIn] = []
    side_bridge: SideBridgeIn | None = None
    dynamometry: DynamometryIn | None = None
    provocation: list[ProvocationIn] = []

    def to_core(self) -> cs.TestResults:
        return cs.TestResults(
            single_leg_stance=tuple(cs.StanceResult(**s.model_dump()) for s in self.single_leg_stance),
            trendelenburg=tuple(cs.TrendelenburgResult(**t.model_dump()) for t in self.trendelenburg),
            single_leg_squat=tuple(cs.SquatResult(**q.model_dump()) for q in self.single_leg_squat),
            side_bridge=cs.SideBridgeResult(**self.side_bridge.model_dump()) if self.side_bridge else None,
            dynamometry=self.dynamometry.to_core() if self.dynamometry else None,
            provocation=tuple(cs.PainProvocation(p.test, p.side, p.painful) for p in self.provocation),
        )


class IntakeIn(_Strict):
    name: str | None = None
    runner: RunnerIn
    running: RunningIn
    recent_changes: list[ChangeIn] = []
    context: ContextIn = ContextIn()
    lifestyle: LifestyleIn = LifestyleIn()
    injury_history: list[str] = []
    diagnosed_conditions: list[Id] = []
    symptoms: SymptomsIn = SymptomsIn()
    availability: AvailabilityIn = AvailabilityIn()
    goals: list[str] = []
    red_flags: RedFlagsIn = RedFlagsIn()
    tests: TestsIn | None = None

    def _to_core_answers(self) -> core.Intake:
        s = self.symptoms
        return core.Intake(
            name=self.name,
            runner=core.Runner(**self.runner.model_dump()),
            volume=core.RunningVolume(**self.running.model_dump()),
            recent_changes=tuple(core.RecentChange(**c.model_dump()) for c in self.recent_changes),
            context=core.TrainingContext(
                surfaces=tuple(self.context.surfaces),
                footwear_change=self.context.footwear_change,
                hills_or_stairs=self.context.hills_or_stairs,
                change_of_direction_sports=tuple(self.context.change_of_direction_sports),
            ),
            lifestyle=core.Lifestyle(**self.lifestyle.model_dump()),
            injury_history=tuple(self.injury_history),
            diagnosed_conditions=tuple(self.diagnosed_conditions),
            symptoms=core.Symptoms(
                regions=tuple(r.value for r in s.regions),
                side=s.side,
                pain_rest_0_10=s.pain_rest_0_10,
                pain_running_0_10=s.pain_running_0_10,
                pain_night_0_10=s.pain_night_0_10,
                duration_weeks=s.duration_weeks,
                aggravators=tuple(s.aggravators),
            ),
            availability=core.Availability(
                equipment=tuple(e.value for e in self.availability.equipment),
                sessions_per_week=self.availability.sessions_per_week,
                minutes_per_session=self.availability.minutes_per_session,
            ),
            goals=tuple(self.goals),
            red_flags=core.RedFlagAnswers(**self.red_flags.model_dump()),
        )

    def to_core(self) -> core.Intake:
        """The core intake with its red flags raised by the knowledge base's rules."""
        return core.with_red_flags(self._to_core_answers(), red_flag_rules())


class SetIn(_Strict):
    reps: int | None = Field(default=None, ge=0, le=200)
    load_kg: float = Field(default=0.0, ge=0, le=500)
    hold_s: float | None = Field(default=None, ge=0, le=600)
    support: str = "none"
    rpe: float | None = Field(default=None, ge=0, le=10)
    pain_during_0_10: Pain = PainField


class ExerciseLogIn(_Strict):
    exercise: Id
    sets: list[SetIn] = Field(min_length=1)
    pain_next_morning_0_10: float | None = Field(default=None, ge=0, le=10)
    baseline_pain_0_10: Pain = PainField


class SessionIn(_Strict):
    date: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")  # stored as "YYYY-MM-DD"
    exercises: list[ExerciseLogIn] = Field(min_length=1)

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: object) -> object:
        """An unquoted YAML date (``date: 2025-03-03``, read as a date object) is kept as its ISO text."""
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        return value.strip() if isinstance(value, str) else value

    @field_validator("date")
    @classmethod
    def _real_date(cls, value: str) -> str:
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a real calendar date (YYYY-MM-DD)") from None
        return value

    def to_core(self) -> SessionLog:
        return SessionLog(
            date=self.date,
            exercises=tuple(
                ExerciseLog(
                    exercise_id=e.exercise,
                    sets=tuple(SetLog(**s.model_dump()) for s in e.sets),
                    pain_next_morning_0_10=e.pain_next_morning_0_10,
                    baseline_pain_0_10=e.baseline_pain_0_10,
                )
                for e in self.exercises
            ),
        )


class LogbookIn(_Strict):
    sessions: list[SessionIn] = []


def read_document(path: Path, kind: str = "document") -> Any:
    """YAML or JSON (JSON is YAML), with the file named in every error.

    Read through :mod:`glutemed.io.safe_read`: regular files only, a size cap, UTF-8, no anchors or aliases,
    no duplicate keys, a nesting limit and bounded integers.
    """
    try:
        return read_yaml(path, kind, "YAML/JSON document")
    except FileInputError as exc:
        raise InputFileError(str(exc)) from None


def offending_input(err: Any) -> str:
    """The offending input of one validation error, quoted short (never the repr of a big structure)."""
    if err["type"] == "missing" or isinstance(err["input"], dict):
        return ""
    return f" (got {short(err['input'])})"


def validate(model: type[M], data: Any, source: str) -> M:
    if not isinstance(data, dict):
        raise InputFileError(f"{source}: expected a mapping at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        errors = exc.errors()
        for err in errors[:10]:
            field = ".".join(str(part)[:40] for part in err["loc"])
            problems.append(f"{field or '(top level)'}: {err['msg']}{offending_input(err)}")
        if len(errors) > 10:
            problems.append(f"and {len(errors) - 10} more problems")
        raise InputFileError(f"{source}: " + "; ".join(problems)) from None


def load_intake(path: Path) -> IntakeIn:
    return validate(IntakeIn, read_document(path), str(path))


def load_tests(path: Path) -> TestsIn:
    return validate(TestsIn, read_document(path), str(path))


def load_logbook(path: Path) -> LogbookIn:
    if not path.exists():
        return LogbookIn()
    return validate(LogbookIn, read_document(path, "logbook"), str(path))


def load_session(path: Path) -> SessionIn:
    return validate(SessionIn, read_document(path), str(path))
