"""Progress, hold or regress every exercise from a runner's whole log history (the runner portal's engine).

Each logged day is decided with :func:`glutemed.core.progression.decide` (the single-session pain-monitoring
rules), then capped by the week-on-week next-morning pain trend (:mod:`glutemed.core.pain_trend`), then set by
a clinician's override when there is one, and finally turned into the next dose. Doses never leave the
exercise catalogue's ranges (sets, reps or hold seconds) and follow progression.yaml's ladders and load steps.
Replaying every logged day in order gives the dose of the next session (:func:`current_doses`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast, get_args

from pydantic import ValidationError

from glutemed.core.clinical_scoring import TestScore, score_all
from glutemed.core.pain_trend import MorningAnswer, PainTrend, pain_trend
from glutemed.core.progression import (
    Action,
    Decision,
    ExerciseLog,
    LadderStep,
    ProgressionRules,
    Target,
    at_top,
    decide,
    phase_ready,
)
from glutemed.knowledge.loader import KnowledgeBase, knowledge_base
from glutemed.knowledge.models import Exercise, RedFlag
from glutemed.knowledge.rules import Rules, bundled_rules
from glutemed.services.assessment import norm_equation
from glutemed.services.intake_schema import RedFlagsIn, RunnerIn, SessionIn, TestsIn
from glutemed.services.program import (
    STRENGTH_PHASE,
    URGENCY_WORDS,
    resolve_red_flags,
    strength_criterion,
    targets,
)

__all__ = [
    "Dose",
    "Evaluation",
    "ExerciseDecision",
    "LoggedDay",
    "PainTrend",
    "current_doses",
    "evaluate",
    "evaluation_to_json",
]

ACTIONS: tuple[str, ...] = get_args(Action)
_ORDER = {"regress": 0, "hold": 1, "progress": 2}


@dataclass(frozen=True)
class LoggedDay:
    """One logged exercise session with its next-morning answers."""

    day: dt.date
    session: SessionIn
    morning_pain_0_10: float | None = None
    morning_stiffness_0_10: float | None = None


@dataclass(frozen=True)
class Dose:
    """What the runner does next session. Exactly one of ``reps_range`` and ``hold_s_range`` is set.

    ``reps_range`` is the range to work in: the low end is the target, the high end the exercise's top (every
    set at the top earns a progression). ``step_label`` is the ladder rung (progression.yaml) or "".
    """

    sets: int
    reps_range: tuple[int, int] | None = None
    hold_s_range: tuple[int, int] | None = None
    load_kg: float = 0.0
    step_label: str = ""
    per_side: bool = False  # the catalogue's dose is for each side (single-leg work)

    def text(self) -> str:
        sets = f"{self.sets} set{'s' if self.sets != 1 else ''}"
        if self.reps_range is not None:
            low, high = self.reps_range
            what = f"{sets} of {low} reps" if low == high else f"{sets} of {low} to {high} reps"
            what += " each side" if self.per_side else ""
        elif self.hold_s_range is not None:
            low, high = self.hold_s_range
            span = f"{low} seconds" if low == high else f"{low} to {high} seconds"
            what = f"{sets}, holding {span} each" + (" side" if self.per_side else "")
        else:
            what = sets
        weight = f"{self.load_kg:g} kg added weight" if self.load_kg > 0 else "no added weight"
        out = f"{what}, {weight}"
        return f"{out} ({self.step_label})" if self.step_label else out


@dataclass(frozen=True)
class ExerciseDecision:
    exercise_id: str
    name: str  # the catalogue's plain name
    action: Action
    reason: str  # clinical wording with numbers (for the clinician)
    plain_reason: str  # plain words for the runner
    next_step: str
    dose_before: Dose
    dose_after: Dose
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    day: dt.date
    decisions: tuple[ExerciseDecision, ...]
    pain_trend: PainTrend
    phase_text: str
    stopped: str | None


# ------------------------------------------------------------------------------------------- context


@dataclass(frozen=True)
class _Context:
    kb: KnowledgeBase
    rules: Rules
    progression: ProgressionRules
    targets: dict[str, Target]
    program_doses: dict[str, Dose] = field(default_factory=dict)
    program_notes: dict[str, list[str]] = field(
        default_factory=dict
    )  # what clamping moved in the program's dose
    phases: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (id, name, exercise ids)


def _context(program: Mapping[str, Any]) -> _Context:
    kb = knowledge_base()
    rules = bundled_rules()
    if not isinstance(program, Mapping):
        raise ValueError("program: expected the program JSON (a mapping with 'phases')")
    phases_in = program.get("phases", [])
    if program.get("stopped") is not True and not isinstance(phases_in, list):
        raise ValueError("program: 'phases' must be a list of phases")
    ctx = _Context(kb, rules, rules.progression_rules(), targets(kb))
    phases: list[tuple[str, str, tuple[str, ...]]] = []
    for p_index, phase in enumerate(phases_in or []):
        items = phase.get("exercises") if isinstance(phase, Mapping) else None
        if not isinstance(items, list):
            raise ValueError(f"program: phases[{p_index}] has no 'exercises' list")
        ids = []
        for i_index, item in enumerate(items):
            where = f"program: phases[{p_index}].exercises[{i_index}]"
            if not isinstance(item, Mapping) or not isinstance(item.get("exercise_id"), str):
                raise ValueError(f"{where}: needs an 'exercise_id'")
            ex_id = item["exercise_id"]
            ids.append(ex_id)
            if ex_id not in ctx.program_doses:
                dose, notes = _dose_from_item(item, _exercise(ctx, ex_id), ctx, where)
                ctx.program_doses[ex_id] = dose
                if notes:
                    ctx.program_notes[ex_id] = notes
        phases.append((str(phase.get("id", "")), str(phase.get("name", phase.get("id", ""))), tuple(ids)))
    return replace(ctx, phases=tuple(phases))


def _exercise(ctx: _Context, ex_id: str) -> Exercise:
    ex = ctx.kb.exercises.get(ex_id)
    if ex is None:
        raise ValueError(f"unknown exercise '{ex_id}': it is not in the exercise catalogue")
    return ex


def _int_or(value: Any, default: int | None, where: str, name: str) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"{where}: '{name}' must be a whole number (got {value!r})")
    return int(value)


def _dose_from_item(
    item: Mapping[str, Any], ex: Exercise, ctx: _Context, where: str
) -> tuple[Dose, list[str]]:
    """The starting dose of a program item (its sets and rep or hold target) inside the catalogue's ranges, and
    what had to be moved to get it there."""
    cat = ex.dose
    sets = _int_or(item.get("sets"), cat.sets, where, "sets")
    reps = _int_or(item.get("reps"), cat.reps, where, "reps")
    hold = _int_or(item.get("hold_s"), cat.hold_s, where, "hold_s")
    ladder = ctx.progression.ladders.get(ex.id)
    dose = Dose(
        sets=sets or cat.sets,
        reps_range=(reps, cat.reps_range[1]) if cat.reps_range and reps is not None else None,
        hold_s_range=(hold, cat.hold_s_range[1]) if cat.hold_s_range and hold is not None else None,
        load_kg=0.0,
        step_label=ladder[0].label if ladder else "",
    )
    return _clamp(dose, ex, ladder)


def _default_dose(ex: Exercise, ctx: _Context) -> Dose:
    return _dose_from_item({}, ex, ctx, f"exercise catalogue: {ex.id}")[0]


def _fit(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


def _clamp(dose: Dose, ex: Exercise, ladder: tuple[LadderStep, ...] | None) -> tuple[Dose, list[str]]:
    """The dose inside the catalogue's ranges; the notes say what had to be moved."""
    cat = ex.dose
    notes: list[str] = []
    sets = _fit(dose.sets, cat.sets_range)
    if sets != dose.sets:
        notes.append(f"sets kept within {cat.sets_range[0]}-{cat.sets_range[1]}")
    reps = hold = None
    if cat.reps_range is not None:
        low = _fit(dose.reps_range[0] if dose.reps_range else cat.reps_range[0], cat.reps_range)
        reps = (low, cat.reps_range[1])
        if dose.reps_range != reps:
            notes.append(f"reps kept within {cat.reps_range[0]}-{cat.reps_range[1]}")
    if cat.hold_s_range is not None:
        low = _fit(dose.hold_s_range[0] if dose.hold_s_range else cat.hold_s_range[0], cat.hold_s_range)
        hold = (low, cat.hold_s_range[1])
        if dose.hold_s_range != hold:
            notes.append(f"hold kept within {cat.hold_s_range[0]}-{cat.hold_s_range[1]} seconds")
    load = max(0.0, dose.load_kg)
    label = dose.step_label
    if ladder:
        if label not in {s.label for s in ladder}:
            label = ladder[0].label
            notes.append("ladder step reset to the first rung")
    elif label:
        label = ""
    return Dose(sets, reps, hold, load, label, per_side=cat.per_side), notes


