"""What a runner tells us before any test: body, running, life, symptoms, time and equipment.

Plain frozen dataclasses. Validation of files lives in ``glutemed.services.intake_schema``; these types
assume their values were checked there (pain 0-10, mass > 0 and so on).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Literal, get_args

Sex = Literal["female", "male"]
Side = Literal["left", "right", "both"]

PAIN_REGIONS: tuple[str, ...] = (
    "lateral-hip",
    "buttock",
    "anterior-knee",
    "lateral-knee",
    "calf",
    "achilles",
    "shin",
    "low-back",
)
Aggravator = Literal["lying-on-side", "stairs", "crossing-legs", "sitting", "hills", "running", "standing"]
AGGRAVATORS: tuple[str, ...] = get_args(Aggravator)
CHANGE_KINDS: tuple[str, ...] = ("speed", "distance", "frequency")


@dataclass(frozen=True)
class Runner:
    age_years: float
    sex: Sex
    height_cm: float
    mass_kg: float

    @property
    def male(self) -> bool:
        return self.sex == "male"


@dataclass(frozen=True)
class RunningVolume:
    km_per_week: float
    sessions_per_week: int
    minutes_per_week: float
    pace_min_per_km: float | None = None


@dataclass(frozen=True)
class RecentChange:
    kind: str  # one of CHANGE_KINDS
    change_pct: float
    weeks_ago: float | None = None


@dataclass(frozen=True)
class TrainingContext:
    surfaces: tuple[str, ...] = ()
    footwear_change: bool = False
    hills_or_stairs: bool = False
    change_of_direction_sports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lifestyle:
    sitting_h_per_day: float = 0.0
    standing_h_per_day: float = 0.0
    stands_hung_on_one_hip: bool = False


@dataclass(frozen=True)
class Symptoms:
    regions: tuple[str, ...] = ()  # PainRegion values
    side: Side | None = None
    pain_rest_0_10: float = 0.0
    pain_running_0_10: float = 0.0
    pain_night_0_10: float = 0.0
    duration_weeks: float = 0.0
    aggravators: tuple[str, ...] = ()

    @property
    def any_pain(self) -> bool:
        return bool(self.regions) or max(self.pain_rest_0_10, self.pain_running_0_10) > 0


@dataclass(frozen=True)
class RedFlagAnswers:
    """Answers that stop the program and send the runner to a clinician."""

    night_pain_unrelated_to_position: bool = False
    unexplained_weight_loss: bool = False
    fever: bool = False
    trauma: bool = False
    numbness_or_weakness: bool = False
    bladder_or_bowel_change: bool = False

    @property
    def present(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if getattr(self, f.name))


@dataclass(frozen=True)
class Availability:
    equipment: tuple[str, ...] = ("none",)  # Equipment values
    sessions_per_week: int = 2
    minutes_per_session: float = 20.0


@dataclass(frozen=True)
class Intake:
    runner: Runner
    volume: RunningVolume
    symptoms: Symptoms = field(default_factory=Symptoms)
    availability: Availability = field(default_factory=Availability)
    recent_changes: tuple[RecentChange, ...] = ()
    context: TrainingContext = field(default_factory=TrainingContext)
    lifestyle: Lifestyle = field(default_factory=Lifestyle)
    injury_history: tuple[str, ...] = ()
    diagnosed_conditions: tuple[str, ...] = ()  # condition ids a clinician has named
    goals: tuple[str, ...] = ()
    red_flags: RedFlagAnswers = field(default_factory=RedFlagAnswers)
    name: str | None = None

    @property
    def largest_recent_change_pct(self) -> float | None:
        return max((c.change_pct for c in self.recent_changes), default=None)
