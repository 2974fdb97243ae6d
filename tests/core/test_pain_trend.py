"""Week-on-week next-morning pain trend (silbernagel2007's "no rise from week to week"), checked by hand."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from glutemed.core.pain_trend import MorningAnswer, TrendRules, pain_trend, weekly_means
from glutemed.knowledge.loader import knowledge_base
from glutemed.knowledge.rules import RulesError, bundled_rules, default_rules_dir, load_rules

RULES = TrendRules(
    margin_0_10=0.5,
    min_days_per_week=2,
    regress_after_rising_weeks=2,
    include_stiffness=True,
    refs=("x2007",),
)
MON = dt.date(2026, 11, 2)  # a Monday, ISO week 45 of 2026


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


def test_weekly_means_by_hand() -> None:
    """Week 45: pain 1, 2, 3 -> 2.0; stiffness 0 and 1 -> 0.5. Week 46: pain 4 and 2 -> 3.0 (Sunday 8 Nov is 45)."""
    answers = [
        MorningAnswer(day(0), 1, 0),
        MorningAnswer(day(2), 2, None),
        MorningAnswer(day(6), 3, 1),  # Sunday: still week 45
        MorningAnswer(day(7), 4, None),  # Monday: week 46
        MorningAnswer(day(9), 2, 3),
    ]
    w45, w46 = weekly_means(answers)
    assert (w45.iso_year, w45.iso_week, w45.monday) == (2026, 45, MON)
    assert (w45.pain_days, w45.pain_mean, w45.stiffness_days, w45.stiffness_mean) == (3, 2.0, 2, 0.5)
    assert (w46.iso_week, w46.pain_days, w46.pain_mean, w46.stiffness_days, w46.stiffness_mean) == (
        46,
        2,
        3.0,
        1,
        3.0,
    )
    trend = pain_trend(answers, RULES)
    # pain rose 2.0 -> 3.0 (more than 0.5); stiffness week 46 has one answer only, so it is not compared
    assert trend.status == "rising"
    assert trend.rising
    assert trend.cap == "hold"
    assert trend.rising_weeks == 1
    assert "pain 2.0 -> 3.0/10 (rise 1.0, margin 0.5)" in trend.text
    assert "stiffness" not in trend.text
    assert trend.plain_text == "Your pain the next morning went up this week, so we keep the same dose."


def test_iso_weeks_across_the_new_year() -> None:
    """2026 has 53 ISO weeks: Friday 1 Jan 2027 belongs to 2026-W53, Monday 4 Jan 2027 to 2027-W01."""
    answers = [MorningAnswer(dt.date(2027, 1, 1), 1), MorningAnswer(dt.date(2027, 1, 4), 1)]
    weeks = weekly_means(answers)
    assert [(w.iso_year, w.iso_week) for w in weeks] == [(2026, 53), (2027, 1)]
    assert [w.monday for w in weeks] == [dt.date(2026, 12, 28), dt.date(2027, 1, 4)]


def test_a_rise_of_exactly_the_margin_is_not_rising() -> None:
    answers = [
        MorningAnswer(day(0), 1),
        MorningAnswer(day(1), 2),
        MorningAnswer(day(7), 2),
        MorningAnswer(day(8), 2),
    ]
    trend = pain_trend(answers, RULES)  # 1.5 -> 2.0 is a rise of 0.5, not more than 0.5
    assert trend.status == "steady"
    assert trend.cap is None
    bigger = [*answers[:3], MorningAnswer(day(8), 2.1)]  # 1.5 -> 2.05
    assert pain_trend(bigger, RULES).status == "rising"


def test_two_rising_weeks_in_a_row_regress() -> None:
    answers = [MorningAnswer(day(d), p) for d, p in [(0, 0), (2, 0), (7, 1), (9, 1), (14, 2), (16, 2)]]
    trend = pain_trend(answers, RULES)
    assert trend.rising_weeks == 2
    assert trend.cap == "regress"
    assert trend.plain_text == (
        "Your pain the next morning has gone up two weeks in a row, so we make the exercises easier."
    )
    three = RULES.__class__(**{**RULES.__dict__, "regress_after_rising_weeks": 3})
    assert pain_trend(answers, three).cap == "hold"


def test_falling_pain_is_steady_and_a_gap_week_is_not_judged() -> None:
    falling = [MorningAnswer(day(d), p) for d, p in [(0, 3), (2, 3), (7, 1), (9, 1)]]
    assert pain_trend(falling, RULES).status == "steady"
    gap = [MorningAnswer(day(d), p) for d, p in [(0, 0), (2, 0), (14, 4), (16, 4)]]  # week 46 has no answer
    trend = pain_trend(gap, RULES)
    assert trend.status == "not-enough-data"
    assert trend.cap is None
    assert "two weeks in a row" in trend.text


def test_a_current_week_with_too_few_answers_compares_the_two_weeks_before() -> None:
    answers = [MorningAnswer(day(d), p) for d, p in [(0, 0), (2, 0), (7, 2), (9, 2), (14, 0)]]
    trend = pain_trend(answers, RULES)  # week 47 has one answer: weeks 45 -> 46 are compared (0 -> 2)
    assert trend.status == "rising"
    assert "week of 2026-11-02 to week of 2026-11-09" in trend.text


def test_stiffness_alone_can_rise_unless_switched_off() -> None:
    answers = [MorningAnswer(day(d), 1, s) for d, s in [(0, 1), (2, 1), (7, 3), (9, 3)]]
    trend = pain_trend(answers, RULES)
    assert trend.status == "rising"
    assert "stiffness 1.0 -> 3.0/10" in trend.text
    off = TrendRules(0.5, 2, 2, include_stiffness=False, refs=())
    assert pain_trend(answers, off).status == "steady"


def test_no_answers_at_all() -> None:
    trend = pain_trend([MorningAnswer(day(0))], RULES)
    assert trend.weeks == ()
    assert trend.status == "not-enough-data"


def test_bundled_rule_cites_the_knowledge_base_and_says_what_is_ours() -> None:
    rules = bundled_rules()
    t = rules.pain_trend_rules()
    assert (t.margin_0_10, t.min_days_per_week, t.regress_after_rising_weeks, t.include_stiffness) == (
        0.5,
        2,
        2,
        True,
    )
    assert set(t.refs) <= set(knowledge_base().references)
    assert "silbernagel2007" in t.refs
    note = rules.progression.weekly_pain_trend.note
    assert "paper" in note
    assert "own defaults" in note


def _copy_rules(tmp: Path) -> Path:
    folder = tmp / "rules"
    shutil.copytree(default_rules_dir(), folder)
    return folder


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.update(margin_0_10=-1), "weekly_pain_trend.margin_0_10"),
        (lambda t: t.update(surprise=True), "weekly_pain_trend.surprise"),
        (lambda t: t.pop("note"), "weekly_pain_trend.note"),
        (lambda t: t.update(refs=[]), "weekly_pain_trend.refs"),
        (lambda t: t.update(regress_after_rising_weeks=1), "weekly_pain_trend.regress_after_rising_weeks"),
    ],
)
def test_the_rule_is_validated_strictly(tmp_path: Path, change, message: str) -> None:
    folder = _copy_rules(tmp_path)
    path = folder / "progression.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc["weekly_pain_trend"])
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(RulesError, match=message.replace(".", r"\.")):
        load_rules(folder)


def test_a_missing_rule_and_an_unknown_reference_are_refused(tmp_path: Path) -> None:
    folder = _copy_rules(tmp_path)
    path = folder / "progression.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["weekly_pain_trend"]["refs"] = ["nobody1999"]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(RulesError, match="unknown reference 'nobody1999'"):
        load_rules(folder, kb=knowledge_base())
    del doc["weekly_pain_trend"]
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(RulesError, match="weekly_pain_trend: Field required"):
        load_rules(folder)
