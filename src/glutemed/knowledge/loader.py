"""Load the knowledge-base data files into typed models and check them as a whole."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from glutemed.knowledge.figure_models import ExerciseFigure, FigureBook
from glutemed.knowledge.gait_fault_models import GaitFault
from glutemed.knowledge.models import (
    ClinicalTest,
    Condition,
    Exercise,
    Muscle,
    RedFlag,
    Reference,
    RiskFactor,
    Routine,
)

M = TypeVar("M", bound=BaseModel)

# file name -> (top-level key, model)
FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "references.yaml": ("references", Reference),
    "muscles.yaml": ("muscles", Muscle),
    "exercises.yaml": ("exercises", Exercise),
    "soft_tissue.yaml": ("exercises", Exercise),
    "routines.yaml": ("routines", Routine),
    "clinical_tests.yaml": ("clinical_tests", ClinicalTest),
    "gait_faults.yaml": ("gait_faults", GaitFault),
    "conditions.yaml": ("conditions", Condition),
    "risk_factors.yaml": ("risk_factors", RiskFactor),
    "red_flags.yaml": ("red_flags", RedFlag),
}


FIGURES_FILE = "figures.yaml"  # stick-figure poses per exercise (not a list of records, parsed on its own)


class KnowledgeBaseError(ValueError):
    """A data file is missing, unreadable or breaks the schema or a cross-file rule."""


@dataclass(frozen=True)
class KnowledgeBase:
    """All domain knowledge, keyed by id. Build with :func:`load_knowledge_base`."""

    references: dict[str, Reference]
    muscles: dict[str, Muscle]
    exercises: dict[str, Exercise]
    routines: dict[str, Routine]
    clinical_tests: dict[str, ClinicalTest]
    gait_faults: dict[str, GaitFault]
    conditions: dict[str, Condition]
    risk_factors: dict[str, RiskFactor]
    red_flags: dict[str, RedFlag]
    source_dir: Path = field(compare=False)
    figures: dict[str, ExerciseFigure] = field(default_factory=dict, compare=False)

    def reference(self, key: str) -> Reference:
        return self.references[key]

    def safe_for(self, exercise: Exercise, condition_id: str) -> bool:
        """True unless the exercise is marked 'avoid' for the condition or loads a tissue it must spare."""
        condition = self.conditions[condition_id]
        if any(c.condition == condition_id and c.level == "avoid" for c in exercise.cautions):
            return False
        return not set(exercise.load_tags) & set(condition.avoid_load_tags)


def default_data_dir() -> Path:
    return Path(str(resources.files("glutemed.knowledge") / "data"))


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise KnowledgeBaseError(f"{path}: knowledge-base file is missing") from exc
    except UnicodeDecodeError as exc:
        raise KnowledgeBaseError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path}: not valid YAML: {exc}") from exc


def _parse(path: Path, key: str, model: type[M]) -> list[M]:
    document = _read_yaml(path)
    if not isinstance(document, dict) or key not in document:
        raise KnowledgeBaseError(f"{path}: expected a mapping with the top-level key '{key}'")
    items = document[key]
    if not isinstance(items, list):
        raise KnowledgeBaseError(f"{path}: '{key}' must be a list")
    parsed: list[M] = []
    for index, raw in enumerate(items):
        label = raw.get("id") or raw.get("key") if isinstance(raw, dict) else None
        try:
            parsed.append(model.model_validate(raw))
        except ValidationError as exc:
            where = f"{key}[{index}]" + (f" ({label})" if label else "")
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '(entry)'}: {err['msg']}" for err in exc.errors()
            )
            raise KnowledgeBaseError(f"{path}: {where}: {problems}") from exc
    return parsed


def _parse_figures(path: Path) -> dict[str, ExerciseFigure]:
    """figures.yaml: base poses and per-exercise positions, resolved to complete poses."""
    document = _read_yaml(path)
    try:
        book = FigureBook.model_validate(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}" for err in exc.errors()
        )
        raise KnowledgeBaseError(f"{path}: {problems}") from exc
    out: dict[str, ExerciseFigure] = {}
    for figure in book.resolved():
        if figure.id in out:
            raise KnowledgeBaseError(f"{path}: duplicate figure '{figure.id}'")
        out[figure.id] = figure
    return out


def _index(path_items: Iterable[tuple[Path, Sequence[M]]], id_of: Callable[[M], str]) -> dict[str, M]:
    out: dict[str, M] = {}
    for path, items in path_items:
        for item in items:
            ident = id_of(item)
            if ident in out:
                raise KnowledgeBaseError(f"{path}: duplicate id '{ident}'")
            out[ident] = item
    return out


def load_knowledge_base(data_dir: Path | None = None, *, check: bool = True) -> KnowledgeBase:
    """Parse every data file; with ``check`` also enforce the cross-file rules."""
    directory = data_dir or default_data_dir()
    by_key: dict[str, list[tuple[Path, Sequence[BaseModel]]]] = {}
    for name, (key, model) in FILES.items():
        path = directory / name
        by_key.setdefault(key, []).append((path, _parse(path, key, model)))

    def idx(key: str, attr: str = "id") -> dict[str, Any]:
        return _index(by_key[key], lambda item: str(getattr(item, attr)))

    kb = KnowledgeBase(
        references=idx("references", "key"),
        muscles=idx("muscles"),
        exercises=idx("exercises"),
        routines=idx("routines"),
        clinical_tests=idx("clinical_tests"),
        gait_faults=idx("gait_faults"),
        conditions=idx("conditions"),
        risk_factors=idx("risk_factors"),
        red_flags=idx("red_flags"),
        source_dir=directory,
        figures=_parse_figures(directory / FIGURES_FILE),
    )
    if check:
        from glutemed.knowledge.validate import check_knowledge_base

        problems = check_knowledge_base(kb)
        if problems:
            listing = "\n  - ".join(problems)
            raise KnowledgeBaseError(
                f"{directory}: the knowledge base breaks {len(problems)} rule(s):\n  - {listing}"
            )
    return kb


@cache
def knowledge_base() -> KnowledgeBase:
    """The bundled knowledge base, loaded and checked once per process."""
    return load_knowledge_base()
