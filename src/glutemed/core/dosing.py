"""Doses for one phase, always inside the exercise's own ranges, and the minutes they take."""

from __future__ import annotations

from glutemed.core.program_types import DoseView, ExerciseView, Prescription, ProgrammingRules, ProgramRequest


def clamp(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


def _seconds_per_rep(dose: DoseView, fallback: float) -> float:
    if dose.tempo:
        return float(sum(int(part) for part in dose.tempo.split("-"))) or fallback
    return fallback


def estimate_minutes(
    dose: DoseView, *, sets: int, reps: int | None, hold_s: int | None, sec_per_rep: float
) -> float:
    sides = 2 if dose.per_side else 1
    work_s = hold_s if hold_s is not None else (reps or 0) * _seconds_per_rep(dose, sec_per_rep)
    bouts = sets * sides
    return (bouts * work_s + max(bouts - 1, 0) * dose.rest_s) / 60.0


SOFT_TISSUE = frozenset({"release", "stretch"})


def _ranking_words(ex: ExerciseView, measured: str) -> str:
    """Why this exercise was picked before others of its stage, in words true for its kind."""
    if ex.stage in SOFT_TISSUE:
        return f"A {ex.stage} for a muscle that can inhibit the gluteus medius (the staged approach's first step)"
    if measured:
        return f"Ranked by gluteus medius activation: {measured}"
    return "No gluteus medius EMG is published for it, so it follows the measured exercises of its stage"


def prescribe(
    ex: ExerciseView, phase_id: str, request: ProgramRequest, rules: ProgrammingRules
) -> Prescription:
    """A dose for this phase, always inside the exercise's own ranges."""
    dose = ex.dose
    sets = dose.sets
    reps = dose.reps
    hold_s = dose.hold_s
    sessions = clamp(min(request.sessions_per_week, dose.sessions_per_week), dose.sessions_per_week_range)
    refs = list(ex.sources)
    if phase_id == "activation" and reps is not None and dose.reps_range is not None:
        reps = dose.reps_range[1]
        why_dose = "activation dose: light resistance, the top of the rep range"
        refs += rules.activation_refs
    elif phase_id in {"isolated-strength", "compound-stabiliser", "maintenance"} and reps is not None:
        assert dose.reps_range is not None
        reps = clamp(rules.strength_reps[0], dose.reps_range)
        low, high = rules.strength_sessions_per_week
        sessions = clamp(clamp(request.sessions_per_week, (low, high)), dose.sessions_per_week_range)
        why_dose = (
            f"strength dose: {rules.strength_reps[0]}-{rules.strength_reps[1]} reps taken near fatigue, "
            f"{low}-{high} sessions a week"
        )
        refs += rules.strength_refs
    else:
        why_dose = "the dose the exercise catalogue gives for it"
    if phase_id == "maintenance":
        sessions = dose.sessions_per_week_range[0]
        why_dose += "; maintenance keeps the lowest frequency of the exercise's range"
    emg = f"{ex.gmed_emg_pct:g}% MVIC ({ex.gmed_emg_ref})" if ex.gmed_emg_pct is not None else ""
    tfl = f"gluteal-to-TFL index {ex.tfl_index:g} ({ex.tfl_ref})" if ex.tfl_index is not None else ""
    measured = ", ".join(part for part in (emg, tfl) if part)
    refs += [r for r in (ex.gmed_emg_ref, ex.tfl_ref) if r]
    minutes = estimate_minutes(dose, sets=sets, reps=reps, hold_s=hold_s, sec_per_rep=rules.seconds_per_rep)
    return Prescription(
        exercise_id=ex.id,
        name=ex.name,
        sets=sets,
        reps=reps,
        hold_s=hold_s,
        per_side=dose.per_side,
        rest_s=dose.rest_s,
        sessions_per_week=sessions,
        tempo=dose.tempo,
        minutes=round(minutes, 1),
        why=f"{_ranking_words(ex, measured)}. {why_dose[0].upper()}{why_dose[1:]}.",
        refs=tuple(dict.fromkeys(refs)),
    )
