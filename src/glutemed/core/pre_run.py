"""The pre-run routine, fitted to the runner: nothing above the current stage, nothing from the avoid list.

The routine in the knowledge base is the article's full pre-run set. Here it is cut to what the runner's current
phase allows (no item above the highest stage reached so far), and any item that is unsafe for the runner, needs
equipment they lack, or is an easier form of an exercise on their avoid list comes out. A removed item is
replaced by a safe exercise of the same or a lower stage, first from its own regression ladder, and the change is
stated; where none fits it is left out with the reason. The routine grows as phases close: one version per
phase.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

STAGE_RANK: dict[str, int] = {
    "release": 0,
    "stretch": 0,
    "activation": 1,
    "isolated-strength": 2,
    "compound-stabiliser": 3,
    "motor-control": 4,
    "running-integration": 4,
}
MAX_RANK = max(STAGE_RANK.values())


@dataclass(frozen=True)
class RoutineItemView:
    exercise_id: str
    dose: str
    why: str


@dataclass(frozen=True)
class CatalogueEntry:
    """What the routine needs to know of an exercise."""

    id: str
    name: str
    stage: str
    dose_text: str  # the catalogue's dose in words, used for a substitute
    regressions: tuple[str, ...] = ()
    progressions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutineChange:
    exercise_id: str
    replaced_by: str | None
    reason: str


@dataclass(frozen=True)
class PreRunStage:
    """The pre-run routine that applies while ``phase_id`` is the current phase."""

    phase_id: str
    phase_name: str
    max_stage: str
    items: tuple[RoutineItemView, ...]
    changes: tuple[RoutineChange, ...]


def _removal_reason(
    entry: CatalogueEntry, cap: int, safe: set[str], avoided: Mapping[str, str]
) -> str | None:
    if entry.id in avoided:
        return f"on your avoid list: {avoided[entry.id].split(':')[0]}"
    harder = [p for p in entry.progressions if p in avoided]
    if harder:
        return f"an easier form of {', '.join(harder)}, which is on your avoid list"
    if STAGE_RANK.get(entry.stage, MAX_RANK) > cap:
        return f"it belongs to the {entry.stage} stage, above your current stage"
    if entry.id not in safe:
        return "needs equipment you did not list"
    return None


def _ladder(start: CatalogueEntry, catalogue: Mapping[str, CatalogueEntry]) -> list[str]:
    """The exercise's regressions, breadth first (its own easier steps, then theirs)."""
    seen: list[str] = []
    queue = list(start.regressions)
    while queue:
        ident = queue.pop(0)
        if ident in seen or ident not in catalogue:
            continue
        seen.append(ident)
        queue.extend(catalogue[ident].regressions)
    return seen


def _substitute(
    entry: CatalogueEntry,
    cap: int,
    ctx: tuple[Mapping[str, CatalogueEntry], set[str], Mapping[str, str], tuple[str, ...]],
    taken: set[str],
) -> str | None:
    catalogue, safe, avoided, ranked = ctx
    limit = min(cap, STAGE_RANK.get(entry.stage, MAX_RANK))
    pool = [*_ladder(entry, catalogue), *ranked]
    for ident in pool:
        cand = catalogue.get(ident)
        if cand is None or ident in taken:
            continue
        if STAGE_RANK.get(cand.stage, MAX_RANK) < 1 or STAGE_RANK.get(cand.stage, MAX_RANK) > limit:
            continue
        if _removal_reason(cand, cap, safe, avoided) is None:
            return ident
    return None


def fit_routine(
    routine: tuple[RoutineItemView, ...],
    cap_stage: str,
    *,
    catalogue: Mapping[str, CatalogueEntry],
    safe: set[str],
    avoided: Mapping[str, str],
    ranked: tuple[str, ...],
) -> tuple[tuple[RoutineItemView, ...], tuple[RoutineChange, ...]]:
    """The routine for one stage cap. ``ranked``: safe exercise ids, best first, for substitutes."""
    cap = STAGE_RANK.get(cap_stage, MAX_RANK)
    items: list[RoutineItemView] = []
    changes: list[RoutineChange] = []
    taken = {item.exercise_id for item in routine}
    for item in routine:
        entry = catalogue.get(item.exercise_id)
        reason = (
            "not in the exercise catalogue" if entry is None else _removal_reason(entry, cap, safe, avoided)
        )
        if reason is None:
            items.append(item)
            continue
        sub = None if entry is None else _substitute(entry, cap, (catalogue, safe, avoided, ranked), taken)
        if sub is None:
            changes.append(
                RoutineChange(
                    item.exercise_id,
                    None,
                    f"left out: {reason}; no safe exercise of "
                    "the same or a lower stage is available to replace it",
                )
            )
            continue
        taken.add(sub)
        new = catalogue[sub]
        why = f"In place of {entry.name if entry else item.exercise_id}: {reason}."
        items.append(RoutineItemView(sub, new.dose_text, why))
        changes.append(RoutineChange(item.exercise_id, sub, f"replaced by {new.name}: {reason}"))
    return tuple(items), tuple(changes)


def routine_by_phase(
    routine: tuple[RoutineItemView, ...],
    phases: tuple[tuple[str, str, tuple[str, ...]], ...],
    *,
    catalogue: Mapping[str, CatalogueEntry],
    safe: set[str],
    avoided: Mapping[str, str],
    ranked: tuple[str, ...],
) -> tuple[PreRunStage, ...]:
    """One routine per phase (id, name, stages): the cap is the highest stage reached by that phase.

    The cap never falls below activation: the routine is an activation warm-up, and a release/stretch first
    phase would otherwise leave the runner with no warm-up at all.
    """
    out: list[PreRunStage] = []
    reached = 1  # activation: the pre-run routine is an activation routine from day one
    for phase_id, name, stages in phases:
        ranks = [STAGE_RANK.get(stage, MAX_RANK) for stage in stages] or [MAX_RANK]
        reached = max(reached, *ranks)
        cap_stage = next(s for s, r in STAGE_RANK.items() if r == reached)
        items, changes = fit_routine(
            routine, cap_stage, catalogue=catalogue, safe=safe, avoided=avoided, ranked=ranked
        )
        out.append(PreRunStage(phase_id, name, cap_stage, items, changes))
    return tuple(out)
