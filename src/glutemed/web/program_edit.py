"""A clinician's review of a generated program: remove an exercise, or swap it for another allowed one.

Nothing is decided here that the services and core do not decide already. The program is rebuilt from the
assessment's stored inputs (intake, tests, gait and load results) with the same use cases the job used
(:func:`~glutemed.services.assessment.assess`, :func:`~glutemed.services.program.make_program`); the edits
are replayed on that :class:`~glutemed.core.programming.Program`. An exercise is *allowed* in a phase when core
would have considered it there: one of the phase's stages, the runner has the equipment, and no condition or
finding of the runner excludes it (``exclusion_reason``). A swapped-in exercise gets core's dose for that
phase (``prescribe``). The plan, calendar, handout and PDF are then made from the edited program as usual.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from glutemed.core.dosing import prescribe
from glutemed.core.programming import Program, avoid_tags_for, exclusion_reason, has_equipment
from glutemed.db.models import Assessment, Intake, ProgramRecord, TestResult
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.knowledge.rules import Rules, bundled_rules
from glutemed.services.assessment import AssessmentResult, assess
from glutemed.services.intake_schema import IntakeIn, TestsIn
from glutemed.services.program import (
    condition_views,
    exercise_view,
    make_program,
    plan_for,
    program_ics,
    program_request,
    program_to_json,
    referral_to_json,
)


class EditError(ValueError):
    """An edit that cannot be made; the message says why."""


@dataclass(frozen=True)
class Rebuilt:
    result: AssessmentResult
    program: Program | None  # None: a red flag stopped it
    kb: KnowledgeBase
    rules: Rules


def rebuild(s: Session, assessment: Assessment) -> Rebuilt:
    """The assessment and the generated program again, from the inputs the assessment stored."""
    kb, rules = knowledge_base(), bundled_rules()
    intake_row = s.get(Intake, assessment.intake_id) if assessment.intake_id else None
    if intake_row is None:
        raise EditError("the assessment has no intake, so its program cannot be rebuilt")
    intake = IntakeIn.model_validate(intake_row.data)
    tests_row = s.get(TestResult, assessment.test_result_id) if assessment.test_result_id else None
    tests = TestsIn.model_validate(tests_row.data) if tests_row else intake.tests
    result = assess(
        intake.to_core(),
        kb=kb,
        rules=rules,
        tests=tests.to_core() if tests else None,
        gait=assessment.gait_result,
        load=assessment.load_result,
    )
    return Rebuilt(result, make_program(result, kb, rules), kb, rules)


def allowed(rebuilt: Rebuilt, phase_id: str) -> list[tuple[str, str]]:
    """(id, name) of the exercises core would allow in this phase for this runner, best known first."""
    program = rebuilt.program
    phase = next((p for p in program.phases if p.id == phase_id), None) if program else None
    if phase is None:
        return []
    request = program_request(rebuilt.result)
    settings = rebuilt.rules.programming()
    tags = avoid_tags_for(request, condition_views(rebuilt.kb), settings)
    used = {p.exercise_id for p in phase.exercises}
    out = []
    for ex in rebuilt.kb.exercises.values():
        view = exercise_view(ex)
        if view.stage not in phase.stages or view.id in used:
            continue
        if has_equipment(view, request.equipment) and exclusion_reason(view, request, tags, settings) is None:
            out.append((view.id, view.name))
    return sorted(out, key=lambda item: item[1])


def _apply(rebuilt: Rebuilt, program: Program, edit: dict[str, Any]) -> Program:
    phases = list(program.phases)
    index = next((i for i, p in enumerate(phases) if p.id == edit.get("phase_id")), None)
    if index is None:
        raise EditError(f"the program has no phase {edit.get('phase_id')!r}")
    phase = phases[index]
    ids = [p.exercise_id for p in phase.exercises]
    if edit.get("exercise_id") not in ids:
        raise EditError(f"{edit.get('exercise_id')!r} is not in the phase {phase.name}")
    where = ids.index(edit["exercise_id"])
    if edit["action"] == "remove":
        if len(ids) == 1:
            raise EditError(f"{phase.name} keeps at least one exercise; swap it instead")
        items = phase.exercises[:where] + phase.exercises[where + 1 :]
    else:
        choice = edit.get("replacement_id")
        if choice not in {i for i, _ in allowed(rebuilt, phase.id)}:
            raise EditError(f"{choice!r} is not allowed in {phase.name} for this runner")
        view = exercise_view(rebuilt.kb.exercises[choice])
        item = prescribe(view, phase.id, program_request(rebuilt.result), rebuilt.rules.programming())
        items = (*phase.exercises[:where], item, *phase.exercises[where + 1 :])
    phases[index] = replace(phase, exercises=tuple(items))
    return replace(program, phases=tuple(phases))


def edited(rebuilt: Rebuilt, edits: list[dict[str, Any]]) -> Program | None:
    """The generated program with the clinician's edits replayed in order."""
    program = rebuilt.program
    for edit in edits:
        if program is None:
            raise EditError("a stopped program (red flags) has no exercises to edit")
        program = _apply(rebuilt, program, edit)
    return program


