"""The program as an ICS calendar (RFC 5545, written with the ``icalendar`` package): every week of the plan.

One recurring event per training day of each phase (a weekly RRULE for the phase's weeks: the session repeats
unchanged inside a phase, and its description says how the numbers climb), an all-day reminder on each running
day with the pre-run routine of that phase, and an all-day note on the first day of each phase with the rule to
move on. Sessions are timed events in the runner's time zone, with that zone's VTIMEZONE; UIDs are built from the
start date, the phase and the weekday, so writing the same plan again replaces the events instead of doubling
them.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import icalendar

from glutemed.core.plan import PhasePlan, Plan, PlanDay, climb_words, dose_words

DEFAULT_ZONE = "Europe/London"
DEFAULT_SESSION_TIME = dt.time(18, 0)  # glutemed default: the runner moves the events to suit
ICS_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
Namer = Callable[[str], str]


def system_time_zone() -> tuple[str, str]:
    """The zone to use when none is given, and where it came from: $TZ, /etc/localtime, else Europe/London."""
    candidates = [(os.environ.get("TZ", "").lstrip(":"), "the TZ environment variable")]
    try:
        target = str(Path("/etc/localtime").readlink())
    except OSError:
        target = ""
    if "zoneinfo/" in target:
        candidates.append((target.split("zoneinfo/", 1)[1], "the system time zone"))
    for key, origin in candidates:
        if key and key in available_timezones():
            return key, origin
    return DEFAULT_ZONE, "glutemed's default (no system time zone found)"


def check_zone(key: str) -> ZoneInfo:
    """The zone for an IANA key such as 'Europe/London'; ValueError names the bad key."""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone '{key}' (use an IANA name such as Europe/London)") from exc


def _session_text(phase: PhasePlan, day: PlanDay) -> str:
    climbs = {c.exercise_id: c for c in phase.climbs}
    lines = [f"Phase {phase.number}: {phase.name}, weeks {phase.first_week}-{phase.last_week} of the plan."]
    for p in day.exercises:
        c = climbs[p.exercise_id]
        lines.append(f"- {p.name}: {dose_words(p)}; {climb_words(c)}")
    lines.append("")
    lines.extend(phase.move_on)
    lines.append(phase.step_back)
    return "\n".join(lines)


def _run_text(day: PlanDay, name_of: Namer) -> str:
    lines = ["Before the run, the pre-run routine:"]
    lines.extend(f"- {name_of(item.exercise_id)}: {item.dose}" for item in day.pre_run)
    return "\n".join(lines)


def _event(uid: str, summary: str, description: str, stamp: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("description", description)
    return event


def _minutes(day: PlanDay) -> int:
    total = sum(p.minutes for p in day.exercises)
    return max(10, 5 * math.ceil(total / 5))


def program_calendar(
    plan: Plan,
    name_of: Namer,
    *,
    start: dt.date,
    zone: str,
    session_time: dt.time = DEFAULT_SESSION_TIME,
    stamp: dt.datetime | None = None,
) -> icalendar.Calendar:
    """The whole plan as a calendar, starting on the Monday of ``start``'s week."""
    tz = check_zone(zone)
    stamp = stamp or dt.datetime.now(dt.UTC).replace(microsecond=0)
    monday = start - dt.timedelta(days=start.weekday())
    cal = icalendar.Calendar()
    cal.add("prodid", "-//glutemed//program//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Gluteus medius plan")
    cal.add("x-wr-timezone", zone)
    key = monday.isoformat()
    for phase in plan.phases:
        first = monday + dt.timedelta(weeks=phase.first_week - 1)
        note = _event(
            f"glutemed-{key}-{phase.phase_id}-start@glutemed",
            f"Gluteus medius: phase {phase.number} starts ({phase.name})",
            "\n".join((*phase.move_on, phase.step_back)),
            stamp,
        )
        note.add("dtstart", first)
        note.add("dtend", first + dt.timedelta(days=1))
        cal.add_component(note)
        for day in phase.days:
            date = first + dt.timedelta(days=day.weekday)
            code = ICS_DAYS[day.weekday]
            if day.exercises:
                event = _event(
                    f"glutemed-{key}-{phase.phase_id}-session-{code}@glutemed",
                    f"Gluteus medius session: {phase.name}",
                    _session_text(phase, day),
                    stamp,
                )
                begin = dt.datetime.combine(date, session_time, tzinfo=tz)
                event.add("dtstart", begin)
                event.add("dtend", begin + dt.timedelta(minutes=_minutes(day)))
                _repeat(event, phase)
                cal.add_component(event)
            if day.run and day.pre_run:
                event = _event(
                    f"glutemed-{key}-{phase.phase_id}-run-{code}@glutemed",
                    "Run day: pre-run routine first",
                    _run_text(day, name_of),
                    stamp,
                )
                event.add("dtstart", date)
                event.add("dtend", date + dt.timedelta(days=1))
                _repeat(event, phase)
                cal.add_component(event)
    cal.add_missing_timezones()
    return cal


def _repeat(event: icalendar.Event, phase: PhasePlan) -> None:
    if phase.weeks > 1:
        event.add("rrule", {"freq": "weekly", "count": phase.weeks})


def program_to_ics(
    plan: Plan,
    name_of: Namer,
    *,
    start: dt.date,
    zone: str | None = None,
    session_time: dt.time = DEFAULT_SESSION_TIME,
    stamp: dt.datetime | None = None,
) -> str:
    """The calendar as ICS text (CRLF line ends, folded lines)."""
    zone = zone or system_time_zone()[0]
    cal = program_calendar(plan, name_of, start=start, zone=zone, session_time=session_time, stamp=stamp)
    return str(cal.to_ical().decode("utf-8"))
