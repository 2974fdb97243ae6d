"""The program handout: a printable, self-contained page (HTML, and PDF through WeasyPrint) a runner can follow.

Rendered from ``templates/program_handout.html.j2`` on the shared base page and stylesheet. Order: what we found
and what the plan does about it, the week-by-week plan, then each phase with its rule to move on and its
exercises (figures, steps, cues, dose, why), the pre-run routine, running cues, what to leave out, notes and the
sources. Runner words only: every knowledge-base id goes through :class:`~glutemed.reports.program_words.Words`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from glutemed.core.gait_answers import gap_notes
from glutemed.core.plan import WEEKDAYS, Plan, PlanDay, climb_words, dose_words, target_words
from glutemed.core.programming import Phase, Prescription, Program
from glutemed.io.atomic import atomic_write_bytes
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.reports.gait_html import write_gait_pdf
from glutemed.reports.program_words import FINDING_WORDS, Words, avoided_reason, exercise_why
from glutemed.reports.templating import PageSize, render

if TYPE_CHECKING:  # reports depend on core and the knowledge base only; the service type is for mypy
    from glutemed.services.assessment import AssessmentResult

STATUS_WORDS = {"present": "found", "absent": "not found", "undetermined": "not determined yet"}
FigureSource = Callable[[str, KnowledgeBase], list[tuple[str, str]]]


def figures_from_module(exercise_id: str, kb: KnowledgeBase) -> list[tuple[str, str]]:
    """(position, SVG) pairs from ``glutemed.reports.exercise_figures``; none when it is missing or has none."""
    try:
        from glutemed.reports import exercise_figures
    except ImportError:  # the figures module is optional: the handout still renders, without pictures
        return []
    try:
        return list(exercise_figures.figures_for(exercise_id, kb=kb))
    except KeyError:
        return []


def dose_text(p: Prescription) -> str:
    """'3 x 12 reps on each side, rest 45 s, 3 sessions a week' in words a runner reads."""
    return f"{dose_words(p)}, {p.sessions_per_week} sessions a week"


@dataclass(frozen=True)
class Card:
    """One exercise as the handout shows it."""

    id: str
    name: str
    dose: str
    climb: str
    target: str
    steps: tuple[str, ...]
    cues: tuple[str, ...]
    tfl_cues: tuple[str, ...]
    why: str
    ladder: tuple[str, ...]
    figures: tuple[tuple[str, Markup], ...]
    sources: tuple[int, ...]


class _Sources:
    """Numbered references, in the order the handout first cites them."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.keys: list[str] = []

    def numbers(self, keys: tuple[str, ...] | list[str]) -> tuple[int, ...]:
        out = []
        for key in dict.fromkeys(keys):
            if key not in self.keys:
                self.keys.append(key)
            out.append(self.keys.index(key) + 1)
        return tuple(out)

    def entries(self) -> list[str]:
        return [self.kb.references[k].citation() if k in self.kb.references else k for k in self.keys]


def _answers(program: Program) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for answer in program.gait_answers:
        for ident in answer.exercise_ids:
            out.setdefault(ident, []).append(f"{answer.name.lower()} ({answer.side} leg)")
    return out


def _card(p: Prescription, phase: Phase, plan: Plan, ctx: _Context) -> Card:
    ex = ctx.kb.exercises.get(p.exercise_id)
    step = next(ph for ph in plan.phases if ph.phase_id == phase.id)
    climb = next(c for c in step.climbs if c.exercise_id == p.exercise_id)
    distance = f" ({ex.dose.distance})" if ex and ex.dose.distance else ""
    answers = ctx.answers.get(p.exercise_id, ())
    return Card(
        id=p.exercise_id,
        name=p.name,
        dose=dose_text(p) + distance,
        climb=climb_words(climb),
        target=target_words(climb),
        steps=tuple(ex.instructions) if ex else (),
        cues=tuple(ex.cues) if ex else (),
        tfl_cues=tuple(ex.tfl_cues) if ex else (),
        why=exercise_why(p, phase.id, ex, ctx.words, answers) if ex else ctx.words.plain(p.why),
        ladder=ctx.ladders.get(p.exercise_id, ()),
        figures=tuple((pos, Markup(svg)) for pos, svg in ctx.figures(p.exercise_id, ctx.kb)),  # our own SVG
        sources=ctx.sources.numbers([*p.refs]),
    )


