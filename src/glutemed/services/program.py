"""Build, export and progress a runner's program: the adapter between the knowledge base and core."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, replace
from typing import Any

from glutemed.core.clinical_scoring import TestScore
from glutemed.core.programming import (
    ConditionView,
    DoseView,
    ExerciseView,
    Program,
    ProgramRequest,
    RoutineItemView,
    build_program,
)
from glutemed.core.progression import Decision, SessionLog, Target, decide_session, phase_ready
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.models import CautionLevel, Exercise, RedFlag
from glutemed.knowledge.rules import Rules
from glutemed.services.assessment import AssessmentResult, citations

PRE_RUN_ROUTINE = "pre-run-activation"
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def exercise_view(ex: Exercise) -> ExerciseView:
    """Convert a knowledge-base exercise into the plain view core works on."""
    d = ex.dose
    emg = ex.best_gmed_emg
    tfl = ex.best_tfl_index
    return ExerciseView(
        id=ex.id,
        name=ex.name,
        stage=ex.stage.value,
        equipment=tuple(e.value for e in ex.equipment),
        dose=DoseView(
            sets=d.sets,
            sets_range=d.sets_range,
            per_side=d.per_side,
            rest_s=d.rest_s,
            sessions_per_week=d.sessions_per_week,
            sessions_per_week_range=d.sessions_per_week_range,
            reps=d.reps,
            reps_range=d.reps_range,
            hold_s=d.hold_s,
            hold_s_range=d.hold_s_range,
            tempo=d.tempo,
        ),
        load_tags=tuple(t.value for t in ex.load_tags),
        avoid_for=tuple(c.condition for c in ex.cautions if c.level is CautionLevel.AVOID),
        gmed_emg_pct=emg.pct_mvic if emg else None,
        gmed_emg_ref=emg.ref if emg else None,
        tfl_index=tfl.value if tfl else None,
        tfl_ref=tfl.ref if tfl else None,
        sources=tuple(ex.sources),
        regressions=tuple(ex.regressions),
        progressions=tuple(ex.progressions),
    )


def condition_views(kb: KnowledgeBase) -> dict[str, ConditionView]:
    return {
        c.id: ConditionView(c.id, tuple(tag.value for tag in c.avoid_load_tags))
        for c in kb.conditions.values()
    }


def routine_items(kb: KnowledgeBase, routine_id: str = PRE_RUN_ROUTINE) -> tuple[RoutineItemView, ...]:
    routine = kb.routines.get(routine_id)
    if routine is None:
        return ()
    return tuple(RoutineItemView(i.exercise, i.dose, i.why) for i in routine.items)


def program_request(result: AssessmentResult) -> ProgramRequest:
    intake = result.intake
    present = tuple(f.id for f in result.report.findings if f.status == "present")
    gait = result.gait
    return ProgramRequest(
        conditions=result.suspected_conditions,
        findings=present,
        gait_faults=gait.flagged_faults if gait else (),
        equipment=intake.availability.equipment,
        sessions_per_week=intake.availability.sessions_per_week,
        minutes_per_session=intake.availability.minutes_per_session,
        cadence_spm=gait.cadence_spm if gait else None,
        gait=gait.faults if gait else (),
        undetermined=tuple(f.id for f in result.report.findings if f.status == "undetermined"),
        gait_gaps=gait.not_judged if gait else (),
    )


def make_program(result: AssessmentResult, kb: KnowledgeBase, rules: Rules) -> Program | None:
    """None when a red flag stopped the assessment: no program is made."""
    if result.report.stopped:
        return None
    views = [exercise_view(ex) for ex in kb.exercises.values()]
    program = build_program(
        views, condition_views(kb), routine_items(kb), program_request(result), rules.programming()
    )
    quiet = _answers_raising_nothing(result)
    if not quiet:
        return program
    note = (
        f"You answered yes to {', '.join(a.replace('_', ' ') for a in quiet)}. With your other answers this is "
        "not a red flag in glutemed's rules (red_flags.yaml), so the program goes ahead; mention it to a "
        "clinician if the pain persists, grows or changes."
    )
    return replace(program, notes=(*program.notes, note))


def _answers_raising_nothing(result: AssessmentResult) -> tuple[str, ...]:
    """Red-flag answers given "yes" that the data rules did not turn into a red flag (e.g. cancer at 45)."""
    answers = result.intake.red_flags
    if answers.raised is None:
        return ()
    return answers.answered_yes


def program_to_json(program: Program, kb: KnowledgeBase, rules: Rules) -> dict[str, Any]:
    data = asdict(program)
    exits = {p.phase: p for p in rules.progression.phase_exit}
    for phase in data["phases"]:
        rule = exits.get(phase["id"])
        phase["exit_criteria"] = list(rule.criteria) if rule else []
        phase["retest"] = list(rule.retest) if rule else []
        phase["citations"] = citations(phase["refs"], kb)
        for item in phase["exercises"]:
            item["citations"] = citations(item["refs"], kb)
    for cue in data["running_cues"]:
        cue["citations"] = citations(cue["refs"], kb)
    for answer in data["gait_answers"]:
        answer["citations"] = citations(answer["refs"], kb)
    data["precaution_citations"] = citations(program.precaution_refs, kb)
    data["stopped"] = False
    data["calendar"] = [
        {"day": day, "do": list(items)}
        for day, items in zip(
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), program.calendar, strict=True
        )
    ]
    return data


def referral_flags(result: AssessmentResult, kb: KnowledgeBase) -> list[RedFlag]:
    """The knowledge base's red flags behind a stopped assessment.

    ``report.red_flags`` holds red-flag ids when the intake's rules ran, or the raw "yes" answers when they did
    not; an answer is resolved to every red flag that needs it.
    """
    out: dict[str, RedFlag] = {}
    for name in result.report.red_flags:
        if name in kb.red_flags:
            out[name] = kb.red_flags[name]
            continue
        for flag in kb.red_flags.values():
            if any(f"answer:{name}" in group for group in flag.needs):
                out.setdefault(flag.id, flag)
    return list(out.values())


URGENCY_WORDS = {
    "emergency": "Emergency: go to an emergency department now.",
    "same-day": "Today: see a doctor today (urgent care or your doctor's same-day service).",
    "within-days": "Within a few days: book an appointment with a doctor.",
    "before-training": "Before training again: see a doctor or physiotherapist.",
}


def referral_to_json(result: AssessmentResult, kb: KnowledgeBase) -> dict[str, Any]:
    """The referral a stopped program gives instead: each red flag, why, how urgently, what to bring."""
    flags = referral_flags(result, kb)
    return {
        "stopped": True,
        "message": result.report.message,
        "red_flags": list(result.report.red_flags),
        "referral": [
            {
                "id": flag.id,
                "name": flag.name,
                "why_refer": flag.why_refer,
                "urgency": flag.urgency,
                "urgency_words": URGENCY_WORDS[flag.urgency],
                "bring": list(flag.bring),
                "citations": citations(flag.refs, kb),
            }
            for flag in flags
        ],
    }


def _ics_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def program_to_ics(program: Program, *, start: dt.date, weeks: int = 8) -> str:
    """Weekly recurring events for the first phase, starting the Monday of ``start``'s week."""
    monday = start - dt.timedelta(days=start.weekday())
    first = program.phases[0] if program.phases else None
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//glutemed//program//EN", "CALSCALE:GREGORIAN"]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    for index, items in enumerate(program.calendar):
        sessions = [item for item in items if item.startswith("gluteus medius session")]
        if not sessions or first is None:
            continue
        day = monday + dt.timedelta(days=index)
        detail = "\n".join(
            f"{p.name}: {p.sets} x {p.reps if p.reps is not None else f'{p.hold_s} s'}"
            + (" per side" if p.per_side else "")
            for p in first.exercises
        )
        lines += [
            "BEGIN:VEVENT",
            f"UID:glutemed-{day.isoformat()}-{index}@glutemed",
            f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
            f"RRULE:FREQ=WEEKLY;COUNT={weeks};BYDAY={WEEKDAYS[index]}",
            f"SUMMARY:{_ics_text(f'Gluteus medius: {first.name}')}",
            f"DESCRIPTION:{_ics_text(detail)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"


def targets(kb: KnowledgeBase) -> dict[str, Target]:
    return {
        ex.id: Target(
            reps_range=ex.dose.reps_range,
            hold_s_range=ex.dose.hold_s_range,
            regressions=tuple(ex.regressions),
            progressions=tuple(ex.progressions),
        )
        for ex in kb.exercises.values()
    }


STRENGTH_PHASE = "isolated-strength"
STRENGTH_TESTS = ("hip-abduction-dynamometry", "hip-abduction-deficit")


def strength_criterion(scores: tuple[TestScore, ...]) -> tuple[bool | None, str]:
    """The isolated-strength exit test: hip abduction within one SD of the norm and a deficit of 25 % or less.

    None when the dynamometry re-test is missing, so the phase cannot be closed on exercise logs alone.
    """
    relevant = [s for s in scores if s.test_id in STRENGTH_TESTS]
    if not any(s.test_id == STRENGTH_TESTS[0] for s in relevant):
        return None, "re-test hip abduction strength (hand-held dynamometry) before leaving this phase"
    below = [f"{s.test_id} {s.side or ''}".strip() for s in relevant if s.positive]
    if below:
        return False, f"strength not yet at the exit criterion: {', '.join(below)}"
    return True, "hip abduction strength meets the exit criterion (norm within 1 SD, deficit at most 25 %)"


def progress(
    session: SessionLog,
    kb: KnowledgeBase,
    rules: Rules,
    program: Program | None = None,
    scores: tuple[TestScore, ...] = (),
) -> tuple[list[Decision], list[str]]:
    """Per-exercise decisions for one logged session, and phase-change prompts when a program is given.

    A phase closes when every exercise earns 'progress'; the isolated-strength phase also needs the
    dynamometry re-test to meet the strength criterion (from ``scores``, the latest clinical test scores).
    """
    decisions = decide_session(session, targets(kb), rules.progression_rules())
    prompts: list[str] = []
    if program is not None:
        logged = {log.exercise_id for log in session.exercises}
        for phase in program.phases:
            ids = tuple(p.exercise_id for p in phase.exercises)
            if logged & set(ids):
                ready, text = phase_ready(decisions, ids)
                if ready and phase.id == STRENGTH_PHASE:
                    strong, why = strength_criterion(scores)
                    ready = strong is True
                    text = f"{text}; {why}"
                prompts.append(f"{phase.name}: {text}")
                if ready:
                    break
    return decisions, prompts
