"""Commands for the assessment and the program: assess, program, log, progress."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from glutemed.cli.common import EXIT_DATA, console, err_console, fail, load_kb, print_json, show_path
from glutemed.contracts.gait_result import ContractError
from glutemed.core.clinical_scoring import TestScore
from glutemed.core.programming import Program
from glutemed.io.atomic import atomic_write_text, check_output_file, locked
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.rules import Rules, RulesError, bundled_rules
from glutemed.reports.program_html import write_program_handout, write_program_pdf
from glutemed.reports.referral_html import write_referral_html, write_referral_pdf
from glutemed.services.assessment import AssessmentResult, assess, assessment_to_json
from glutemed.services.intake_schema import (
    InputFileError,
    LogbookIn,
    load_intake,
    load_logbook,
    load_session,
    load_tests,
    read_document,
)
from glutemed.services.program import (
    make_program,
    program_to_ics,
    program_to_json,
    progress,
    referral_to_json,
)

IntakeArg = Annotated[Path, typer.Argument(help="Intake file (YAML or JSON) describing the runner.")]
TestsOpt = Annotated[Path | None, typer.Option("--tests", help="Clinical test results (YAML or JSON).")]
GaitOpt = Annotated[Path | None, typer.Option("--gait", help="Gait result JSON from `glutemed analyze`.")]
LoadOpt = Annotated[Path | None, typer.Option("--load", help="Training-load JSON from `glutemed load`.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON to stdout.")]


def _rules() -> Rules:
    try:
        return bundled_rules()
    except RulesError as exc:
        fail(f"the bundled rules are broken: {exc}", code=EXIT_DATA)


def _json_file(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    data = read_document(path)
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: expected a JSON object")
    return data


def _run_assessment(
    intake: Path, tests: Path | None, gait: Path | None, load: Path | None
) -> tuple[AssessmentResult, KnowledgeBase, Rules]:
    try:
        intake_in = load_intake(intake)
        tests_in = load_tests(tests) if tests else intake_in.tests
        gait_data = _json_file(gait)
        load_data = _json_file(load)
    except InputFileError as exc:
        fail(str(exc))
    kb = load_kb()
    rules = _rules()
    try:
        result = assess(
            intake_in.to_core(),
            kb=kb,
            rules=rules,
            tests=tests_in.to_core() if tests_in else None,
            gait=gait_data,
            load=load_data,
            gait_source=str(gait),
            load_source=str(load),
        )
    except ContractError as exc:
        fail(str(exc))
    return result, kb, rules


def _print_assessment(result: AssessmentResult) -> None:
    report = result.report
    if report.stopped:
        console.print(f"[bold red]{report.message}[/]")
        console.print("Red-flag answers: " + ", ".join(f.replace("_", " ") for f in report.red_flags))
        return
    if result.scores:
        table = Table(title="Clinical tests")
        for column in ("test", "side", "result", "interpretation"):
            table.add_column(column)
        for s in result.scores:
            table.add_row(
                s.test_id, s.side or "-", "positive" if s.positive else "negative", s.interpretation
            )
        console.print(table)
    for f in report.findings:
        colour = {"present": "yellow", "absent": "green", "undetermined": "cyan"}[f.status]
        console.print(
            f"[bold {colour}]{f.name}: {f.status}[/] (evidence: {f.evidence_level}; {', '.join(f.refs)})"
        )
        console.print(f"  {f.reasoning}")
        if f.missing:
            console.print(f"  missing: {'; '.join(f.missing)}")
        if f.status == "present" and f.weak_evidence:
            console.print(f"  [dim]where the evidence is weak: {f.weak_evidence}[/]")
    for g in result.gait_findings:
        colour = "yellow" if g.verdict == "flagged" else "cyan"
        console.print(f"[bold {colour}]Gait: {escape(g.name)} {g.verdict}[/] — {escape(g.summary())}")
    if result.gait is not None:
        for gap in result.gait.not_judged:
            console.print(
                f"[dim]Gait: {escape(gap.name)} not judged ({escape(gap.reason)}). {escape(gap.advice)}[/]"
            )
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/]")


def _print_gait_answers(program: Program) -> None:
    for a in program.gait_answers:
        value = "no value" if a.value is None else f"{a.value:.1f} {a.unit}"
        console.print(
            f"[bold]Gait answer[/] {a.name} ({a.side}, {a.verdict}, {value}; normal {a.normal_band}): "
            f"{a.what_the_program_does}",
            markup=True,
            highlight=False,
        )
    for gap in program.gait_gaps:
        console.print(
            f"[dim]Gait gap: {gap.name} not judged ({gap.reason}). {gap.advice}[/]", highlight=False
        )


def print_program(program: Program) -> None:
    for line in program.precautions:
        console.print(f"[bold yellow]Safety first[/]: {line}", highlight=False)
    for index, phase in enumerate(program.phases, start=1):
        console.print(f"[bold]{index}. {phase.name}[/] — {phase.why}")
        for p in phase.exercises:
            dose = f"{p.sets} x {p.reps} reps" if p.reps is not None else f"{p.sets} x {p.hold_s} s hold"
            side = " per side" if p.per_side else ""
            console.print(f"   • {p.name}: {dose}{side}, {p.sessions_per_week}/week. [dim]{p.why}[/]")
    if program.pre_run:
        console.print(
            "[bold]Before every run[/]: " + ", ".join(f"{i.exercise_id} {i.dose}" for i in program.pre_run)
        )
    for cue in program.running_cues:
        console.print(f"[bold]Running cue[/] ({cue.id}): {cue.cue} [dim]{cue.why} {', '.join(cue.refs)}[/]")
    _print_gait_answers(program)
    if program.avoided:
        console.print(f"[bold]Avoid[/] ({len(program.avoided)} exercises):")
        for a in program.avoided:
            console.print(f"   ✗ {a.exercise_id}: {a.reason}")
    for day, items in zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), program.calendar, strict=True):
        console.print(f"   {day}: {'; '.join(items)}")
    for note in program.notes:
        console.print(f"[dim]note: {note}[/]")


def assess_command(
    intake: IntakeArg,
    tests: TestsOpt = None,
    gait: GaitOpt = None,
    load: LoadOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Score the clinical tests and explain the findings (each with its evidence and what is missing)."""
    result, kb, _ = _run_assessment(intake, tests, gait, load)
    if json_out:
        print_json(assessment_to_json(result, kb))
    else:
        _print_assessment(result)


