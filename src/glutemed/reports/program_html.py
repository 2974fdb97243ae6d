"""The program handout: one printable, self-contained HTML page (and PDF) a runner can take to training.

It holds the findings the program answers, then each phase with its exercises (dose, steps, cues, why and the
references behind it), the pre-run routine, running cues, what to leave out and why, and the weekly calendar.
Like the gait report it is built from f-strings, and every piece of text goes through ``html.escape``.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from glutemed.core.findings import Finding
from glutemed.core.programming import Phase, Prescription, Program
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.reports.gait_html import _atomic_write, write_gait_pdf

if TYPE_CHECKING:  # reports depend on core and the knowledge base only; the service type is for mypy
    from glutemed.services.assessment import AssessmentResult

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
STATUS_WORDS = {"present": "present", "absent": "absent", "undetermined": "not determined"}
_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:900px;padding:0 1rem;color:#1f2937}
h1{margin-bottom:.2rem}h2{border-bottom:1px solid #d1d5db;padding-bottom:.2rem;margin-top:2rem}
h3{margin:1.2rem 0 .3rem}table{border-collapse:collapse;margin:.5rem 0 1rem;width:100%}
td,th{border:1px solid #d1d5db;padding:.3rem .5rem;text-align:left;font-size:.88rem;vertical-align:top}
th{background:#f3f4f6}.note{color:#4b5563;font-size:.88rem}.dose{font-weight:600}
.s{display:inline-block;padding:.05rem .45rem;border-radius:.6rem;font-weight:600}
.s-present{background:#fee2e2;color:#991b1b}.s-absent{background:#dcfce7;color:#166534}
.s-undetermined{background:#f3f4f6;color:#6b7280}.weak{color:#92400e}
.exercise{border:1px solid #e5e7eb;border-radius:.4rem;padding:.2rem 1rem .6rem;margin:.8rem 0}
.avoid{background:#fffbeb;border-left:5px solid #f59e0b;padding:.4rem 1rem}
@page{size:A4;margin:1.5cm}@media print{body{margin:0;max-width:none}.exercise{break-inside:avoid}}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _list(items: Iterable[str], tag: str = "ul") -> str:
    inner = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f"<{tag}>{inner}</{tag}>" if inner else ""


def _citations(keys: Iterable[str], kb: KnowledgeBase) -> list[str]:
    out = []
    for key in dict.fromkeys(keys):
        ref = kb.references.get(key)
        out.append(ref.citation() if ref else key)
    return out


def _exercise_name(kb: KnowledgeBase, exercise_id: str) -> str:
    ex = kb.exercises.get(exercise_id)
    return ex.name if ex else exercise_id


def dose_text(p: Prescription) -> str:
    """'3 x 12 reps per side, rest 45 s, 3 sessions a week' in words a runner reads."""
    amount = f"{p.reps} reps" if p.reps is not None else f"{p.hold_s} s hold"
    parts = [f"{p.sets} x {amount}" + (" per side" if p.per_side else "")]
    if p.tempo:
        parts.append(f"tempo {p.tempo} s (lift-pause-lower)")
    parts.append(f"rest {p.rest_s} s between sets")
    parts.append(f"{p.sessions_per_week} sessions a week")
    return ", ".join(parts)


def _findings(assessment: AssessmentResult) -> str:
    rows = []
    for f in assessment.report.findings:
        rows.append(
            f"<tr><td>{_e(f.name)}</td>"
            f'<td><span class="s s-{_e(f.status)}">{_e(STATUS_WORDS.get(f.status, f.status))}</span></td>'
            f"<td>{_e(f.evidence_level)}</td><td>{_e(f.reasoning)}{_weak(f)}</td></tr>"
        )
    if not rows:
        return "<h2>What the assessment found</h2><p>No findings were evaluated.</p>"
    conditions = ", ".join(assessment.suspected_conditions) or "none"
    return (
        "<h2>What the assessment found</h2>"
        f"<p>Suspected conditions: {_e(conditions)}.</p>"
        "<table><tr><th>Finding</th><th>Status</th><th>Evidence</th><th>Reasoning</th></tr>"
        + "".join(rows)
        + '</table><p class="note">A screening, not a diagnosis. See a clinician when pain persists, '
        "grows or changes.</p>"
    )


def _weak(f: Finding) -> str:
    parts = []
    if f.weak_evidence:
        parts.append(f'<br><span class="weak">Where the evidence is weak: {_e(f.weak_evidence)}</span>')
    if f.missing:
        parts.append(f'<br><span class="note">Missing: {_e("; ".join(f.missing))}</span>')
    return "".join(parts)


def _precautions(program: Program, kb: KnowledgeBase) -> str:
    if not program.precautions:
        return ""
    refs = _list(_citations(program.precaution_refs, kb))
    return (
        f'<h2>Safety first</h2><div class="avoid">{_list(program.precautions)}'
        + (f'<div class="note"><strong>References</strong>{refs}</div>' if refs else "")
        + "</div>"
    )


def _exercise(p: Prescription, kb: KnowledgeBase) -> str:
    ex = kb.exercises.get(p.exercise_id)
    steps = _list(ex.instructions, "ol") if ex else ""
    cues = _list(ex.cues) if ex else ""
    tfl = _list(ex.tfl_cues) if ex and ex.tfl_cues else ""
    distance = f" ({_e(ex.dose.distance)})" if ex and ex.dose.distance else ""
    refs = _list(_citations(p.refs, kb))
    return (
        f'<div class="exercise"><h3>{_e(p.name)}</h3>'
        f'<p class="dose">{_e(dose_text(p))}{distance}</p>'
        + (f"<p><strong>How to do it</strong></p>{steps}" if steps else "")
        + (f"<p><strong>Cues</strong></p>{cues}" if cues else "")
        + (f"<p><strong>Keep the tensor fasciae latae out</strong></p>{tfl}" if tfl else "")
        + f"<p><strong>Why</strong> {_e(p.why)}</p>"
        + (f'<div class="note"><strong>References</strong>{refs}</div>' if refs else "")
        + "</div>"
    )


def _phase(index: int, phase: Phase, kb: KnowledgeBase) -> str:
    refs = "; ".join(_citations(phase.refs, kb))
    return (
        f"<h2>Phase {index}: {_e(phase.name)}</h2><p>{_e(phase.why)}</p>"
        + (f'<p class="note">Sources: {_e(refs)}</p>' if refs else "")
        + "".join(_exercise(p, kb) for p in phase.exercises)
    )


def _pre_run(program: Program, kb: KnowledgeBase) -> str:
    if not program.pre_run:
        return ""
    routine = kb.routines.get("pre-run-activation")
    rows = "".join(
        f"<tr><td>{_e(_exercise_name(kb, item.exercise_id))}</td><td>{_e(item.dose)}</td>"
        f"<td>{_e(item.why)}</td></tr>"
        for item in program.pre_run
    )
    purpose = f"<p>{_e(routine.purpose)}</p>" if routine else ""
    refs = "; ".join(_citations(routine.sources, kb)) if routine else ""
    first = program.pre_run_by_phase[0] if program.pre_run_by_phase else None
    changes = (
        _list(f"{_exercise_name(kb, c.exercise_id)}: {c.reason}" for c in first.changes) if first else ""
    )
    return (
        "<h2>Before every run</h2>"
        + purpose
        + (f"<p>For now (up to stage {_e(first.max_stage)}):</p>" if first else "")
        + "<table><tr><th>Exercise</th><th>Dose</th><th>Why</th></tr>"
        + rows
        + "</table>"
        + (f'<p class="note">Changed from the full routine for you:</p>{changes}' if changes else "")
        + _pre_run_growth(program, kb)
        + (f'<p class="note">Source: {_e(refs)}</p>' if refs else "")
    )


def _pre_run_growth(program: Program, kb: KnowledgeBase) -> str:
    stages = program.pre_run_by_phase
    rows = [
        f"<tr><td>{_e(cur.phase_name)}</td>"
        f"<td>{_e(', '.join(_exercise_name(kb, i.exercise_id) for i in cur.items))}</td></tr>"
        for prev, cur in itertools.pairwise(stages)
        if cur.items != prev.items
    ]
    if not rows:
        return ""
    return (
        "<p>The routine grows as phases close. Once you reach each phase, use:</p>"
        "<table><tr><th>From the phase</th><th>Pre-run routine</th></tr>" + "".join(rows) + "</table>"
    )


def _value(value: float | None, unit: str) -> str:
    return "not measured" if value is None else f"{value:.1f} {unit}"


def _gait(program: Program, kb: KnowledgeBase) -> str:
    if not program.gait_answers and not program.gait_gaps:
        return ""
    rows = "".join(
        f"<tr><td>{_e(a.name)}</td><td>{_e(a.side)}</td><td>{_e(a.verdict)}</td>"
        f"<td>{_e(_value(a.value, a.unit))}</td><td>{_e(a.normal_band)}</td>"
        f"<td>{_e(a.what_the_program_does)}</td></tr>"
        for a in program.gait_answers
    )
    table = (
        "<table><tr><th>Fault</th><th>Leg</th><th>Verdict</th><th>Your value</th><th>Normal band</th>"
        f"<th>What the program does</th></tr>{rows}</table>"
        if rows
        else ""
    )
    refs = _citations((r for a in program.gait_answers for r in a.refs), kb)
    gaps = _list(f"{g.name}: not judged ({g.reason}). {g.advice}" for g in program.gait_gaps)
    return (
        "<h2>What your running video found, and the answer</h2>"
        + table
        + (f'<div class="note"><strong>References</strong>{_list(refs)}</div>' if refs else "")
        + (
            "<h3>Not judged from the video</h3><p>These are gaps, not normal results. To judge them next "
            f"time:</p>{gaps}"
            if gaps
            else ""
        )
    )


def _running_cues(program: Program, kb: KnowledgeBase) -> str:
    if not program.running_cues:
        return ""
    parts = ["<h2>While running</h2>"]
    for cue in program.running_cues:
        target = ""
        if cue.target_cadence_spm is not None:
            low, high = cue.target_cadence_spm
            target = f" Target cadence: {low:.0f}–{high:.0f} steps/min."
        refs = "; ".join(_citations(cue.refs, kb))
        parts.append(
            f"<p><strong>{_e(cue.cue)}</strong>{_e(target)}<br>{_e(cue.why)}"
            + (f'<br><span class="note">{_e(refs)}</span>' if refs else "")
            + "</p>"
        )
    return "".join(parts)


def _avoided(program: Program, kb: KnowledgeBase) -> str:
    if not program.avoided:
        return ""
    items = "".join(
        f"<li><strong>{_e(_exercise_name(kb, a.exercise_id))}</strong>: {_e(a.reason)}"
        f'<br><span class="note">{_e("; ".join(_citations(a.refs, kb)))}</span></li>'
        for a in program.avoided
    )
    return f'<h2>What to leave out for now</h2><div class="avoid"><ul>{items}</ul></div>'


def _calendar(program: Program) -> str:
    rows = "".join(
        f"<tr><td>{_e(day)}</td><td>{_e('; '.join(items)) or '—'}</td></tr>"
        for day, items in zip(DAYS, program.calendar, strict=False)
    )
    return f"<h2>Your week</h2><table><tr><th>Day</th><th>What to do</th></tr>{rows}</table>"


def render_program_handout(program: Program, assessment: AssessmentResult, kb: KnowledgeBase) -> str:
    """The whole handout as one HTML document with inline CSS and no external assets."""
    who = assessment.intake.name or "the runner"
    notes = _list(program.notes)
    body = (
        f"<h1>Gluteus medius program</h1><p class='note'>For {_e(who)}. Work through the phases in order; "
        "log each session and <code>glutemed progress</code> says when to progress, hold or regress and when "
        "a phase is done and a re-test is due.</p>"
        + _findings(assessment)
        + _precautions(program, kb)
        + "".join(_phase(i, phase, kb) for i, phase in enumerate(program.phases, start=1))
        + _gait(program, kb)
        + _pre_run(program, kb)
        + _running_cues(program, kb)
        + _avoided(program, kb)
        + _calendar(program)
        + (f"<h2>Notes</h2>{notes}" if notes else "")
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e('Gluteus medius program — ' + who)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_program_handout(
    program: Program, assessment: AssessmentResult, kb: KnowledgeBase, path: Path
) -> Path:
    """Render and write the HTML handout atomically (temporary name, then rename)."""
    text = render_program_handout(program, assessment, kb)
    return _atomic_write(Path(path), text.encode("utf-8"))


def write_program_pdf(program: Program, assessment: AssessmentResult, kb: KnowledgeBase, path: Path) -> Path:
    """The handout as PDF through WeasyPrint, written atomically like the HTML."""
    return write_gait_pdf(render_program_handout(program, assessment, kb), Path(path))
