"""Which stance the report and the overlay show: the worst one in the fault's own direction, on the flagged leg."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glutemed.core.stance_choice import StanceValue, choose_stances
from glutemed.core.stance_curves import normalise_stances, summarise

# knee bend peaks of ten alternating stances: the left leg bends 38-46 deg, the right leg 27-35 deg
LEFT = [41.0, 38.0, 46.0, 42.0, 40.0]
RIGHT = [31.0, 35.0, 27.0, 30.0, 33.0]


def _stances() -> list[StanceValue]:
    out = []
    for i, (left, right) in enumerate(zip(LEFT, RIGHT, strict=True)):
        out += [StanceValue(2 * i, "left", left), StanceValue(2 * i + 1, "right", right)]
    return out


def test_too_little_bend_on_the_right_picks_the_right_stance_with_the_least_bend() -> None:
    chosen = choose_stances(_stances(), direction="below", side="right")
    assert chosen is not None
    assert chosen.worst == StanceValue(5, "right", 27.0)  # least bend, not the most (35) nor a left stance
    assert chosen.worst_step == 3
    assert chosen.typical.side == "right"
    assert chosen.typical.value == 31.0  # the right leg's median
    assert chosen.n_stances == 5


def test_too_much_bend_on_the_left_picks_the_left_stance_with_the_most_bend() -> None:
    chosen = choose_stances(_stances(), direction="above", side="left")
    assert chosen is not None
    assert chosen.worst == StanceValue(4, "left", 46.0)
    assert chosen.typical == StanceValue(0, "left", 41.0)
    assert chosen.leg_median == 41.0


@pytest.mark.parametrize(
    ("direction", "side", "value"),
    [("above", "left", 46.0), ("below", "left", 38.0), ("above", "right", 35.0), ("below", "right", 27.0)],
)
def test_both_directions_on_both_legs(direction: str, side: str, value: float) -> None:
    chosen = choose_stances(_stances(), direction=direction, side=side)  # type: ignore[arg-type]
    assert chosen is not None
    assert chosen.worst.side == side
    assert chosen.worst.value == value


def test_stances_without_a_value_are_never_chosen() -> None:
    values = [*_stances(), StanceValue(10, "right", math.nan), StanceValue(11, "right", -math.inf)]
    chosen = choose_stances(values, direction="below", side="right")
    assert chosen is not None
    assert chosen.worst.value == 27.0
    assert choose_stances([StanceValue(0, "left", math.nan)], direction="above", side="left") is None
    assert choose_stances(_stances(), direction="above", side="both") is None


def test_ties_go_to_the_earlier_stance() -> None:
    values = [StanceValue(0, "left", 30.0), StanceValue(2, "left", 30.0), StanceValue(4, "left", 20.0)]
    chosen = choose_stances(values, direction="above", side="left")
    assert chosen is not None
    assert chosen.worst.index == 0
    assert chosen.typical.index == 0  # both 30s are the median; the earlier wins


def test_an_unknown_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="direction"):
        choose_stances(_stances(), direction="sideways", side="left")  # type: ignore[arg-type]


def test_stance_curves_are_normalised_from_strike_to_toe_off() -> None:
    times = np.arange(0.0, 2.0, 0.01)
    signal = np.sin(np.pi * (times % 0.5) / 0.5) * 40.0  # one 0-40-0 hump per 0.5 s
    curves = normalise_stances(signal, times, [(0.0, 0.49), (0.5, 0.99), (1.0, 1.49)], n_points=11)
    assert curves.shape == (3, 11)
    summary = summarise(curves)
    assert summary is not None
    assert summary.n_stances == 3
    assert summary.percent[[0, -1]].tolist() == [0.0, 100.0]
    assert summary.peak == pytest.approx(40.0, abs=0.5)
    assert np.all(summary.low <= summary.median + 1e-9)
    assert np.all(summary.median <= summary.high + 1e-9)
    rises = normalise_stances(signal + 5.0, times, [(0.1, 0.4)], relative_to_strike=True)
    assert rises[0, 0] == 0.0
    assert summarise(normalise_stances(signal, times, [(1.0, 0.5)])) is None  # a window backwards is skipped