def _rung(dose: Dose, ladder: tuple[LadderStep, ...]) -> int:
    for index, step in enumerate(ladder):
        if step.label == dose.step_label:
            return index
    return 0


def _with_low(dose: Dose, low: int) -> Dose:
    if dose.reps_range is not None:
        return replace(dose, reps_range=(low, dose.reps_range[1]))
    if dose.hold_s_range is not None:
        return replace(dose, hold_s_range=(low, dose.hold_s_range[1]))
    return dose


def _range(ex: Exercise) -> tuple[int, int] | None:
    return ex.dose.reps_range or ex.dose.hold_s_range


def _low(dose: Dose) -> int | None:
    span = dose.reps_range or dose.hold_s_range
    return span[0] if span else None


def _load_up(load: float, pct: tuple[float, float]) -> float:
    """The load after one step: the top of the load_increase_pct band, kept to 0.05 kg and inside the band."""
    low_pct, high_pct = pct
    new = int(load * (1 + high_pct / 100) * 20) / 20
    if (new - load) / load * 100 < low_pct:
        new = round(load * (1 + low_pct / 100), 3)
    return new


Step = tuple[Dose, str, tuple[str, ...]]


def _bottom(dose: Dose, ex: Exercise) -> Dose:
    span = _range(ex)
    return _with_low(dose, span[0]) if span else dose


