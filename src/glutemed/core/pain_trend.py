"""Week-on-week trend of next-morning pain and stiffness (pure).

The pain-monitoring model (silbernagel2007) lets pain during exercise rise to a limit, asks that it settles by
the next morning, and asks that pain and stiffness do not increase from week to week. This module groups the
runner's next-morning answers by ISO week, compares the weekly means and says whether they are rising. A rise
caps the exercise decisions: at most "hold" after one rising week, "regress" after ``regress_after_rising_weeks``
rising weeks in a row. The margin, the answers a week needs and the two-week regress are glutemed's own
defaults (see ``weekly_pain_trend`` in ``knowledge/data/rules/progression.yaml``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Status = Literal["rising", "steady", "not-enough-data"]
Cap = Literal["hold", "regress"]


@dataclass(frozen=True)
class TrendRules:
    margin_0_10: float  # a weekly mean must exceed the previous week's by more than this to count as a rise
    min_days_per_week: int  # next-morning answers a week needs before its mean is used
    regress_after_rising_weeks: int  # rising weeks in a row that turn the cap from hold into regress
    include_stiffness: bool
    refs: tuple[str, ...]


@dataclass(frozen=True)
class MorningAnswer:
    day: dt.date  # the day of the session the answer is about (the morning after it)
    pain_0_10: float | None = None
    stiffness_0_10: float | None = None


@dataclass(frozen=True)
class WeekMeans:
    monday: dt.date  # the Monday of the ISO week
    iso_year: int
    iso_week: int
    pain_days: int
    pain_mean: float | None
    stiffness_days: int
    stiffness_mean: float | None


@dataclass(frozen=True)
class PainTrend:
    weeks: tuple[WeekMeans, ...]  # every week with an answer, oldest first
    status: Status
    rising_weeks: int  # rises in a row ending at the latest usable week
    cap: Cap | None  # the most an exercise decision may be: None when nothing is capped
    text: str  # clinical wording with the numbers
    plain_text: str  # for the runner
    refs: tuple[str, ...]

    @property
    def rising(self) -> bool:
        return self.status == "rising"


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def weekly_means(answers: Iterable[MorningAnswer]) -> tuple[WeekMeans, ...]:
    """Mean next-morning pain and stiffness per ISO week (Monday to Sunday), oldest week first."""
    pain: dict[dt.date, list[float]] = {}
    stiff: dict[dt.date, list[float]] = {}
    for a in answers:
        monday = a.day - dt.timedelta(days=a.day.weekday())
        pain.setdefault(monday, [])
        stiff.setdefault(monday, [])
        if a.pain_0_10 is not None:
            pain[monday].append(a.pain_0_10)
        if a.stiffness_0_10 is not None:
            stiff[monday].append(a.stiffness_0_10)
    out = []
    for monday in sorted(pain):
        iso = monday.isocalendar()
        p, s = pain[monday], stiff[monday]
        if not p and not s:
            continue
        out.append(WeekMeans(monday, iso.year, iso.week, len(p), _mean(p), len(s), _mean(s)))
    return tuple(out)


def _rose(week: WeekMeans, before: WeekMeans, rules: TrendRules) -> list[tuple[str, float, float]]:
    """The measures that rose by more than the margin from ``before`` to ``week``: (name, before, now)."""
    out = []
    pairs = [("pain", week.pain_mean, week.pain_days, before.pain_mean, before.pain_days)]
    if rules.include_stiffness:
        pairs.append(
            (
                "stiffness",
                week.stiffness_mean,
                week.stiffness_days,
                before.stiffness_mean,
                before.stiffness_days,
            )
        )
    for name, now, now_n, then, then_n in pairs:
        if now is None or then is None or now_n < rules.min_days_per_week or then_n < rules.min_days_per_week:
            continue
        if now - then > rules.margin_0_10:
            out.append((name, then, now))
    return out


def _usable(week: WeekMeans, rules: TrendRules) -> bool:
    return week.pain_days >= rules.min_days_per_week or (
        rules.include_stiffness and week.stiffness_days >= rules.min_days_per_week
    )


def _label(week: WeekMeans) -> str:
    return f"week of {week.monday.isoformat()}"


def pain_trend(answers: Iterable[MorningAnswer], rules: TrendRules) -> PainTrend:
    """Compare the latest usable week with the calendar week before it, and count rises in a row.

    The latest usable week is the current week (the week of the last answer) when it already holds
    ``min_days_per_week`` answers, otherwise the week before it. A week without enough answers breaks the
    comparison: no rise is claimed across a gap.
    """
    weeks = weekly_means(answers)
    by_monday = {w.monday: w for w in weeks}
    latest = None
    if weeks:
        last = weeks[-1]
        candidates = [last, by_monday.get(last.monday - dt.timedelta(days=7))]
        latest = next((w for w in candidates if w is not None and _usable(w, rules)), None)
    previous = by_monday.get(latest.monday - dt.timedelta(days=7)) if latest else None
    if latest is None or previous is None or not _usable(previous, rules):
        need = rules.min_days_per_week
        return PainTrend(
            weeks,
            "not-enough-data",
            0,
            None,
            f"weekly trend not judged: it needs two weeks in a row with at least {need} next-morning answers each",
            "We need two weeks of next-morning answers in a row before we can see whether your pain is going up.",
            rules.refs,
        )
    first_rise = _rose(latest, previous, rules)
    rising_weeks = 0
    week = latest
    while True:
        before = by_monday.get(week.monday - dt.timedelta(days=7))
        if before is None or not _rose(week, before, rules):
            break
        rising_weeks += 1
        week = before
    means = "; ".join(
        f"{name} {then:.1f} -> {now:.1f}/10 (rise {now - then:.1f}, margin {rules.margin_0_10:g})"
        for name, then, now in first_rise
    )
    if not first_rise:
        text = (
            f"weekly next-morning pain{' and stiffness' if rules.include_stiffness else ''} not rising: "
            f"{_label(previous)} {_fmt(previous)}, {_label(latest)} {_fmt(latest)}"
        )
        return PainTrend(
            weeks,
            "steady",
            0,
            None,
            text,
            "Your pain the next morning is not going up from week to week.",
            rules.refs,
        )
    cap: Cap = "regress" if rising_weeks >= rules.regress_after_rising_weeks else "hold"
    text = f"weekly next-morning means rising, {_label(previous)} to {_label(latest)}: {means}"
    if cap == "regress":
        text += f"; rising {rising_weeks} weeks in a row, so every exercise steps back"
        in_a_row = "two" if rising_weeks == 2 else str(rising_weeks)
        plain = f"Your pain the next morning has gone up {in_a_row} weeks in a row, so we make the exercises easier."
    else:
        text += "; no exercise progresses this week"
        plain = "Your pain the next morning went up this week, so we keep the same dose."
    return PainTrend(weeks, "rising", rising_weeks, cap, text, plain, rules.refs)


def _fmt(week: WeekMeans) -> str:
    parts = []
    if week.pain_mean is not None:
        parts.append(f"pain {week.pain_mean:.1f}/10 over {week.pain_days} mornings")
    if week.stiffness_mean is not None:
        parts.append(f"stiffness {week.stiffness_mean:.1f}/10 over {week.stiffness_days} mornings")
    return "(" + ", ".join(parts) + ")"