def _write_referral(
    referral: dict[str, Any], result: AssessmentResult, intake: Path, html: Path | None, pdf: Path | None
) -> list[str]:
    """A stopped program writes the referral sheet to --html/--pdf, or beside the working folder when neither
    is given (``<intake name>-referral.html``); the paths written are returned and printed."""
    targets = [(html, write_referral_html), (pdf, write_referral_pdf)]
    if html is None and pdf is None:
        targets = [(Path.cwd() / f"{intake.stem}-referral.html", write_referral_html)]
    written: list[str] = []
    for path, write in targets:
        if path is not None:
            done = write(referral, result, path)
            err_console.print(f"Referral sheet written to {done}", markup=False)
            written.append(str(done))
    return written


def program_command(
    intake: IntakeArg,
    *,
    tests: TestsOpt = None,
    gait: GaitOpt = None,
    load: LoadOpt = None,
    json_out: JsonOpt = False,
    ics: Annotated[
        Path | None, typer.Option("--ics", help="Write the weekly sessions as an ICS calendar.")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="First week of the calendar, YYYY-MM-DD (default: today).")
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the printable program handout as HTML.")
    ] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the program handout as PDF.")] = None,
) -> None:
    """Build the staged program: phases, doses, pre-run routine, running cues, what to avoid, calendar."""
    for out, what in ((ics, "ICS calendar"), (html, "HTML handout"), (pdf, "PDF handout")):
        if out is not None:
            check_output_file(out, what)  # before the work: a bad path fails now, not after it
    result, kb, rules = _run_assessment(intake, tests, gait, load)
    program = make_program(result, kb, rules)
    if program is None:
        referral = referral_to_json(result, kb)
        referral["referral_files"] = _write_referral(referral, result, intake, html, pdf)
        if json_out:
            print_json(referral)
        else:
            console.print(f"[bold red]{result.report.message}[/]")
            for item in referral["referral"]:
                console.print(f"  • {item['name']}: {item['urgency_words']}", markup=False)
        raise typer.Exit(EXIT_DATA)
    if ics is not None:
        try:
            first = dt.date.fromisoformat(start) if start else dt.date.today()
        except ValueError:
            fail(f"--start: '{start}' is not a date of the form YYYY-MM-DD")
        atomic_write_text(ics, program_to_ics(program, start=first))
    if html is not None:
        err_console.print(f"Handout written to {show_path(write_program_handout(program, result, kb, html))}")
    if pdf is not None:
        err_console.print(f"PDF handout written to {show_path(write_program_pdf(program, result, kb, pdf))}")
    if json_out:
        print_json(
            {
                "stopped": False,
                "assessment": assessment_to_json(result, kb),
                **program_to_json(program, kb, rules),
            }
        )
    else:
        print_program(program)
        if ics is not None:
            console.print(f"calendar written to {show_path(ics)}")