def _rung_up(dose: Dose, ex: Exercise, ctx: _Context) -> Step | None:
    ladder = ctx.progression.ladders.get(ex.id)
    if not ladder or _rung(dose, ladder) + 1 >= len(ladder):
        return None
    step = ladder[_rung(dose, ladder) + 1]
    after = _bottom(replace(dose, step_label=step.label, load_kg=max(dose.load_kg, step.added_load_kg)), ex)
    return (
        after,
        f"up one rung: {step.label}, back to the bottom of the range",
        ctx.progression.ladder_refs[ex.id],
    )


def _more_load(dose: Dose, ex: Exercise, ctx: _Context) -> Step | None:
    if dose.load_kg <= 0:
        return None
    new = _load_up(dose.load_kg, ctx.progression.load_increase_pct)
    pct = (new - dose.load_kg) / dose.load_kg * 100
    return (
        _bottom(replace(dose, load_kg=new), ex),
        f"add {pct:.0f}% weight ({dose.load_kg:g} kg to {new:g} kg), back to the bottom of the range",
        ctx.progression.load_refs,
    )


def _target_up(dose: Dose, ex: Exercise, _ctx: _Context) -> Step | None:
    span, low = _range(ex), _low(dose)
    if span is None or low is None or low >= span[1]:
        return None
    return _with_low(dose, span[1]), "target moved up to the top of the range", ()


def _set_up(dose: Dose, ex: Exercise, _ctx: _Context) -> Step | None:
    if dose.sets >= ex.dose.sets_range[1]:
        return None
    return replace(dose, sets=dose.sets + 1), "one more set", ()


def _rung_down(dose: Dose, ex: Exercise, ctx: _Context) -> Step | None:
    ladder = ctx.progression.ladders.get(ex.id)
    if not ladder or _rung(dose, ladder) == 0:
        return None
    step = ladder[_rung(dose, ladder) - 1]
    after = _bottom(replace(dose, step_label=step.label, load_kg=min(dose.load_kg, step.added_load_kg)), ex)
    return after, f"back one rung: {step.label}, bottom of the range", ctx.progression.ladder_refs[ex.id]