def program_data(rebuilt: Rebuilt, program: Program | None) -> dict[str, Any]:
    """What the programs table stores: program_to_json with its plan, or the referral when stopped."""
    if program is None:
        return referral_to_json(rebuilt.result, rebuilt.kb)
    plan = plan_for(program, rebuilt.result, rebuilt.kb, rebuilt.rules)
    return program_to_json(program, rebuilt.kb, rebuilt.rules, plan)


def apply_edit(s: Session, record: ProgramRecord, edit: dict[str, Any]) -> dict[str, Any]:
    """Check an edit against the rebuilt program and return the new data (the caller stores it)."""
    assessment = s.get(Assessment, record.assessment_id) if record.assessment_id else None
    if assessment is None:
        raise EditError("this program has no assessment to rebuild it from")
    rebuilt = rebuild(s, assessment)
    edits = [{k: v for k, v in e.items() if k != "at"} for e in record.edits]
    return program_data(rebuilt, edited(rebuilt, [*edits, edit]))


def download(s: Session, record: ProgramRecord, fmt: str) -> tuple[bytes, str, str]:
    """(content, media type, file name) of the program as PDF, ICS or printable HTML, edits included."""
    from glutemed.reports.program_html import render_program_handout
    from glutemed.reports.referral_html import render_referral

    assessment = s.get(Assessment, record.assessment_id) if record.assessment_id else None
    if assessment is None:
        raise EditError("this program has no assessment to rebuild it from")
    rebuilt = rebuild(s, assessment)
    program = edited(rebuilt, [{k: v for k, v in e.items() if k != "at"} for e in record.edits])
    if program is None:
        html = render_referral(referral_to_json(rebuilt.result, rebuilt.kb), rebuilt.result)
        name = "referral"
    elif fmt == "ics":
        text = program_ics(
            program, rebuilt.result, rebuilt.kb, rebuilt.rules, start=dt.date.today(), zone="UTC"
        )
        return text.encode(), "text/calendar", f"program-{record.id}.ics"
    else:
        plan = plan_for(program, rebuilt.result, rebuilt.kb, rebuilt.rules)
        html = render_program_handout(program, rebuilt.result, rebuilt.kb, plan=plan)
        name = "program"
    if fmt == "html":
        return html.encode(), "text/html; charset=utf-8", f"{name}-{record.id}.html"
    if fmt == "pdf":
        from glutemed.reports.gait_html import html_to_pdf

        return html_to_pdf(html), "application/pdf", f"{name}-{record.id}.pdf"
    raise EditError(f"a stopped program has no {fmt.upper()} (it is a referral)")
