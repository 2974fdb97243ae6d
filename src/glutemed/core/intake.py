"""What a runner tells us before any test: body, running, life, symptoms, time and equipment.

Plain frozen dataclasses. Validation of files lives in ``glutemed.services.intake_schema``; these types
assume their values were checked there (pain 0-10, mass > 0 and so on).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
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
    """Answers that can stop the program and send the runner to a clinician.

    Which answers (alone or combined with age and the pain map) raise which red flag is data
    (``red_flags.yaml``); :func:`with_red_flags` fills ``raised`` from those rules. Until it has run,
    ``present`` counts every "yes" as a red flag, the cautious reading.
    """

    night_pain_unrelated_to_position: bool = False
    unexplained_weight_loss: bool = False
    fever: bool = False
    trauma: bool = False
    numbness_or_weakness: bool = False
    bladder_or_bowel_change: bool = False
    history_of_cancer: bool = False
    systemic_corticosteroids: bool = False  # tablets or injections of steroid medicine for weeks or more
    immunosuppression: bool = False
    groin_pain_on_loading: bool = False  # deep groin pain on running, hopping or standing on the leg
    missed_periods: bool = False  # three or more months without a period, or none by age 15
    low_energy_availability: bool = False  # eating too little for the training, or an eating disorder
    raised: tuple[str, ...] | None = None  # red-flag ids raised by the rules; None: rules not applied yet

    @property
    def answered_yes(self) -> tuple[str, ...]:
        return tuple(f.name for f in fields(self) if f.name != "raised" and getattr(self, f.name) is True)

    @property
    def present(self) -> tuple[str, ...]:
        return self.raised if self.raised is not None else self.answered_yes


RED_FLAG_ANSWERS: tuple[str, ...] = tuple(f.name for f in fields(RedFlagAnswers) if f.name != "raised")


@dataclass(frozen=True)
class RedFlagRuleView:
    """When one red flag is raised: every group in ``needs`` holds (a group holds when any of its facts is
    true) and the age limits are met. A fact is ``answer:<red-flag answer>`` or ``pain:<pain region>``."""

    id: str
    needs: tuple[tuple[str, ...], ...]
    age_over_years: float | None = None
    age_under_years: float | None = None


def _fact(intake: Intake, fact: str) -> bool:
    kind, _, name = fact.partition(":")
    if kind == "answer":
        return bool(getattr(intake.red_flags, name, False))
    if kind == "pain":
        return name in intake.symptoms.regions
    raise ValueError(f"unknown red-flag fact '{fact}' (expected answer:... or pain:...)")


def rule_raised(intake: Intake, rule: RedFlagRuleView) -> bool:
    age = intake.runner.age_years
    if rule.age_over_years is not None and not age > rule.age_over_years:
        return False
    if rule.age_under_years is not None and not age < rule.age_under_years:
        return False
    return all(any(_fact(intake, fact) for fact in group) for group in rule.needs)


def with_red_flags(intake: Intake, rules: tuple[RedFlagRuleView, ...]) -> Intake:
    """The intake with ``red_flags.raised`` set to the ids of the rules its answers meet."""
    raised = tuple(rule.id for rule in rules if rule_raised(intake, rule))
    return replace(intake, red_flags=replace(intake.red_flags, raised=raised))


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