def _no_load(dose: Dose, ex: Exercise, ctx: _Context) -> Step | None:
    if dose.load_kg <= 0:
        return None
    after = _bottom(replace(dose, load_kg=0.0), ex)
    return after, "added weight removed, bottom of the range", ctx.progression.pain_refs


def _target_down(dose: Dose, ex: Exercise, ctx: _Context) -> Step | None:
    span, low = _range(ex), _low(dose)
    if span is None or low is None or low <= span[0]:
        return None
    return _with_low(dose, span[0]), "back to the bottom of the range", ctx.progression.pain_refs


def _set_down(dose: Dose, ex: Exercise, ctx: _Context) -> Step | None:
    if dose.sets <= ex.dose.sets_range[0]:
        return None
    return replace(dose, sets=dose.sets - 1), "one set fewer", ctx.progression.pain_refs


# Tried in order; the first that applies is the step. Progress: ladder, load, rep target, sets. Regress the
# reverse way: ladder, load, rep target, sets.
_PROGRESS_STEPS = (_rung_up, _more_load, _target_up, _set_up)
_REGRESS_STEPS = (_rung_down, _no_load, _target_down, _set_down)


def _names(ids: Sequence[str], ctx: _Context) -> str:
    """Catalogue names, lower-cased for a sentence, joined with "or"."""
    names = [ctx.kb.exercises[i].name.lower() if i in ctx.kb.exercises else i for i in ids]
    return " or ".join(names)


def next_dose(dose: Dose, action: Action, ex: Exercise, ctx: _Context) -> Step:
    """The dose after ``action``, what changed in words, and the sources of that step."""
    if action == "hold":
        return dose, "same dose next session", ()
    steps = _PROGRESS_STEPS if action == "progress" else _REGRESS_STEPS
    for step in steps:
        result = step(dose, ex, ctx)
        if result is not None:
            return result
    if action == "progress":
        other = _names(ex.progressions, ctx)
        tail = f"; a harder version is {other} (ask your clinician)" if other else ""
        return dose, f"already at the top of this exercise's ranges, so the dose stays{tail}", ()
    other = _names(ex.regressions, ctx)
    tail = f"; an easier version is {other} (ask your clinician)" if other else ""
    return dose, f"already the easiest dose in this exercise's ranges{tail}", ctx.progression.pain_refs


# ----------------------------------------------------------------------------------------- decisions


def _answers(history: Sequence[LoggedDay]) -> list[MorningAnswer]:
    out = []
    for day in history:
        pain = day.morning_pain_0_10
        if pain is None:
            logged = [
                e.pain_next_morning_0_10
                for e in day.session.exercises
                if e.pain_next_morning_0_10 is not None
            ]
            pain = max(logged) if logged else None
        out.append(MorningAnswer(day.day, pain, day.morning_stiffness_0_10))
    return out


def _plain(action: Action, log: ExerciseLog, target: Target, rules: ProgressionRules) -> str:
    pain = log.max_pain_0_10
    if action == "regress":
        if pain > rules.regress_above_pain_0_10:
            return (
                f"Your pain during the exercise reached {pain:g} out of 10, above the limit of "
                f"{rules.regress_above_pain_0_10:g}, so we make it easier."
            )
        return "Your pain the next morning was higher than before the session, so we make it easier."
    if action == "progress":
        return (
            "You did every set at the top of the range and your pain stayed low, so we make it a bit harder."
        )
    holds = (
        (
            pain > rules.progress_max_pain_0_10,
            f"Your pain during the exercise reached {pain:g} out of 10, a little high to make it harder, so we "
            "keep the same dose.",
        ),
        (
            log.settled is None,
            "Tell us how you feel the next morning, then we can decide whether to make it harder.",
        ),
        (not at_top(log, target), "Keep this dose until you can do every set at the top of the range."),
    )
    return next((text for hit, text in holds if hit), "We keep the same dose for now.")


_CLINICIAN_WORDS = {
    "progress": "Your clinician decided to make this exercise a bit harder.",
    "hold": "Your clinician decided to keep the same dose.",
    "regress": "Your clinician decided to make this exercise easier.",
}