@dataclass
class _Context:
    kb: KnowledgeBase
    words: Words
    sources: _Sources
    answers: dict[str, list[str]]
    ladders: dict[str, tuple[str, ...]]
    figures: FigureSource


def _day_label(day: PlanDay) -> str:
    if day.exercises and day.run:
        return "session + run"
    if day.exercises:
        return "session"
    return "run" if day.run else "rest"


def _criterion(text: str) -> str:
    """progression.yaml's exit criterion in the handout's words ('earns progress' is the logbook's term)."""
    return text.replace("earns 'progress'", "reaches its target")


def _phases(program: Program, plan: Plan, ctx: _Context) -> list[dict[str, Any]]:
    shown: dict[str, int] = {}
    previous: tuple[list[dict[str, str]], int] | None = None  # the last routine shown, and its phase
    out = []
    for phase, step in zip(program.phases, plan.phases, strict=True):
        cards, repeats = [], []
        for p in phase.exercises:
            if p.exercise_id in shown:
                repeats.append({"name": p.name, "dose": dose_text(p), "phase": shown[p.exercise_id]})
                continue
            shown[p.exercise_id] = step.number
            cards.append(_card(p, phase, plan, ctx))
        routine = [
            {"name": ctx.words.name(item.exercise_id), "dose": item.dose}
            for item in next((d.pre_run for d in step.days if d.run), ())
        ]
        same = previous is not None and previous[0] == routine
        if not same:
            previous = (routine, step.number)
        out.append(
            {
                "plan": step,
                "why": ctx.words.plain(phase.why),
                "sources": ctx.sources.numbers(list(phase.refs)),
                "cards": cards,
                "repeats": repeats,
                "pre_run": routine,
                "pre_run_as_phase": previous[1] if same and previous else None,
                "session_days": ", ".join(d.name for d in step.session_days) or "none",
                "run_days": ", ".join(d.name for d in step.run_days),
                "criteria": [_criterion(ctx.words.plain(c)) for c in step.criteria],
            }
        )
    return out


def _gait_rows(program: Program, words: Words) -> list[dict[str, Any]]:
    """One row per fault and answer: both legs on one row when the plan answers them the same way."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for a in program.gait_answers:
        row = rows.setdefault(
            (a.name, a.what_the_program_does),
            {
                "name": a.name,
                "answer": words.plain(a.what_the_program_does),
                "band": a.normal_band,
                "legs": [],
            },
        )
        value = "not measured" if a.value is None else f"{a.value:.1f} {a.unit}"
        row["legs"].append({"side": a.side, "verdict": a.verdict, "value": value})
    return list(rows.values())


def _summary(assessment: AssessmentResult, program: Program, words: Words) -> dict[str, Any]:
    findings = assessment.report.findings
    return {
        "conditions": [words.name(c) for c in assessment.suspected_conditions],
        "found": [
            {"name": words.name(f.id), "evidence_level": f.evidence_level}
            for f in findings
            if f.status == "present"
        ],
        "open": [words.name(f.id) for f in findings if f.status == "undetermined"],
        "gait": _gait_rows(program, words),
        "gaps": _gaps(program, words),
        "precautions": [words.plain(p) for p in program.precautions],
    }


def _gaps(program: Program, words: Words) -> list[dict[str, str]]:
    """The faults the video could not judge, grouped by cause: one line and one filming advice per cause."""
    groups: dict[tuple[str, str], list[str]] = {}
    for g in program.gait_gaps:
        groups.setdefault((words.plain(g.reason), words.plain(g.advice)), []).append(g.name)
    out = []
    for (reason, advice), names in groups.items():
        listed = [names[0], *(n[:1].lower() + n[1:] if n[1:2].islower() else n for n in names[1:])]
        joined = ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else listed[0]
        out.append({"names": joined, "reason": reason, "advice": advice})
    return out


def _avoided(program: Program, words: Words, sources: _Sources) -> list[dict[str, Any]]:
    """What to leave out, grouped by the reason in plain words (one line per reason, not per exercise)."""
    groups: dict[str, dict[str, Any]] = {}
    for a in program.avoided:
        reason = avoided_reason(a, words)
        group = groups.setdefault(reason, {"names": [], "reason": reason, "refs": []})
        group["names"].append(words.name(a.exercise_id))
        group["refs"].extend(a.refs)
    return [{**g, "sources": sources.numbers(g["refs"])} for g in groups.values()]


def _rule_words() -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
    """From the bundled rules: each ladder's rungs in words, and the cue ids (notes name them) as words."""
    from glutemed.knowledge.rules import bundled_rules

    rules = bundled_rules()
    ladders = rules.progression_rules().ladders
    cues = {cue.id: cue.id.replace("-", " ") for cue in rules.programming().cues}
    return {ident: tuple(step.label for step in steps) for ident, steps in ladders.items()}, cues


