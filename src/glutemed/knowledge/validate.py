"""Cross-file rules of the knowledge base: what a schema alone cannot see.

Each rule returns human-readable problems; an empty list means the knowledge base is sound.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from glutemed.knowledge.figure_models import EQUIPMENT_PROP
from glutemed.knowledge.gait_fault_models import Direction, GaitFault
from glutemed.knowledge.models import SOFT_TISSUE_STAGES, Family, Stage

if TYPE_CHECKING:
    from glutemed.knowledge.loader import KnowledgeBase

MIN_EXERCISES = 45
MIN_PER_FAMILY = 3
GLUTEUS_MEDIUS = "gluteus-medius"
_REF_FIELDS = frozenset({"ref", "refs", "sources"})


def _walk_refs(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Yield (where, ref key) for every citation inside a model, however deeply nested."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            where = f"{path}.{name}"
            if name in _REF_FIELDS:
                keys = value if isinstance(value, list) else [value]
                yield from ((where, key) for key in keys if key is not None)
            else:
                yield from _walk_refs(value, where)
    elif isinstance(node, list | tuple):
        for i, item in enumerate(node):
            yield from _walk_refs(item, f"{path}[{i}]")


def _tables(kb: KnowledgeBase) -> dict[str, dict[str, BaseModel]]:
    return {
        "muscles": dict(kb.muscles),
        "exercises": dict(kb.exercises),
        "routines": dict(kb.routines),
        "clinical_tests": dict(kb.clinical_tests),
        "gait_faults": dict(kb.gait_faults),
        "conditions": dict(kb.conditions),
        "risk_factors": dict(kb.risk_factors),
        "red_flags": dict(kb.red_flags),
    }


def citations(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Reference key -> the entries (table/id) that cite it."""
    out: dict[str, list[str]] = {}
    for table, items in _tables(kb).items():
        for ident, item in items.items():
            for _where, key in _walk_refs(item, f"{table}/{ident}"):
                out.setdefault(key, []).append(f"{table}/{ident}")
    return out


def check_references(kb: KnowledgeBase) -> list[str]:
    problems = []
    for table, items in _tables(kb).items():
        for ident, item in items.items():
            for where, key in _walk_refs(item, f"{table}/{ident}"):
                if key not in kb.references:
                    problems.append(f"{where}: unknown reference '{key}'")
    return problems


def check_links(kb: KnowledgeBase) -> list[str]:
    problems: list[str] = []

    def need(ident: str, table: dict[str, Any], what: str, where: str) -> None:
        if ident not in table:
            problems.append(f"{where}: unknown {what} '{ident}'")

    for ex in kb.exercises.values():
        where = f"exercises/{ex.id}"
        for muscle in [*ex.primary_muscles, *ex.secondary_muscles]:
            need(muscle, kb.muscles, "muscle", where)
        for other in [*ex.regressions, *ex.progressions]:
            need(other, kb.exercises, "exercise", where)
        for caution in ex.cautions:
            need(caution.condition, kb.conditions, "condition", f"{where}.cautions")
    for routine in kb.routines.values():
        for item in routine.items:
            need(item.exercise, kb.exercises, "exercise", f"routines/{routine.id}")
    for test in kb.clinical_tests.values():
        for cond_id in test.related_conditions:
            need(cond_id, kb.conditions, "condition", f"clinical_tests/{test.id}")
    for fault in kb.gait_faults.values():
        for cond_id in fault.linked_conditions:
            need(cond_id, kb.conditions, "condition", f"gait_faults/{fault.id}")
    for cond in kb.conditions.values():
        for fault_id in cond.linked_faults:
            need(fault_id, kb.gait_faults, "gait fault", f"conditions/{cond.id}")
        for risk_id in cond.linked_risk_factors:
            need(risk_id, kb.risk_factors, "risk factor", f"conditions/{cond.id}")
    for risk in kb.risk_factors.values():
        for cond_id in risk.linked_conditions:
            need(cond_id, kb.conditions, "condition", f"risk_factors/{risk.id}")
    return problems


def find_progression_cycle(kb: KnowledgeBase) -> list[str] | None:
    """A cycle in the easier-to-harder graph (progressions, and regressions reversed), or None."""
    harder: dict[str, set[str]] = {ident: set() for ident in kb.exercises}
    for ex in kb.exercises.values():
        harder[ex.id].update(p for p in ex.progressions if p in harder)
        for easier in ex.regressions:
            if easier in harder:
                harder[easier].add(ex.id)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    for start in sorted(harder):
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(harder[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                return [*path[path.index(child) :], child]
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(harder[child]))))
    return None