def log_command(
    session: Annotated[Path, typer.Argument(help="One session's set logs (YAML or JSON).")],
    logbook: Annotated[Path, typer.Option("--logbook", help="The logbook JSON file to append to.")],
) -> None:
    """Check one session's logs and append them to the logbook."""
    check_output_file(logbook, "logbook")
    try:
        entry = load_session(session)
        dt.date.fromisoformat(entry.date)
    except InputFileError as exc:
        fail(str(exc))
    except ValueError:
        fail(f"{session}: date: {entry.date!r} is not a real calendar date (YYYY-MM-DD)")
    # Locked read-modify-write, replaced atomically: concurrent `glutemed log` runs lose no entry, and a
    # failed write (full disk) leaves the old logbook as it was.
    with locked(logbook):
        try:
            book = load_logbook(logbook)
        except InputFileError as exc:
            fail(str(exc))
        updated = LogbookIn(sessions=[*book.sessions, entry])
        atomic_write_text(logbook, json.dumps(updated.model_dump(mode="json"), indent=2) + "\n")
    console.print(
        f"logged {len(entry.exercises)} exercise(s) on {entry.date}; {len(updated.sessions)} session(s)"
    )


def progress_command(
    logbook: Annotated[Path, typer.Argument(help="The logbook JSON written by `glutemed log`.")],
    intake: Annotated[Path | None, typer.Option("--intake", help="Intake, to check phase changes.")] = None,
    tests: TestsOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Progress, hold or regress each exercise of the last logged session (pain-monitoring rules)."""
    kb = load_kb()
    rules = _rules()
    try:
        book = load_logbook(logbook)
    except InputFileError as exc:
        fail(str(exc))
    if not book.sessions:
        fail(f"{logbook}: no sessions logged yet; use `glutemed log` first")
    program = None
    scores: tuple[TestScore, ...] = ()
    if intake is not None:
        result, kb, rules = _run_assessment(intake, tests, None, None)
        program = make_program(result, kb, rules)
        scores = result.scores
    decisions, prompts = progress(book.sessions[-1].to_core(), kb, rules, program, scores)
    if json_out:
        print_json(
            {"date": book.sessions[-1].date, "decisions": [d.__dict__ for d in decisions], "phase": prompts}
        )
        return
    for d in decisions:
        console.print(
            f"[bold]{escape(d.exercise_id)}[/]: {d.action.upper()} — {escape(d.reason)}. Next: {escape(d.next_step)}"
        )
    for prompt in prompts:
        console.print(prompt)


def register(app: typer.Typer) -> None:
    app.command("assess")(assess_command)
    app.command("program")(program_command)
    app.command("log")(log_command)
    app.command("progress")(progress_command)