def _default_plan(program: Program, assessment: AssessmentResult, kb: KnowledgeBase) -> Plan:
    # The plan is normally passed in by the caller; without one the service builds it with the bundled rules.
    from glutemed.knowledge.rules import bundled_rules
    from glutemed.services.program import plan_for

    return plan_for(program, assessment, kb, bundled_rules())


def render_program_handout(
    program: Program,
    assessment: AssessmentResult,
    kb: KnowledgeBase,
    *,
    plan: Plan | None = None,
    ladders: dict[str, tuple[str, ...]] | None = None,
    page_size: PageSize = "A4",
    figures: FigureSource = figures_from_module,
) -> str:
    """The whole handout as one HTML document with the shared stylesheet inlined and no external assets."""
    plan = plan or _default_plan(program, assessment, kb)
    default_ladders, cue_words = _rule_words()
    finding_names = {f.id: FINDING_WORDS.get(f.id, f.name) for f in assessment.report.findings}
    words = Words(kb, extra={**cue_words, **finding_names})
    sources = _Sources(kb)
    ladders = default_ladders if ladders is None else ladders
    ctx = _Context(kb, words, sources, _answers(program), ladders, figures)
    summary = _summary(assessment, program, words)
    gait_sources = sources.numbers([r for a in program.gait_answers for r in a.refs])
    phases = _phases(program, plan, ctx)
    cues = [
        {
            "cue": words.plain(c.cue),
            "why": words.plain(c.why),
            "cadence": c.target_cadence_spm,
            "sources": sources.numbers(list(c.refs)),
        }
        for c in program.running_cues
    ]
    avoided = _avoided(program, words, sources)
    gaps = set(gap_notes(program.gait_gaps))
    precaution_sources = sources.numbers(list(program.precaution_refs))
    return render(
        "program_handout.html.j2",
        page_size=page_size,
        who=assessment.intake.name or "you",
        plan=plan,
        weeks=plan.weeks(),
        weekdays=WEEKDAYS,
        day_label=_day_label,
        summary=summary,
        gait_sources=gait_sources,
        precaution_sources=precaution_sources,
        phases=phases,
        cues=cues,
        avoided=avoided,
        # the gaps have their own section, with the filming advice once per cause
        notes=[words.plain(n) for n in program.notes if n not in program.precautions and n not in gaps],
        sources=sources.entries(),
    )


def write_program_handout(
    program: Program,
    assessment: AssessmentResult,
    kb: KnowledgeBase,
    path: Path,
    *,
    plan: Plan | None = None,
    page_size: PageSize = "A4",
) -> Path:
    """Render and write the HTML handout atomically (temporary name, then rename)."""
    text = render_program_handout(program, assessment, kb, plan=plan, page_size=page_size)
    return atomic_write_bytes(Path(path), text.encode("utf-8"))


def write_program_pdf(
    program: Program,
    assessment: AssessmentResult,
    kb: KnowledgeBase,
    path: Path,
    *,
    plan: Plan | None = None,
    page_size: PageSize = "A4",
) -> Path:
    """The handout as PDF through WeasyPrint, written atomically like the HTML."""
    text = render_program_handout(program, assessment, kb, plan=plan, page_size=page_size)
    return write_gait_pdf(text, Path(path))
