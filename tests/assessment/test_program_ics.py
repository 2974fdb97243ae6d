"""The program calendar: written with icalendar, read back with icalendar, every week and every phase present."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr
from typer.testing import CliRunner

from glutemed.cli.app import app
from glutemed.core.plan import Plan
from glutemed.services.assessment import AssessmentResult, assess
from glutemed.services.intake_schema import load_intake
from glutemed.services.program import make_program, name_of, plan_for
from glutemed.services.program_calendar import program_to_ics, system_time_zone

START = dt.date(2026, 3, 4)  # a Wednesday: the plan starts on Monday 2 March
MONDAY = dt.date(2026, 3, 2)
RUNNERS = ("female-lateral-hip-pain", "itb-crossover")


def _plan(examples: Path, name: str, kb, rules) -> tuple[Plan, AssessmentResult]:  # type: ignore[no-untyped-def]
    intake = load_intake(examples / f"{name}.yaml")
    gait_path = examples / f"{name}.gait.json"
    gait = json.loads(gait_path.read_text(encoding="utf-8")) if gait_path.exists() else None
    tests = intake.tests.to_core() if intake.tests else None
    result = assess(intake.to_core(), kb=kb, rules=rules, tests=tests, gait=gait)
    program = make_program(result, kb, rules)
    assert program is not None
    return plan_for(program, result, kb, rules), result


def _occurrences(event: icalendar.Event) -> list[dt.date]:
    start = event.decoded("dtstart")
    rule = event.get("rrule")
    if rule is None:
        return [start if isinstance(start, dt.date) and not isinstance(start, dt.datetime) else start.date()]
    times = rrulestr(rule.to_ical().decode(), dtstart=start)
    return [t.date() if isinstance(t, dt.datetime) else t for t in times]


@pytest.mark.parametrize("runner", RUNNERS)
def test_every_week_and_every_phase_round_trips(examples, kb, rules, runner) -> None:  # type: ignore[no-untyped-def]
    plan, _ = _plan(examples, runner, kb, rules)
    text = program_to_ics(plan, name_of(kb), start=START, zone="Europe/London")
    cal = icalendar.Calendar.from_ical(text)
    zones = list(cal.walk("VTIMEZONE"))
    assert [str(z["TZID"]) for z in zones] == ["Europe/London"]
    events = list(cal.walk("VEVENT"))
    sessions = [e for e in events if str(e["SUMMARY"]).startswith("Gluteus medius session")]
    weeks_with_a_session: set[int] = set()
    for event in sessions:
        begin = event.decoded("dtstart")
        assert begin.tzinfo is not None
        assert begin.utcoffset() == ZoneInfo("Europe/London").utcoffset(begin)
        for day in _occurrences(event):
            weeks_with_a_session.add((day - MONDAY).days // 7 + 1)
    assert weeks_with_a_session == set(range(1, plan.total_weeks + 1))
    summaries = " ".join(str(e["SUMMARY"]) for e in events)
    for phase in plan.phases:
        assert f"phase {phase.number} starts ({phase.name})" in summaries
        session_days = {d.weekday for d in phase.session_days}
        mine = [e for e in sessions if phase.name in str(e["SUMMARY"])]
        assert {e.decoded("dtstart").weekday() for e in mine} == session_days
        for event in mine:
            assert len(_occurrences(event)) == phase.weeks
            text_of = str(event["DESCRIPTION"])
            for climb in phase.climbs:
                if any(
                    p.exercise_id == climb.exercise_id
                    for d in phase.days
                    for p in d.exercises
                    if d.weekday == event.decoded("dtstart").weekday()
                ):
                    assert climb.name in text_of


def test_running_days_carry_the_pre_run_routine_by_name(examples, kb, rules) -> None:  # type: ignore[no-untyped-def]
    plan, _ = _plan(examples, "female-lateral-hip-pain", kb, rules)
    cal = icalendar.Calendar.from_ical(program_to_ics(plan, name_of(kb), start=START, zone="Europe/London"))
    runs = [e for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith("Run day")]
    assert {e.decoded("dtstart").weekday() for e in runs} == set(plan.run_days)
    first = plan.phases[0].run_days[0].pre_run
    description = str(next(iter(runs))["DESCRIPTION"])
    for item in first:
        assert kb.exercises[item.exercise_id].name in description
        assert item.exercise_id not in description


def test_uids_are_unique_and_stable(examples, kb, rules) -> None:  # type: ignore[no-untyped-def]
    plan, _ = _plan(examples, "itb-crossover", kb, rules)

    def uids(stamp: dt.datetime) -> list[str]:
        text = program_to_ics(plan, name_of(kb), start=START, zone="Asia/Tokyo", stamp=stamp)
        return [str(e["UID"]) for e in icalendar.Calendar.from_ical(text).walk("VEVENT")]

    first = uids(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert len(first) == len(set(first))
    assert first == uids(dt.datetime(2026, 2, 2, tzinfo=dt.UTC))


def test_default_zone_is_named() -> None:
    zone, origin = system_time_zone()
    assert ZoneInfo(zone)
    assert origin


def test_cli_tz_and_run_days(examples, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.ics"
    args = [
        "program",
        str(examples / "female-lateral-hip-pain.yaml"),
        "--ics",
        str(out),
        "--start",
        "2026-03-04",
    ]
    result = CliRunner().invoke(app, [*args, "--tz", "America/New_York", "--run-days", "mon,sun"])
    assert result.exit_code == 0, result.output
    assert "America/New_York" in result.output
    cal = icalendar.Calendar.from_ical(out.read_text(encoding="utf-8"))
    assert [str(z["TZID"]) for z in cal.walk("VTIMEZONE")] == ["America/New_York"]
    runs = {
        e.decoded("dtstart").weekday() for e in cal.walk("VEVENT") if str(e["SUMMARY"]).startswith("Run day")
    }
    assert runs == {0, 6}
    bad = CliRunner().invoke(app, [*args, "--tz", "Mars/Olympus"])
    assert bad.exit_code != 0
    assert "Mars/Olympus" in bad.output


def test_no_knowledge_base_id_in_the_calendar_text(examples, kb, rules) -> None:  # type: ignore[no-untyped-def]
    import re

    from glutemed.knowledge.models import LoadTag

    plan, _ = _plan(examples, "itb-crossover", kb, rules)
    cal = icalendar.Calendar.from_ical(program_to_ics(plan, name_of(kb), start=START, zone="Europe/London"))
    text = " ".join(str(e[key]) for e in cal.walk("VEVENT") for key in ("SUMMARY", "DESCRIPTION"))
    ids = {i for table in (kb.exercises, kb.conditions, kb.gait_faults, kb.clinical_tests) for i in table}
    ids |= {t.value for t in LoadTag}
    leaked = sorted(i for i in ids if "-" in i and re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text))
    assert leaked == []