@dataclass
class _Replay:
    doses: dict[str, Dose]
    trend_regressed_week: dict[str, dt.date] = field(default_factory=dict)
    noted: set[str] = field(default_factory=set)  # exercises whose clamped program dose was already explained


@dataclass
class _Verdict:
    """One exercise's action with its wording, as each step (rules, trend, clinician) leaves it."""

    action: Action
    reason: str
    plain: str
    refs: list[str]

    def add_reason(self, text: str) -> None:
        self.reason = f"{self.reason}; {text}" if self.reason else text


def _apply_trend(v: _Verdict, trend: PainTrend, state: _Replay, ex_id: str, monday: dt.date) -> None:
    """Cap the action by the weekly trend: at most hold; regress once a week when it rose weeks in a row."""
    if trend.cap is None:
        return
    v.refs.extend(trend.refs)
    if trend.cap == "regress" and state.trend_regressed_week.get(ex_id) != monday:
        state.trend_regressed_week[ex_id] = monday
        if v.action != "regress":
            v.add_reason(trend.text)
            v.plain, v.action = trend.plain_text, "regress"
        return
    if v.action == "progress":
        v.add_reason(trend.text)
        v.plain, v.action = trend.plain_text, "hold"
    if trend.cap == "regress" and v.action == "hold":
        v.add_reason("already stepped back once this week for the rising trend")
        v.plain = (
            "Your pain the next morning is still going up. The exercise was already made easier this week, so we "
            "keep that dose."
        )


def _check_overrides(overrides: Mapping[str, str], day: LoggedDay) -> None:
    logged_ids = {e.exercise for e in day.session.exercises}
    for ex_id, wanted in overrides.items():
        if wanted not in ACTIONS:
            raise ValueError(f"override for '{ex_id}': '{wanted}' is not one of {', '.join(ACTIONS)}")
        if ex_id not in logged_ids:
            raise ValueError(f"override for '{ex_id}': that exercise is not in the session of {day.day}")


def _decide_day(
    day: LoggedDay,
    upto: Sequence[LoggedDay],
    state: _Replay,
    ctx: _Context,
    overrides: Mapping[str, str],
) -> tuple[tuple[ExerciseDecision, ...], PainTrend]:
    """Decide every exercise of ``day`` (the last of ``upto``) and move ``state``'s doses on."""
    _check_overrides(overrides, day)
    trend = pain_trend(_answers(upto), ctx.rules.pain_trend_rules())
    monday = day.day - dt.timedelta(days=day.day.weekday())
    decisions = []
    for logged in day.session.to_core().exercises:
        ex = _exercise(ctx, logged.exercise_id)
        log = logged
        if log.pain_next_morning_0_10 is None and day.morning_pain_0_10 is not None:
            log = replace(log, pain_next_morning_0_10=day.morning_pain_0_10)
        target = ctx.targets.get(ex.id, Target())
        core = decide(log, target, ctx.progression)
        v = _Verdict(
            core.action, core.reason, _plain(core.action, log, target, ctx.progression), list(core.refs)
        )
        _apply_trend(v, trend, state, ex.id, monday)
        if ex.id in overrides:
            chosen = cast(Action, overrides[ex.id])
            v.reason = f"clinician set {chosen} (the rules gave {v.action}: {v.reason})"
            v.plain, v.action = _CLINICIAN_WORDS[chosen], chosen
        before = state.doses.get(ex.id) or _default_dose(ex, ctx)
        after, change, step_refs = next_dose(before, v.action, ex, ctx)
        after, notes = _clamp(after, ex, ctx.progression.ladders.get(ex.id))
        if ex.id in ctx.program_notes and ex.id not in state.noted:
            state.noted.add(ex.id)
            moved = ", ".join(ctx.program_notes[ex.id])
            notes.insert(0, f"the program's dose was moved into the exercise's ranges: {moved}")
        if notes:
            change += f" ({'; '.join(notes)})"
        state.doses[ex.id] = after
        decisions.append(
            ExerciseDecision(
                exercise_id=ex.id,
                name=ex.name,
                action=v.action,
                reason=v.reason,
                plain_reason=v.plain,
                next_step=f"{change}. Next session: {after.text()}.",
                dose_before=before,
                dose_after=after,
                refs=tuple(dict.fromkeys([*v.refs, *step_refs])),
            )
        )
    return tuple(decisions), trend


