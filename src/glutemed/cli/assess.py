"""Commands for the assessment and the program: assess, program, log, progress."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from glutemed.cli.common import EXIT_DATA, console, err_console, fail, load_kb, print_json, show_path
from glutemed.cli.open_first import print_open_first
from glutemed.contracts.gait_result import ContractError
from glutemed.core.clinical_scoring import TestScore
from glutemed.core.plan import Plan, climb_words, dose_words
from glutemed.core.programming import Program
from glutemed.io.atomic import atomic_write_text, check_output_file, locked
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.rules import Rules, RulesError, bundled_rules
from glutemed.reports.program_html import write_program_handout, write_program_pdf
from glutemed.reports.program_words import Words, avoided_reason
from glutemed.reports.referral_html import write_referral_html, write_referral_pdf
from glutemed.reports.templating import Audience
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
    name_of,
    plan_for,
    program_to_json,
    progress,
    referral_to_json,
)
from glutemed.services.program_calendar import check_zone, program_to_ics, system_time_zone
from glutemed.services.session_template import session_template

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


SCORE_NAMES = {"hip-abduction-deficit": "Hip abduction strength, side to side"}  # a score, not a KB test


def plain_interpretation(score: TestScore) -> str:
    """The runner's words for a score: strength against the norm without z-scores (--json keeps them)."""
    if score.details.get("compared_with_norm") == 1.0 and score.value is not None:
        where = "below the usual range" if score.positive else "not below the usual range"
        typical = score.details["norm_nm_per_kg"]
        return f"{score.value:.2f} Nm/kg: {where} for your age and sex (typical {typical:.2f} Nm/kg)"
    return score.interpretation


def _print_assessment(result: AssessmentResult, kb: KnowledgeBase | None = None) -> None:
    report = result.report
    if report.stopped:
        console.print(f"[bold red]{report.message}[/]")
        console.print("Red-flag answers: " + ", ".join(f.replace("_", " ") for f in report.red_flags))
        return
    if result.scores:
        table = Table(title="Clinical tests")
        for column in ("test", "side", "result", "what it means"):
            table.add_column(column)
        for s in result.scores:
            test = kb.clinical_tests.get(s.test_id) if kb else None
            table.add_row(
                escape(test.name if test else SCORE_NAMES.get(s.test_id, s.test_id)),
                s.side or "-",
                "positive" if s.positive else "negative",
                escape(plain_interpretation(s)),
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


def print_program(program: Program, plan: Plan | None = None, kb: KnowledgeBase | None = None) -> None:
    def name(ident: str) -> str:
        return kb.exercises[ident].name if kb and ident in kb.exercises else ident

    words = Words(kb) if kb else None

    def plain(text: str) -> str:
        return words.plain(text) if words else text

    steps = {p.phase_id: p for p in plan.phases} if plan else {}
    for line in program.precautions:
        console.print(f"[bold yellow]Safety first[/]: {plain(line)}", highlight=False)
    for index, phase in enumerate(program.phases, start=1):
        step = steps.get(phase.id)
        when = ""
        if step is not None:
            days = ", ".join(d.name[:3] for d in step.session_days)
            when = f" (weeks {step.first_week}-{step.last_week}{' and on' if step.ongoing else ''}; {days})"
        console.print(f"[bold]{index}. {phase.name}[/]{when} — {phase.why}", highlight=False)
        climbs = {c.exercise_id: c for c in step.climbs} if step else {}
        for p in phase.exercises:
            climb = f"; {climb_words(climbs[p.exercise_id])}" if p.exercise_id in climbs else ""
            console.print(
                f"   • {p.name}: {dose_words(p)}, {p.sessions_per_week}/week{climb}", highlight=False
            )
        if step is not None:
            console.print(f"   [dim]{step.move_on[0]}[/]", highlight=False)
    if program.pre_run:
        console.print(
            "[bold]Before every run[/]: "
            + ", ".join(f"{name(i.exercise_id)} {i.dose}" for i in program.pre_run),
            highlight=False,
        )
    for cue in program.running_cues:
        console.print(
            f"[bold]Running cue[/]: {cue.cue} [dim]{cue.why} {', '.join(cue.refs)}[/]", highlight=False
        )
    _print_gait_answers(program)
    if program.avoided:
        console.print(f"[bold]Avoid[/] ({len(program.avoided)} exercises):")
        for a in program.avoided:
            why = avoided_reason(a, words) if words else a.reason
            console.print(f"   ✗ {name(a.exercise_id)}: {why}", highlight=False)
    if plan is None:
        for day, items in zip(
            ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), program.calendar, strict=True
        ):
            console.print(f"   {day}: {'; '.join(items)}")
    else:
        console.print(
            f"[bold]Plan[/]: about {plan.total_weeks} weeks; {' '.join(plan.assumptions)}", highlight=False
        )
    for note in program.notes:
        console.print(f"[dim]note: {plain(note)}[/]", highlight=False)


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
        _print_assessment(result, kb)


