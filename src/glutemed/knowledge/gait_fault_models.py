"""Gait faults of the knowledge base (knowledge/data/gait_faults.yaml): thresholds, reference populations, SDDs.

Split from models.py; validated like the rest of the knowledge base.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from glutemed.knowledge.models import Id, RefKey, Strict, Text, Unit, Verification

# ------------------------------------------------------------------------------------------- gait faults


class View(StrEnum):
    REAR = "rear"
    FRONT = "front"
    SIDE = "side"


class Direction(StrEnum):
    ABOVE = "above"  # values above the threshold are the fault
    BELOW = "below"


class ReferencePopulation(Strict):
    """Published values of the metric in uninjured runners: the band a healthy runner sits in."""

    mean: float
    sd: float = Field(gt=0)
    unit: Unit
    n: int | None = Field(default=None, gt=0)
    population: Text  # who was measured, how (2-D or 3-D), at what speed
    ref: RefKey
    verification: Verification


# How a verdict is reached: ``absolute`` holds each leg's value against the numbers; ``other-side`` holds the
# difference between the legs (the leg with more of the fault is the one flagged); ``information`` shows the
# value and never flags it (the metric is not valid enough to judge, e.g. 2-D knee valgus in running).
JudgedBy = Literal["absolute", "other-side", "information"]


class Threshold(Strict):
    """Where a metric turns from within to borderline to flagged, and why those numbers."""

    direction: Direction
    borderline: float
    flagged: float
    unit: Unit
    derivation: Text  # how the numbers follow from the source, in plain words
    ref: RefKey
    verification: Verification
    relative_to: JudgedBy = "absolute"
    own_default: bool = False  # True: glutemed's own default, not a number the source holds

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        ok = (
            self.borderline <= self.flagged
            if self.direction is Direction.ABOVE
            else self.borderline >= self.flagged
        )
        if not ok:
            raise ValueError("borderline must come before flagged in the threshold's direction")
        return self


class Sdd(Strict):
    value: float = Field(gt=0)
    unit: Unit
    context: Text
    ref: RefKey
    verification: Verification


class GaitFault(Strict):
    id: Id
    name: Text
    short_name: str | None = Field(default=None, max_length=24)  # for tables, e.g. "Stiff landing"
    metric_name: str | None = Field(default=None, max_length=32)  # plain name of the metric, e.g. "Knee bend"
    aliases: list[str] = Field(default_factory=list)
    definition: Text
    views: list[View] = Field(min_length=1)
    landmarks: list[Text] = Field(min_length=1)
    metric: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+$")]
    threshold: Threshold
    reference_population: ReferencePopulation | None = None
    sdd: Sdd | None = None
    linked_conditions: list[Id] = Field(default_factory=list)
    evidence: Text
    cues: list[Text] = Field(default_factory=list)
    refs: list[RefKey] = Field(min_length=1)