def _check_history(history: Sequence[LoggedDay]) -> list[LoggedDay]:
    days = list(history)
    for index, day in enumerate(days):
        if not isinstance(day, LoggedDay):
            raise ValueError(f"history[{index}]: expected a LoggedDay")
        if day.session.date != day.day.isoformat():
            raise ValueError(
                f"history[{index}]: the session's date {day.session.date} is not the day {day.day}"
            )
        for name in ("morning_pain_0_10", "morning_stiffness_0_10"):
            value = getattr(day, name)
            if value is not None and not 0 <= value <= 10:
                raise ValueError(
                    f"history[{index}] ({day.day}): {name} must be between 0 and 10 (got {value})"
                )
    return sorted(days, key=lambda d: d.day)


def _replay(
    ctx: _Context,
    days: list[LoggedDay],
    overrides_by_day: Mapping[dt.date, Mapping[str, str]],
) -> tuple[_Replay, tuple[ExerciseDecision, ...], PainTrend | None]:
    state = _Replay(doses=dict(ctx.program_doses))
    decisions: tuple[ExerciseDecision, ...] = ()
    trend = None
    for index, day in enumerate(days):
        decisions, trend = _decide_day(day, days[: index + 1], state, ctx, overrides_by_day.get(day.day, {}))
    return state, decisions, trend


# --------------------------------------------------------------------------------------- red flags


def _resolve_flags(names: Sequence[str], kb: KnowledgeBase) -> list[RedFlag]:
    """Red-flag ids, or intake red-flag answers resolved as the program resolves them; an unknown name is refused."""
    answers = set(RedFlagsIn.model_fields)
    for name in names:
        if name not in kb.red_flags and name not in answers:
            raise ValueError(
                f"unknown red flag '{name}': give a red-flag id or a red-flag answer of the intake"
            )
    return resolve_red_flags(names, kb)


def stop_message(names: Sequence[str], kb: KnowledgeBase) -> str:
    flags = _resolve_flags(names, kb)
    parts = [f"{flag.name}: {flag.why_refer} {URGENCY_WORDS[flag.urgency]}" for flag in flags]
    lead = "Stop the exercise program: a red flag needs a clinician's opinion before you train again."
    return " ".join([lead, *parts]) if parts else f"{lead} See a doctor or physiotherapist."


# --------------------------------------------------------------------------------------------- phase


def _scores(tests: Mapping[str, Any] | None, ctx: _Context) -> tuple[tuple[TestScore, ...], str | None]:
    """Scored re-tests. A ``runner`` entry (age_years, sex, mass_kg, height_cm) lets dynamometry be normed."""
    if tests is None:
        return (), None
    data = dict(tests)
    runner_data = data.pop("runner", None)
    try:
        parsed = TestsIn.model_validate(data)
        runner = RunnerIn.model_validate(runner_data) if runner_data is not None else None
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise ValueError(f"tests: {problems}") from None
    if runner is None:  # the strength criterion needs the dynamometry norm, and the norm needs the runner
        missing = "the strength re-test needs the runner's age, sex and body mass to compare with the norm"
        return (), missing if parsed.dynamometry is not None else None
    age, male, mass = runner.age_years, runner.sex == "male", runner.mass_kg
    scores = score_all(
        parsed.to_core(),
        age_years=age,
        male=male,
        mass_kg=mass,
        thresholds=ctx.rules.thresholds(),
        norm=norm_equation(ctx.kb),
    )
    return tuple(scores), None


def _phase_text(
    ctx: _Context, decisions: tuple[ExerciseDecision, ...], scored: tuple[tuple[TestScore, ...], str | None]
) -> str:
    logged = {d.exercise_id for d in decisions}
    for phase_id, name, ids in ctx.phases:
        if not logged & set(ids):
            continue
        core = [Decision(d.exercise_id, d.action, d.reason, d.next_step, d.refs) for d in decisions]
        ready, text = phase_ready(core, ids)
        if ready and phase_id == STRENGTH_PHASE:
            scores, missing = scored
            if missing:
                return f"{name}: {text}; {missing}"
            strong, why = strength_criterion(scores)
            text = f"{text}; {why}"
            if strong is not True:
                return f"{name}: not yet: {text}"
        return f"{name}: {text}"
    return "none of the logged exercises belongs to a phase of this program"


