"""Which stances the report and the overlay show for a fault: the worst one in the fault's direction, and a
typical one for comparison.

Pure and small on purpose: it takes one value per stance, the direction the fault departs to (``above``: too
much, e.g. sinking into the knee; ``below``: too little, e.g. a stiff landing) and the leg the fault was found
on. The worst stance is the leg's largest value for ``above`` and its smallest for ``below``; the typical
stance is the one of the same leg whose value lies closest to that leg's median (the earlier stance on a tie).
Stances of the other leg and stances without a finite value are never chosen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Direction = Literal["above", "below"]


@dataclass(frozen=True)
class StanceValue:
    """One stance's value of a metric; ``index`` is the stance's position in the recording's stance list."""

    index: int
    side: str
    value: float


@dataclass(frozen=True)
class ChosenStances:
    """The worst and the typical stance of one leg, with their step numbers among that leg's stances."""

    side: str
    direction: Direction
    worst: StanceValue
    typical: StanceValue
    worst_step: int  # 1-based position among the leg's measured stances, in time order
    typical_step: int
    leg_median: float
    n_stances: int  # stances of this leg with a finite value


def choose_stances(values: Sequence[StanceValue], *, direction: Direction, side: str) -> ChosenStances | None:
    """The stance of ``side`` that is worst in ``direction`` and the one closest to the leg's median.

    None when the leg has no stance with a finite value.
    """
    if direction not in ("above", "below"):
        raise ValueError(f"direction must be 'above' or 'below', not {direction!r}")
    leg = sorted((v for v in values if v.side == side and math.isfinite(v.value)), key=lambda v: v.index)
    if not leg:
        return None
    if direction == "above":
        worst = max(leg, key=lambda v: (v.value, -v.index))
    else:
        worst = min(leg, key=lambda v: (v.value, v.index))
    median = float(np.median([v.value for v in leg]))
    typical = min(leg, key=lambda v: (abs(v.value - median), v.index))
    step = {v.index: rank for rank, v in enumerate(leg, start=1)}
    return ChosenStances(
        side=side,
        direction=direction,
        worst=worst,
        typical=typical,
        worst_step=step[worst.index],
        typical_step=step[typical.index],
        leg_median=median,
        n_stances=len(leg),
    )
