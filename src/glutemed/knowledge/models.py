"""Typed schema of the gluteus medius knowledge base.

Every data file under ``glutemed/knowledge/data`` is parsed into these models on load. Models forbid unknown
fields, so a typo in a data file fails loudly instead of being ignored. Cross-file rules (ids resolve,
progressions form no cycle, every number cites a reference) live in :mod:`glutemed.knowledge.validate`.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", min_length=2, max_length=80)]
RefKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*[0-9]{4}[a-z]?$")]
Text = Annotated[str, StringConstraints(min_length=3, strip_whitespace=True)]
Unit = Annotated[str, StringConstraints(min_length=1, max_length=24, strip_whitespace=True)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Verification(StrEnum):
    """How well a number was checked against its source (see docs/knowledge-base.md)."""

    VERIFIED = "verified"  # read in the paper's abstract, full text or table
    SECONDARY = "secondary"  # seen only in a citing paper, review or summary
    UNVERIFIED = "unverified"  # recalled, not yet checked against the paper: shown with a warning


class Cited(Strict):
    """A statement or number with the reference that supports it."""

    ref: RefKey
    verification: Verification
    note: str | None = None


# ---------------------------------------------------------------------------------------------- references


def _surname(author: str) -> str:
    """'dos Santos AF' -> 'dos Santos': authors are stored as surname then initials."""
    words = author.split()
    if len(words) > 1 and words[-1].replace("-", "").isupper() and len(words[-1]) <= 4:
        return " ".join(words[:-1])
    return author


class Reference(Strict):
    key: RefKey
    authors: list[Text] = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    title: Text
    journal: Text
    volume: str | None = None
    pages: str | None = None
    doi: str | None = None
    url: str | None = None
    kind: Literal["paper", "review", "guideline", "article", "book", "dataset"] = "paper"
    note: str | None = None

    @model_validator(mode="after")
    def _doi_shape(self) -> Self:
        if self.doi is not None and not re.match(r"^10\.\d{4,9}/\S+$", self.doi):
            raise ValueError(f"reference {self.key}: DOI {self.doi!r} does not look like 10.NNNN/...")
        return self

    def citation(self) -> str:
        first = _surname(self.authors[0])
        if len(self.authors) > 2:
            names = f"{first} et al."
        elif len(self.authors) == 2:
            names = f"{first} & {_surname(self.authors[1])}"
        else:
            names = first
        title = self.title if self.title.endswith(("?", "!", ".")) else f"{self.title}."
        parts = [f"{names} ({self.year}). {title} {self.journal}"]
        if self.volume:
            parts.append(f" {self.volume}")
        if self.pages:
            parts.append(f":{self.pages}")
        if self.doi:
            parts.append(f". doi:{self.doi}")
        return "".join(parts)


# ------------------------------------------------------------------------------------------------- muscles


class MuscleRelationKind(StrEnum):
    SELF = "self"
    SYNERGIST = "synergist"
    ANTAGONIST = "antagonist"
    INHIBITOR = "inhibitor"  # inhibits the gluteus medius when overactive or short
    COMPENSATOR = "compensator"  # takes over when the gluteus medius is weak


class MuscleRelation(Strict):
    kind: MuscleRelationKind
    explanation: Text


class MuscleAction(Strict):
    action: Text
    fibres: str | None = None  # e.g. "anterior fibres"
    condition: str | None = None  # e.g. "with the hip flexed"


class Nerve(Strict):
    name: Text
    roots: list[Annotated[str, StringConstraints(pattern=r"^(T([1-9]|1[0-2])|L[1-5]|S[1-5])$")]] = Field(
        min_length=1
    )


class MusclePart(Strict):
    name: Text
    description: Text


class Muscle(Strict):
    id: Id
    name: Text
    aliases: list[str] = []
    parts: list[MusclePart] = []
    origin: Text
    insertion: Text
    actions: list[MuscleAction] = Field(min_length=1)
    nerve: Nerve
    relations: list[MuscleRelation] = Field(min_length=1)
    notes: list[str] = []
    refs: list[RefKey] = []


# ----------------------------------------------------------------------------------------------- exercises


class Stage(StrEnum):
    """The staged order of gluteus medius training, from release to running."""

    RELEASE = "release"
    STRETCH = "stretch"
    ACTIVATION = "activation"
    ISOLATED_STRENGTH = "isolated-strength"
    COMPOUND_STABILISER = "compound-stabiliser"
    MOTOR_CONTROL = "motor-control"
    RUNNING_INTEGRATION = "running-integration"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)
SOFT_TISSUE_STAGES = frozenset({Stage.RELEASE, Stage.STRETCH})


class Family(StrEnum):
    """Equipment families as the functional-anatomy guide groups gluteus medius exercises."""

    DUMBBELL = "dumbbell"
    CABLE = "cable"
    MACHINE = "machine"
    BAND_OTHER = "band-other"
    WEIGHTED = "weighted"
    BODYWEIGHT = "bodyweight"
    ISOMETRIC = "isometric"
    SOFT_TISSUE = "soft-tissue"  # stretches and self-release


class Equipment(StrEnum):
    NONE = "none"
    MAT = "mat"
    WALL = "wall"
    CHAIR = "chair"
    STEP = "step"
    BENCH = "bench"
    MINI_BAND = "mini-band"
    LONG_BAND = "long-band"
    DUMBBELL = "dumbbell"
    KETTLEBELL = "kettlebell"
    BARBELL = "barbell"
    CABLE = "cable"
    MACHINE = "machine"
    ANKLE_WEIGHT = "ankle-weight"
    WEIGHT_PLATE = "weight-plate"
    WEIGHT_VEST = "weight-vest"
    SLIDER = "slider"
    FOAM_ROLLER = "foam-roller"
    MASSAGE_BALL = "massage-ball"
    STRAP = "strap"
    TREADMILL = "treadmill"
    METRONOME = "metronome"
    MIRROR = "mirror"


BODYWEIGHT_EQUIPMENT = frozenset(
    {Equipment.NONE, Equipment.MAT, Equipment.WALL, Equipment.CHAIR, Equipment.STEP, Equipment.MIRROR}
)


class Position(StrEnum):
    SUPINE = "supine"
    PRONE = "prone"
    SIDE_LYING = "side-lying"
    QUADRUPED = "quadruped"
    KNEELING = "kneeling"
    HALF_KNEELING = "half-kneeling"
    SEATED = "seated"
    STANDING = "standing"
    SINGLE_LEG_STANDING = "single-leg-standing"
    SIDE_PLANK = "side-plank"
    FRONT_PLANK = "front-plank"
    WALKING = "walking"
    RUNNING = "running"


class LoadTag(StrEnum):
    """What an exercise does to the tissues; conditions list the tags they must avoid."""

    SUSTAINED_HIP_ADDUCTION = "sustained-hip-adduction"
    LATERAL_HIP_COMPRESSION = "lateral-hip-compression"  # e.g. lying on the painful side, side plank on it
    HIP_ADDUCTION_STRETCH = "hip-adduction-stretch"
    HIP_FLEXOR_DOMINANT = "hip-flexor-dominant"
    ADDUCTOR_DOMINANT = "adductor-dominant"
    TFL_DOMINANT = "tfl-dominant"
    HIGH_IMPACT = "high-impact"
    DEEP_HIP_FLEXION = "deep-hip-flexion"
    KNEE_FLEXION_LOADED = "knee-flexion-loaded"  # deep loaded knee flexion, irritates PFP
    CALF_LOADED = "calf-loaded"
    SPINAL_LOAD = "spinal-load"
    BALANCE_DEMAND = "balance-demand"

    @property
    def label(self) -> str:
        """What the tag means, in words a runner reads (handouts never show the tag itself)."""
        return LOAD_TAG_LABELS[self]


LOAD_TAG_LABELS: dict[LoadTag, str] = {
    LoadTag.SUSTAINED_HIP_ADDUCTION: "holds the thigh drawn in across the body",
    LoadTag.LATERAL_HIP_COMPRESSION: "presses on the outside of the hip (for example lying on that side)",
    LoadTag.HIP_ADDUCTION_STRETCH: "stretches the thigh in across the body",
    LoadTag.HIP_FLEXOR_DOMINANT: "works mainly the muscles at the front of the hip",
    LoadTag.ADDUCTOR_DOMINANT: "works mainly the inner-thigh muscles",
    LoadTag.TFL_DOMINANT: "works mainly the muscle at the front and outside of the hip (TFL)",
    LoadTag.HIGH_IMPACT: "involves hard landings (hops and jumps)",
    LoadTag.DEEP_HIP_FLEXION: "bends the hip deeply",
    LoadTag.KNEE_FLEXION_LOADED: "bends the knee deeply under load",
    LoadTag.CALF_LOADED: "loads the calf",
    LoadTag.SPINAL_LOAD: "loads the spine",
    LoadTag.BALANCE_DEMAND: "needs good balance on one leg",
}


class EmgValue(Strict):
    """Gluteus medius activation during the exercise in a named study."""

    pct_mvic: float = Field(gt=0, le=250)
    sd: float | None = Field(default=None, ge=0)
    ref: RefKey
    verification: Verification
    method: str | None = None  # e.g. "surface EMG, peak RMS", "fine-wire, mean"
    variant: str | None = None  # the exact variant measured


class TflIndex(Strict):
    """Gluteal-to-TFL activation index (Selkowitz 2013): higher means more gluteal, less TFL."""

    value: float = Field(gt=0, le=300)
    ref: RefKey
    verification: Verification
    variant: str | None = None


class Dose(Strict):
    """Default dose with the range the programme may move it in. Exactly one of reps or hold_s."""

    sets: int = Field(ge=1, le=10)
    sets_range: tuple[int, int]
    reps: int | None = Field(default=None, ge=1, le=100)
    reps_range: tuple[int, int] | None = None
    hold_s: int | None = Field(default=None, ge=1, le=600)
    hold_s_range: tuple[int, int] | None = None
    distance: str | None = None  # e.g. "10 steps each way", "2 x 20 m"
    per_side: bool
    tempo: str | None = Field(default=None, pattern=r"^\d+-\d+-\d+$")  # lift-pause-lower seconds
    rest_s: int = Field(ge=0, le=600)
    sessions_per_week: int = Field(ge=1, le=14)
    sessions_per_week_range: tuple[int, int]
    basis: Cited | None = None  # where the dose comes from, when a source prescribes it

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.reps is None) == (self.hold_s is None):
            raise ValueError("a dose needs exactly one of reps or hold_s")
        pairs: list[tuple[str, int | None, tuple[int, int] | None]] = [
            ("sets", self.sets, self.sets_range),
            ("reps", self.reps, self.reps_range),
            ("hold_s", self.hold_s, self.hold_s_range),
            ("sessions_per_week", self.sessions_per_week, self.sessions_per_week_range),
        ]
        for name, value, bounds in pairs:
            if value is None:
                if bounds is not None:
                    raise ValueError(f"{name}_range given without {name}")
                continue
            if bounds is None:
                raise ValueError(f"{name} needs {name}_range")
            low, high = bounds
            if not low <= value <= high:
                raise ValueError(f"{name}={value} lies outside {name}_range {list(bounds)}")
        return self


class CautionLevel(StrEnum):
    AVOID = "avoid"
    MODIFY = "modify"


class Caution(Strict):
    condition: Id
    level: CautionLevel
    reason: Text
    ref: RefKey | None = None


class Exercise(Strict):
    id: Id
    name: Text
    aliases: list[str] = []
    family: Family
    equipment: list[Equipment] = Field(min_length=1)
    stage: Stage
    position: Position
    primary_muscles: list[Id] = Field(min_length=1)
    secondary_muscles: list[Id] = []
    emg: list[EmgValue] = []
    tfl_index: list[TflIndex] = []
    dose: Dose
    instructions: list[Text] = Field(min_length=2)
    cues: list[Text] = Field(min_length=1)
    tfl_cues: list[Text] = []  # cues that keep the tensor fasciae latae out
    common_errors: list[Text] = Field(min_length=1)
    regressions: list[Id] = []
    progressions: list[Id] = []
    load_tags: list[LoadTag] = []
    cautions: list[Caution] = []
    # soft-tissue work only
    tool: Equipment | None = None
    trigger_point_regions: list[Text] = []
    sources: list[RefKey] = Field(min_length=1)  # where the exercise and its description come from

    @property
    def is_bodyweight(self) -> bool:
        return all(item in BODYWEIGHT_EQUIPMENT for item in self.equipment)

    @property
    def best_gmed_emg(self) -> EmgValue | None:
        return max(self.emg, key=lambda value: value.pct_mvic, default=None)

    @property
    def best_tfl_index(self) -> TflIndex | None:
        return max(self.tfl_index, key=lambda value: value.value, default=None)

    @model_validator(mode="after")
    def _soft_tissue_fields(self) -> Self:
        soft = self.stage in SOFT_TISSUE_STAGES
        if soft != (self.family is Family.SOFT_TISSUE):
            raise ValueError(
                f"exercise {self.id}: family soft-tissue goes with stage release or stretch only"
            )
        if self.stage is Stage.RELEASE and self.tool is None:
            raise ValueError(f"exercise {self.id}: a release technique names its tool")
        if self.id in self.regressions or self.id in self.progressions:
            raise ValueError(f"exercise {self.id}: lists itself as its own regression or progression")
        return self


class RoutineItem(Strict):
    exercise: Id
    dose: Text
    why: Text


class Routine(Strict):
    id: Id
    name: Text
    purpose: Text
    items: list[RoutineItem] = Field(min_length=1)
    sources: list[RefKey] = Field(min_length=1)


# ------------------------------------------------------------------------------------------ clinical tests


class Contraction(StrEnum):
    """How the strength was produced: held against the examiner, or overcome by the examiner."""

    ISOMETRIC = "isometric"  # "make" test: the person pushes, the examiner or device holds still
    ECCENTRIC = "eccentric"  # "break" test: the examiner overcomes the person's maximal push


class DynamometryPosition(StrEnum):
    SIDE_LYING = "side-lying"
    SUPINE = "supine"
    STANDING = "standing"


class Dynamometer(StrEnum):
    HAND_HELD = "hand-held"  # held by the examiner (an "instrumented manual muscle tester")
    FIXED = "fixed"  # fixed to a frame, belt or machine (isokinetic, electromechanical, belt-stabilised)


class DynamometryProtocol(Strict):
    """How a strength value was measured. Values from different protocols are not interchangeable: in one study
    side-lying abduction force was about 30% higher than standing and 27% higher than supine (Cerda Vega 2018).
    """

    contraction: Contraction
    position: DynamometryPosition
    device: Dynamometer
    verification: Verification  # how well the protocol itself (not the numbers) was checked in the source
    note: str | None = None

    def describe(self) -> str:
        test = "make" if self.contraction is Contraction.ISOMETRIC else "break"
        return (
            f"{self.contraction.value} ({test} test), {self.position.value}, {self.device.value} dynamometer"
        )


class NormValue(Strict):
    population: Text
    mean: float
    sd: float | None = Field(default=None, ge=0)
    unit: Unit
    ref: RefKey
    verification: Verification
    protocol: DynamometryProtocol | None = None  # strength norms only
    note: str | None = None


class NormEquation(Strict):
    """norm = intercept + age_coef * age + male_coef * (1 if male else 0), with the residual SD.

    ``protocol`` says how the strength behind the equation was measured; a value measured another way must not be
    held against it.
    """

    intercept: float
    age_coef: float
    male_coef: float
    sd: float = Field(gt=0)
    unit: Unit
    population: Text
    ref: RefKey
    verification: Verification
    protocol: DynamometryProtocol | None = None

    def predict(self, *, age_years: float, male: bool) -> float:
        return self.intercept + self.age_coef * age_years + (self.male_coef if male else 0.0)


class Reliability(Strict):
    statistic: Literal["ICC", "kappa", "SEM", "SDD", "MDC", "CV", "r", "variation"]
    low: float
    high: float
    unit: str | None = None
    context: Text
    ref: RefKey
    verification: Verification
    protocol: DynamometryProtocol | None = None  # strength tests: the protocol the figure belongs to

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.low > self.high:
            raise ValueError("reliability low is greater than high")
        return self


class Accuracy(Strict):
    target: Text
    sensitivity_pct: float | None = Field(default=None, ge=0, le=100)
    specificity_pct: float | None = Field(default=None, ge=0, le=100)
    ref: RefKey
    verification: Verification
    note: str | None = None


class ClinicalTest(Strict):
    id: Id
    name: Text
    aliases: list[str] = []
    purpose: Text
    procedure: list[Text] = Field(min_length=2)
    scoring: Text
    positive_if: Text
    unit: str | None = None
    norms: list[NormValue] = []
    norm_equation: NormEquation | None = None
    reliability: list[Reliability] = []
    accuracy: list[Accuracy] = []
    related_conditions: list[Id] = []
    refs: list[RefKey] = Field(min_length=1)


# ---------------------------------------------------------------------------- conditions, risks, red flags


class PainRegion(StrEnum):
    LATERAL_HIP = "lateral-hip"
    BUTTOCK = "buttock"
    ANTERIOR_KNEE = "anterior-knee"
    LATERAL_KNEE = "lateral-knee"
    CALF = "calf"
    ACHILLES = "achilles"
    SHIN = "shin"
    LOW_BACK = "low-back"


class EvidenceStrength(StrEnum):
    STRONG = "strong"
    MODERATE = "moderate"
    LIMITED = "limited"
    WEAK = "weak"
    CONFLICTING = "conflicting"
    NONE = "none"  # studied and not supported


class Condition(Strict):
    id: Id
    name: Text
    aliases: list[str] = []
    regions: list[PainRegion] = Field(min_length=1)
    description: Text
    presentation: list[Text] = Field(min_length=1)
    linked_faults: list[Id] = []
    linked_risk_factors: list[Id] = []
    avoid_load_tags: list[LoadTag] = []
    management: list[Text] = []
    evidence: Text
    refs: list[RefKey] = Field(min_length=1)


class RiskFactor(Strict):
    id: Id
    name: Text
    description: Text
    modifiable: bool
    evidence_strength: EvidenceStrength
    evidence_summary: Text
    linked_conditions: list[Id] = []
    refs: list[RefKey] = Field(min_length=1)


# A fact a red flag can need: ``answer:<field of the intake's red_flags>`` or ``pain:<pain region>``.
RedFlagFact = Annotated[str, StringConstraints(pattern=r"^(answer:[a-z_]+|pain:[a-z0-9-]+)$")]
Urgency = Literal["emergency", "same-day", "within-days", "before-training"]


class RedFlag(Strict):
    """A red flag, when it is raised (``needs`` and the age limits, all data) and how the referral reads."""

    id: Id
    name: Text
    description: Text
    why_refer: Text
    # Every inner list must hold; an inner list holds when any of its facts is true.
    needs: list[list[RedFlagFact]] = Field(min_length=1)
    age_over_years: float | None = Field(default=None, ge=0, le=120)
    age_under_years: float | None = Field(default=None, ge=0, le=120)
    age_basis: Text | None = None  # where an age limit comes from (a source, or "glutemed's own default")
    urgency: Urgency
    bring: list[Text] = Field(min_length=1)  # what to take to the appointment
    refs: list[RefKey] = Field(min_length=1)

    @model_validator(mode="after")
    def _age_needs_basis(self) -> Self:
        has_age = self.age_over_years is not None or self.age_under_years is not None
        if has_age and not self.age_basis:
            raise ValueError(f"red flag {self.id}: an age limit needs age_basis (its source)")
        for group in self.needs:
            if not group:
                raise ValueError(f"red flag {self.id}: an empty group in needs")
        return self