# ---------------------------------------------------------------------------------------------- API


def evaluate(
    program: dict[str, Any],
    history: Sequence[LoggedDay],
    *,
    overrides: Mapping[str, str] | None = None,
    tests: dict[str, Any] | None = None,
    red_flags: Sequence[str] = (),
    overrides_by_day: Mapping[dt.date, Mapping[str, str]] | None = None,
) -> Evaluation:
    """Decisions for the LAST day of ``history``, using all of it (doses replayed, weekly pain trend).

    ``overrides`` are the clinician's actions for the latest session. ``overrides_by_day`` (optional, the same
    mapping :func:`current_doses` takes) replays the clinician's earlier overrides too, so that the dose
    before the latest session is the one the runner was given; without it earlier days replay on the rules.
    """
    days = _check_history(history)
    if not days:
        raise ValueError("history: no logged sessions yet")
    ctx = _context(program)
    scored = _scores(tests, ctx)  # checked first: a malformed re-test is refused whatever the phase
    last = days[-1]
    if red_flags or program.get("stopped") is True:
        message = (
            stop_message(red_flags, ctx.kb)
            if red_flags
            else str(program.get("message") or stop_message((), ctx.kb))
        )
        trend = pain_trend(_answers(days), ctx.rules.pain_trend_rules())
        return Evaluation(last.day, (), trend, "program stopped: no phase changes", message)
    earlier = overrides_by_day or {}
    state, _, _ = _replay(ctx, days[:-1], earlier)
    latest = overrides if overrides is not None else earlier.get(last.day, {})
    decisions, trend = _decide_day(last, days, state, ctx, latest)
    return Evaluation(last.day, decisions, trend, _phase_text(ctx, decisions, scored), None)


def current_doses(
    program: dict[str, Any],
    history: Sequence[LoggedDay],
    overrides_by_day: Mapping[dt.date, Mapping[str, str]] | None = None,
) -> dict[str, Dose]:
    """The dose of every program exercise for the next session, replaying every logged day's decisions in order."""
    days = _check_history(history)
    ctx = _context(program)
    state, _, _ = _replay(ctx, days, overrides_by_day or {})
    return dict(state.doses)


def _dose_json(dose: Dose) -> dict[str, Any]:
    return {
        "sets": dose.sets,
        "reps_range": list(dose.reps_range) if dose.reps_range else None,
        "hold_s_range": list(dose.hold_s_range) if dose.hold_s_range else None,
        "load_kg": dose.load_kg,
        "step_label": dose.step_label,
        "text": dose.text(),
    }


def trend_to_json(trend: PainTrend) -> dict[str, Any]:
    return {
        "status": trend.status,
        "rising": trend.rising,
        "rising_weeks": trend.rising_weeks,
        "cap": trend.cap,
        "text": trend.text,
        "plain_text": trend.plain_text,
        "refs": list(trend.refs),
        "weeks": [
            {
                "monday": w.monday.isoformat(),
                "iso_year": w.iso_year,
                "iso_week": w.iso_week,
                "pain_days": w.pain_days,
                "pain_mean": w.pain_mean,
                "stiffness_days": w.stiffness_days,
                "stiffness_mean": w.stiffness_mean,
            }
            for w in trend.weeks
        ],
    }


def evaluation_to_json(e: Evaluation) -> dict[str, Any]:
    """JSON-safe: dates as ISO text, doses with their plain text."""
    return {
        "day": e.day.isoformat(),
        "stopped": e.stopped,
        "phase_text": e.phase_text,
        "pain_trend": trend_to_json(e.pain_trend),
        "decisions": [
            {
                "exercise_id": d.exercise_id,
                "name": d.name,
                "action": d.action,
                "reason": d.reason,
                "plain_reason": d.plain_reason,
                "next_step": d.next_step,
                "dose_before": _dose_json(d.dose_before),
                "dose_after": _dose_json(d.dose_after),
                "refs": list(d.refs),
            }
            for d in e.decisions
        ],
    }
