"""What the program does about each gait fault the video found: cues, drills and exercises, said in words.

Cue rules are data (``rules/findings.yaml``, ``program.cues``): each names the faults it answers, the cue, and the
drills and exercises that train it. Cues that pull against each other when their faults come together are
reconciled by ``program.cue_conflicts`` (one wins, or a combined cue replaces both). A fault the recording
could not judge is carried as a gap with the filming advice, never read as "no fault".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from glutemed.core.findings import GaitFault, GaitGap


@dataclass(frozen=True)
class CueRule:
    id: str
    faults: tuple[str, ...]
    cue: str
    refs: tuple[str, ...]
    cadence_increase_pct: tuple[float, float] | None = None
    drills: tuple[str, ...] = ()  # running drills (exercise ids) that practise the cue
    exercises: tuple[str, ...] = ()  # exercise ids that train what the fault lacks
    answer: str = ""  # what the program does about the fault, in plain words


@dataclass(frozen=True)
class CueConflict:
    """Two cues that pull against each other: ``keep`` names the one that wins, or ``combined_cue`` replaces
    both (exactly one of the two is set)."""

    cues: tuple[str, str]
    reason: str
    refs: tuple[str, ...]
    keep: str | None = None
    combined_cue: str | None = None


@dataclass(frozen=True)
class RunningCue:
    id: str
    faults: tuple[str, ...]
    cue: str
    why: str
    refs: tuple[str, ...]
    target_cadence_spm: tuple[float, float] | None = None


@dataclass(frozen=True)
class GaitAnswer:
    """One flagged or borderline fault on one leg, and what the program does about it."""

    fault_id: str
    name: str
    side: str
    verdict: str
    value: float | None
    unit: str
    normal_band: str
    cue_ids: tuple[str, ...]
    exercise_ids: tuple[str, ...]  # drills and exercises in the program that answer it
    left_out: tuple[str, ...]  # drills and exercises that would answer it but are unsafe or need missing kit
    what_the_program_does: str
    refs: tuple[str, ...]


def fault_ids(gait_faults: tuple[str, ...], gait: tuple[GaitFault, ...]) -> tuple[str, ...]:
    """Every fault id to answer: the flagged ids and each flagged or borderline fault per leg."""
    return tuple(dict.fromkeys((*gait_faults, *(f.fault_id for f in gait))))


def answering_ids(faults: tuple[str, ...], cues: tuple[CueRule, ...]) -> tuple[str, ...]:
    """Drills and exercises the cue rules name for these faults, in rule order (used to rank them first)."""
    out: list[str] = []
    for rule in cues:
        if set(rule.faults) & set(faults):
            out.extend((*rule.drills, *rule.exercises))
    return tuple(dict.fromkeys(out))


def _cue(rule: CueRule, hit: list[str], cadence_spm: float | None) -> RunningCue:
    target = None
    text = rule.cue
    if rule.cadence_increase_pct is not None and cadence_spm is not None:
        low, high = rule.cadence_increase_pct
        target = (round(cadence_spm * (1 + low / 100)), round(cadence_spm * (1 + high / 100)))
        text += f" Target: {target[0]:g}-{target[1]:g} steps/min from {cadence_spm:g}."
    return RunningCue(rule.id, tuple(hit), text, f"The gait shows {_and(hit)}.", rule.refs, target)


def _and(items: Iterable[str]) -> str:
    """'a', 'a and b', 'a, b and c': fault ids in a sentence (the reports put their names in)."""
    listed = list(items)
    return ", ".join(listed[:-1]) + " and " + listed[-1] if len(listed) > 1 else "".join(listed)


def _reconcile(
    cues: list[RunningCue], conflicts: tuple[CueConflict, ...]
) -> tuple[list[RunningCue], list[str]]:
    notes: list[str] = []
    for conflict in conflicts:
        by_id = {c.id: c for c in cues}
        first, second = (by_id.get(cue_id) for cue_id in conflict.cues)
        if first is None or second is None:
            continue
        faults = tuple(dict.fromkeys((*first.faults, *second.faults)))
        if conflict.keep is not None:
            dropped = second if conflict.keep == first.id else first
            cues = [c for c in cues if c.id != dropped.id]
            kept = first if dropped is second else second
            notes.append(
                f"The running cue for {_and(dropped.faults)} is left out while the one for {_and(kept.faults)} "
                f"applies: {conflict.reason}"
            )
            continue
        merged = RunningCue(
            id=f"{first.id}+{second.id}",
            faults=faults,
            cue=conflict.combined_cue or "",
            why=f"The gait shows {_and(faults)}; the two cues are combined: {conflict.reason}",
            refs=tuple(dict.fromkeys((*first.refs, *second.refs, *conflict.refs))),
        )
        cues = [merged if c.id == first.id else c for c in cues if c.id != second.id]
        notes.append(
            f"The running cues for {_and(first.faults)} and for {_and(second.faults)} are combined into one: "
            f"{conflict.reason}"
        )
    return cues, notes


def running_cues(
    faults: tuple[str, ...],
    cadence_spm: float | None,
    rules: tuple[CueRule, ...],
    conflicts: tuple[CueConflict, ...] = (),
) -> tuple[tuple[RunningCue, ...], tuple[str, ...]]:
    """The cues for these faults, conflicts reconciled; and a note for each reconciliation."""
    cues = []
    for rule in rules:
        hit = [fault for fault in rule.faults if fault in faults]
        if hit:
            cues.append(_cue(rule, hit, cadence_spm))
    reconciled, notes = _reconcile(cues, conflicts)
    return tuple(reconciled), tuple(notes)


def _answer(
    fault: GaitFault,
    cues: tuple[RunningCue, ...],
    rules: tuple[CueRule, ...],
    in_program: Mapping[str, str],
) -> GaitAnswer:
    mine = [c for c in cues if fault.fault_id in c.faults]
    rule_hits = [r for r in rules if fault.fault_id in r.faults]
    wanted = tuple(dict.fromkeys(i for r in rule_hits for i in (*r.drills, *r.exercises)))
    chosen = tuple(i for i in wanted if i in in_program)
    left_out = tuple(i for i in wanted if i not in in_program)
    if not mine and not chosen:
        words = "No glutemed rule answers this fault yet; show the video to a clinician or running coach."
    else:
        parts = [r.answer for r in rule_hits if r.answer]
        if mine:
            parts.append("Running cue: " + " / ".join(c.cue for c in mine))
        if chosen:
            parts.append("In the program: " + "; ".join(in_program[i] for i in chosen) + ".")
        if left_out:
            parts.append(f"Not used (unsafe for you or needs equipment you lack): {', '.join(left_out)}.")
        words = " ".join(parts)
    refs = tuple(dict.fromkeys(r for r in (fault.ref, *(r for c in mine for r in c.refs)) if r))
    return GaitAnswer(
        fault_id=fault.fault_id,
        name=fault.name,
        side=fault.side,
        verdict=fault.verdict,
        value=fault.value,
        unit=fault.unit,
        normal_band=fault.normal_band,
        cue_ids=tuple(c.id for c in mine),
        exercise_ids=chosen,
        left_out=left_out,
        what_the_program_does=words,
        refs=refs,
    )


def gait_answers(
    gait: tuple[GaitFault, ...],
    cues: tuple[RunningCue, ...],
    rules: tuple[CueRule, ...],
    in_program: Mapping[str, str],
) -> tuple[GaitAnswer, ...]:
    """One answer per flagged or borderline fault per leg. ``in_program`` maps exercise id to where it is."""
    return tuple(_answer(fault, cues, rules, in_program) for fault in gait)


def gap_notes(gaps: tuple[GaitGap, ...]) -> tuple[str, ...]:
    return tuple(
        f"{gap.name}: not judged ({gap.reason}), so the program cannot answer it; this is a gap, not a "
        f"normal result. {gap.advice}"
        for gap in gaps
    )