def check_catalogue(kb: KnowledgeBase) -> list[str]:
    problems: list[str] = []
    training = [ex for ex in kb.exercises.values() if ex.stage not in SOFT_TISSUE_STAGES]
    if len(training) < MIN_EXERCISES:
        problems.append(f"exercises: {len(training)} training exercises, at least {MIN_EXERCISES} expected")
    families = Counter(ex.family for ex in training)
    for family in Family:
        if family is not Family.SOFT_TISSUE and families[family] < MIN_PER_FAMILY:
            problems.append(f"exercises: family '{family}' has {families[family]}, needs {MIN_PER_FAMILY}")
    for stage in Stage:
        if not any(ex.stage is stage and ex.is_bodyweight for ex in kb.exercises.values()):
            problems.append(f"exercises: stage '{stage}' has no exercise that needs only bodyweight")
    cycle = find_progression_cycle(kb)
    if cycle:
        problems.append("exercises: progression cycle " + " -> ".join(cycle))
    gmed = kb.muscles.get(GLUTEUS_MEDIUS)
    if gmed is None:
        problems.append(f"muscles: '{GLUTEUS_MEDIUS}' is missing")
    for ex in kb.exercises.values():
        if ex.emg and GLUTEUS_MEDIUS not in [*ex.primary_muscles, *ex.secondary_muscles]:
            problems.append(f"exercises/{ex.id}: has gluteus medius EMG but does not list the muscle")
    return problems


def _population_problems(fault: GaitFault) -> list[str]:
    """A runner at the published mean plus or minus one SD must sit within the fault's band."""
    pop, th = fault.reference_population, fault.threshold
    if pop is None or th.relative_to != "absolute":
        return []
    edge = pop.mean + pop.sd if th.direction is Direction.ABOVE else pop.mean - pop.sd
    beyond = edge >= th.borderline if th.direction is Direction.ABOVE else edge <= th.borderline
    if beyond:
        return [
            f"gait_faults/{fault.id}: a healthy runner at {edge:g} {pop.unit} (mean {pop.mean:g} ± one SD "
            f"{pop.sd:g}) would reach the borderline {th.borderline:g}; the band flags healthy runners"
        ]
    return []


def check_shared_metrics(kb: KnowledgeBase) -> list[str]:
    """Faults that share a metric are two directions of one band: never two verdicts for one value."""
    problems: list[str] = []
    by_metric: dict[str, list[GaitFault]] = {}
    for fault in kb.gait_faults.values():
        by_metric.setdefault(fault.metric, []).append(fault)
        problems.extend(_population_problems(fault))
    for metric, faults in by_metric.items():
        if len(faults) == 1:
            continue
        names = ", ".join(f.id for f in faults)
        directions = [f.threshold.direction for f in faults]
        if len(faults) > 2 or len(set(directions)) != 2:
            problems.append(
                f"gait_faults: {names} share {metric} but are not one 'above' and one 'below' fault"
            )
            continue
        if {f.threshold.relative_to for f in faults} != {"absolute"}:
            problems.append(f"gait_faults: {names} share {metric}; both must be judged 'absolute'")
            continue
        high = next(f for f in faults if f.threshold.direction is Direction.ABOVE)
        low = next(f for f in faults if f.threshold.direction is Direction.BELOW)
        if low.threshold.borderline >= high.threshold.borderline:
            problems.append(
                f"gait_faults: {names} share {metric} and their fault zones overlap "
                f"(below {low.threshold.borderline:g} and above {high.threshold.borderline:g})"
            )
        if high.reference_population != low.reference_population:
            problems.append(f"gait_faults: {names} share {metric} but not one reference_population")
    return problems


def check_figures(kb: KnowledgeBase) -> list[str]:
    """Every exercise, stretch and release has its figures, every figure names one, and shows its equipment."""
    problems = [
        f"figures: no figures for exercise '{ident}'" for ident in kb.exercises if ident not in kb.figures
    ]
    for ident, figure in kb.figures.items():
        exercise = kb.exercises.get(ident)
        if exercise is None:
            problems.append(f"figures/{ident}: unknown exercise '{ident}'")
            continue
        drawn = {prop.kind for prop in figure.props}
        for item in exercise.equipment:
            prop = EQUIPMENT_PROP[item]
            if prop is not None and prop not in drawn:
                problems.append(f"figures/{ident}: the exercise needs {item} but the figure draws no {prop}")
    return problems


def check_knowledge_base(kb: KnowledgeBase) -> list[str]:
    return [
        *check_references(kb),
        *check_links(kb),
        *check_catalogue(kb),
        *check_shared_metrics(kb),
        *check_figures(kb),
    ]
