"""Build, export and progress a runner's program: the adapter between the knowledge base and core."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, replace
from typing import Any

from glutemed.core.clinical_scoring import TestScore
from glutemed.core.plan import WEEKDAYS as WEEKDAY_NAMES
from glutemed.core.plan import PhaseExitView, Plan, build_plan
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
from glutemed.services.program_calendar import program_to_ics

PRE_RUN_ROUTINE = "pre-run-activation"


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
        "not a red flag in glutemed's red-flag rules, so the program goes ahead; mention it to a "
        "clinician if the pain persists, grows or changes."
    )
    return replace(program, notes=(*program.notes, note))


def _answers_raising_nothing(result: AssessmentResult) -> tuple[str, ...]:
    """Red-flag answers given "yes" that the data rules did not turn into a red flag (e.g. cancer at 45)."""
    answers = result.intake.red_flags
    if answers.raised is None:
        return ()
    return answers.answered_yes


def phase_exits(kb: KnowledgeBase, rules: Rules) -> dict[str, PhaseExitView]:
    """progression.yaml's phase exit rules with the re-tests named as the knowledge base names them."""
    out: dict[str, PhaseExitView] = {}
    for rule in rules.progression.phase_exit:
        names = tuple(kb.clinical_tests[t].name if t in kb.clinical_tests else t for t in rule.retest)
        out[rule.phase] = PhaseExitView(criteria=tuple(rule.criteria), retest=names)
    return out


def plan_for(
    program: Program,
    result: AssessmentResult,
    kb: KnowledgeBase,
    rules: Rules,
    *,
    run_days: tuple[int, ...] = (),
) -> Plan:
    """The week-by-week plan for this runner: their sessions a week, their runs a week (or ``run_days``)."""
    intake = result.intake
    doses = {ex.id: exercise_view(ex).dose for ex in kb.exercises.values()}
    return build_plan(
        program,
        doses,
        rules.progression_rules(),
        sessions_per_week=intake.availability.sessions_per_week,
        runs_per_week=intake.volume.sessions_per_week,
        run_days=run_days,
        exits=phase_exits(kb, rules),
    )


def name_of(kb: KnowledgeBase) -> Callable[[str], str]:
    """Exercise id to the name the runner reads."""

    def name(exercise_id: str) -> str:
        ex = kb.exercises.get(exercise_id)
        return ex.name if ex else exercise_id

    return name


def program_ics(
    program: Program,
    result: AssessmentResult,
    kb: KnowledgeBase,
    rules: Rules,
    *,
    start: dt.date,
    zone: str | None = None,
    run_days: tuple[int, ...] = (),
) -> str:
    """Every week of the plan as ICS text in ``zone`` (default: :func:`system_time_zone`)."""
    plan = plan_for(program, result, kb, rules, run_days=run_days)
    return program_to_ics(plan, name_of(kb), start=start, zone=zone)


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan for scripts: each phase with its weeks, days, climbs and the rule to move on."""
    return {
        "total_weeks": plan.total_weeks,
        "sessions_per_week": plan.sessions_per_week,
        "run_days": [WEEKDAY_NAMES[d] for d in plan.run_days],
        "run_days_given": plan.run_days_given,
        "assumptions": list(plan.assumptions),
        "phases": [
            {
                "id": p.phase_id,
                "name": p.name,
                "first_week": p.first_week,
                "weeks": p.weeks,
                "ongoing": p.ongoing,
                "days": [
                    {
                        "day": d.name,
                        "exercises": [x.exercise_id for x in d.exercises],
                        "run": d.run,
                        "pre_run": [i.exercise_id for i in d.pre_run],
                    }
                    for d in p.days
                ],
                "climbs": [
                    {
                        "exercise_id": c.exercise_id,
                        "unit": c.unit,
                        "start": c.start,
                        "top": c.top,
                        "step": c.step,
                        "sessions": c.sessions,
                        "sessions_per_week": c.sessions_per_week,
                        "weeks": c.weeks,
                    }
                    for c in p.climbs
                ],
                "move_on": list(p.move_on),
                "step_back": p.step_back,
                "retest": list(p.retest),
            }
            for p in plan.phases
        ],
    }


def program_to_json(
    program: Program, kb: KnowledgeBase, rules: Rules, plan: Plan | None = None
) -> dict[str, Any]:
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
    if plan is not None:
        data["plan"] = plan_to_json(plan)
    data["calendar"] = [
        {"day": day, "do": list(items)}
        for day, items in zip(
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), program.calendar, strict=True
        )
    ]
    return data


def resolve_red_flags(names: Sequence[str], kb: KnowledgeBase) -> list[RedFlag]:
    """Red-flag ids, or raw intake "yes" answers resolved to every red flag that needs them, in order, once each."""
    out: dict[str, RedFlag] = {}
    for name in names:
        if name in kb.red_flags:
            out.setdefault(name, kb.red_flags[name])
            continue
        for flag in kb.red_flags.values():
            if any(f"answer:{name}" in group for group in flag.needs):
                out.setdefault(flag.id, flag)
    return list(out.values())


def referral_flags(result: AssessmentResult, kb: KnowledgeBase) -> list[RedFlag]:
    """The knowledge base's red flags behind a stopped assessment.

    ``report.red_flags`` holds red-flag ids when the intake's rules ran, or the raw "yes" answers when they did
    not; an answer is resolved to every red flag that needs it.
    """
    return resolve_red_flags(result.report.red_flags, kb)


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