def _write_referral(
    referral: dict[str, Any],
    result: AssessmentResult,
    intake: Path,
    html: Path | None,
    pdf: Path | None,
    audience: Audience = "runner",
    *,
    default_in_cwd: bool = True,
) -> list[str]:
    """A stopped program writes the referral sheet to --html/--pdf, or beside the working folder when neither
    is given (``<intake name>-referral.html``; not with --json, which writes only what it is asked to); the
    paths written are returned and printed."""
    targets = [(html, write_referral_html), (pdf, write_referral_pdf)]
    if html is None and pdf is None and default_in_cwd:
        targets = [(Path.cwd() / f"{intake.stem}-referral.html", write_referral_html)]
    written: list[str] = []
    for path, write in targets:
        if path is not None:
            done = write(referral, result, path, audience=audience)
            err_console.print(f"Referral sheet ({audience}) written to {done}", markup=False)
            written.append(str(done))
    return written


def _write_handouts(
    program: Program,
    result: AssessmentResult,
    kb: KnowledgeBase,
    plan: Plan,
    html: Path | None,
    pdf: Path | None,
) -> list[tuple[Path, str]]:
    """The handout as HTML and PDF, where asked for: each file written with what it is."""
    written: list[tuple[Path, str]] = []
    if html is not None:
        written.append((write_program_handout(program, result, kb, html, plan=plan), "the program handout"))
    if pdf is not None:
        written.append((write_program_pdf(program, result, kb, pdf, plan=plan), "the program handout as PDF"))
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
    tz: Annotated[
        str | None,
        typer.Option(
            "--tz",
            help="Time zone of the calendar, e.g. Europe/London (default: the system's, else Europe/London).",
        ),
    ] = None,
    run_days: Annotated[
        str | None,
        typer.Option(
            "--run-days",
            help="Your running days, e.g. tue,thu,sat (default: spread over your runs a week).",
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the printable program handout as HTML.")
    ] = None,
    pdf: Annotated[Path | None, typer.Option("--pdf", help="Write the program handout as PDF.")] = None,
    referral_for: Annotated[
        str,
        typer.Option(
            "--referral-for",
            help="When red flags stop the program: write the referral sheet for the runner or the clinician.",
        ),
    ] = "runner",
) -> None:
    """Build the staged program: phases, doses, pre-run routine, running cues, what to avoid, calendar."""
    for out, what in ((ics, "ICS calendar"), (html, "HTML handout"), (pdf, "PDF handout")):
        if out is not None:
            check_output_file(out, what)  # before the work: a bad path fails now, not after it
    if referral_for not in ("runner", "clinician"):
        fail(f"--referral-for: '{referral_for}' is not one of runner, clinician")
    result, kb, rules = _run_assessment(intake, tests, gait, load)
    program = make_program(result, kb, rules)
    if program is None:
        referral = referral_to_json(result, kb)
        audience: Audience = "clinician" if referral_for == "clinician" else "runner"
        referral["referral_files"] = _write_referral(
            referral, result, intake, html, pdf, audience, default_in_cwd=not json_out
        )
        if json_out:
            print_json(referral)
        else:
            console.print(f"[bold red]{result.report.message}[/]")
            for item in referral["referral"]:
                console.print(f"  • {item['name']}: {item['urgency_words']}", markup=False)
        raise typer.Exit(EXIT_DATA)
    plan = plan_for(program, result, kb, rules, run_days=_run_days(run_days))
    if ics is not None:
        try:
            first = dt.date.fromisoformat(start) if start else dt.date.today()
        except ValueError:
            fail(f"--start: '{start}' is not a date of the form YYYY-MM-DD")
        zone, origin = (tz, "--tz") if tz else system_time_zone()
        try:
            check_zone(zone)
        except ValueError as exc:
            fail(f"--tz: {exc}")
        atomic_write_text(ics, program_to_ics(plan, name_of(kb), start=first, zone=zone))
        err_console.print(f"Calendar time zone: {zone} (from {origin})", markup=False)
    written = _write_handouts(program, result, kb, plan, html, pdf)
    if json_out:
        for done, what in written:
            err_console.print(f"Written: {show_path(done)} ({what})", highlight=False)
    if json_out:
        print_json(
            {
                "stopped": False,
                "assessment": assessment_to_json(result, kb),
                **program_to_json(program, kb, rules, plan),
            }
        )
    else:
        print_program(program, plan, kb)
        if written:  # the handout to open first; the PDF and the calendar in one line
            print_open_first(written[:1], [p for p in (pdf, ics) if p is not None])
        elif ics is not None:
            console.print(f"calendar written to {show_path(ics)}")


DAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _run_days(text: str | None) -> tuple[int, ...]:
    """'tue,thu,sat' to weekday numbers (Monday 0); a bad day name fails with the names allowed."""
    if not text:
        return ()
    days = []
    for part in text.split(","):
        code = part.strip().lower()[:3]
        if code not in DAY_CODES:
            fail(f"--run-days: '{part.strip()}' is not a day (use {', '.join(DAY_CODES)})")
        days.append(DAY_CODES.index(code))
    return tuple(sorted(set(days)))


def log_command(
    session: Annotated[
        Path | None,
        typer.Argument(help="One session's set logs (YAML or JSON); with --template, the file to write."),
    ] = None,
    logbook: Annotated[
        Path | None, typer.Option("--logbook", help="The logbook JSON file to append to.")
    ] = None,
    template: Annotated[
        bool,
        typer.Option(
            "--template",
            help="Write an example session file (commented YAML) to SESSION, or print it when SESSION is left out.",
        ),
    ] = False,
) -> None:
    """Check one session's logs and append them to the logbook (--template: an example session to fill in)."""
    if template:
        _write_session_template(session)
        return
    if session is None or logbook is None:
        fail("give a session file and --logbook (or --template [FILE] for an example session file)")
    check_output_file(logbook, "logbook")
    try:
        entry = load_session(session)
        dt.date.fromisoformat(entry.date)
    except InputFileError as exc:
        fail(str(exc))
    except ValueError:
        fail(f"{session}: date: {entry.date!r} is not a real calendar date (YYYY-MM-DD)")
    exercises = load_kb().exercises
    for index, logged in enumerate(entry.exercises):
        if logged.exercise not in exercises:
            close = difflib.get_close_matches(logged.exercise, list(exercises), n=3, cutoff=0.5)
            hint = f" Did you mean: {', '.join(close)}?" if close else ""
            fail(
                f"{session}: exercises.{index}.exercise: no exercise with id {logged.exercise!r}.{hint} "
                "See `glutemed exercises list`; nothing was logged."
            )
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


def _write_session_template(path: Path | None) -> None:
    """The example session, printed or written to ``path`` (refused when that file exists already)."""
    text = session_template(load_kb(), _rules())
    if path is None:
        typer.echo(text, nl=False)
        return
    if path.exists():
        fail(f"{path} exists already; give another file name for the session template")
    check_output_file(path, "session template")
    atomic_write_text(path, text)
    console.print(
        f"Session template written to {show_path(path)}. Fill it in, then: "
        f"glutemed log {show_path(path)} --logbook logbook.json",
        highlight=False,
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
    trend: dict[str, Any] | None = None
    latest_last = book.sessions[-1].date == max(s.date for s in book.sessions)
    if len(book.sessions) > 1 and latest_last:  # several sessions: the weekly next-morning pain trend caps
        from dataclasses import replace

        from glutemed.services.progress_log import LoggedDay, evaluate, trend_to_json

        days = [LoggedDay(dt.date.fromisoformat(s.date), s) for s in book.sessions]
        plan = program_to_json(program, kb, rules) if program is not None else {"phases": []}
        try:
            e = evaluate(plan, days)
        except ValueError as exc:
            fail(f"{logbook}: {exc}")
        decisions = [
            replace(d, action=x.action, reason=x.reason, next_step=x.next_step, refs=x.refs)
            for d, x in zip(decisions, e.decisions, strict=True)
        ]
        prompts = [e.phase_text] if program is not None else []
        trend = trend_to_json(e.pain_trend)
    if json_out:
        out = {"date": book.sessions[-1].date, "decisions": [d.__dict__ for d in decisions], "phase": prompts}
        print_json({**out, "pain_trend": trend} if trend else out)
        return
    if trend:
        console.print(escape(trend["text"]))
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
