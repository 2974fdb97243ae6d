"""The knowledge base refuses to load when it is broken: each test breaks a copy of the real data one way."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from glutemed.knowledge.loader import KnowledgeBaseError, default_data_dir, load_knowledge_base
from glutemed.knowledge.validate import check_knowledge_base

Doc = dict[str, Any]


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(default_data_dir(), target)
    return target


def edit(directory: Path, name: str, change: Callable[[Doc], None]) -> None:
    path = directory / name
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def first_with(items: list[Doc], predicate: Callable[[Doc], bool]) -> Doc:
    return next(item for item in items if predicate(item))


def problems_after(directory: Path) -> list[str]:
    return check_knowledge_base(load_knowledge_base(directory, check=False))


def test_bundled_knowledge_base_is_sound() -> None:
    kb = load_knowledge_base()
    assert check_knowledge_base(kb) == []


def test_duplicate_id_is_refused(data_copy: Path) -> None:
    edit(data_copy, "exercises.yaml", lambda d: d["exercises"].append(dict(d["exercises"][0])))
    with pytest.raises(KnowledgeBaseError, match="duplicate id"):
        load_knowledge_base(data_copy)


def test_duplicate_id_across_files_is_refused(data_copy: Path) -> None:
    soft = yaml.safe_load((data_copy / "soft_tissue.yaml").read_text(encoding="utf-8"))["exercises"][0]
    edit(data_copy, "exercises.yaml", lambda d: d["exercises"].append(soft))
    with pytest.raises(KnowledgeBaseError, match=f"duplicate id '{soft['id']}'"):
        load_knowledge_base(data_copy)


def test_unknown_muscle_is_a_dangling_link(data_copy: Path) -> None:
    edit(
        data_copy, "exercises.yaml", lambda d: d["exercises"][0]["primary_muscles"].append("gluteus-maximal")
    )
    assert any("unknown muscle 'gluteus-maximal'" in p for p in problems_after(data_copy))


def test_unknown_progression_is_a_dangling_link(data_copy: Path) -> None:
    edit(data_copy, "exercises.yaml", lambda d: d["exercises"][0]["progressions"].append("no-such-exercise"))
    with pytest.raises(KnowledgeBaseError, match="unknown exercise 'no-such-exercise'"):
        load_knowledge_base(data_copy)


def test_progression_cycle_is_found(data_copy: Path) -> None:
    def make_cycle(doc: Doc) -> None:
        a = first_with(doc["exercises"], lambda e: bool(e.get("progressions")))
        b = first_with(doc["exercises"], lambda e: e["id"] == a["progressions"][0])
        b.setdefault("progressions", []).append(a["id"])

    edit(data_copy, "exercises.yaml", make_cycle)
    assert any("progression cycle" in p for p in problems_after(data_copy))


def test_emg_value_without_reference_is_refused(data_copy: Path) -> None:
    def drop_ref(doc: Doc) -> None:
        first_with(doc["exercises"], lambda e: bool(e.get("emg")))["emg"][0].pop("ref")

    edit(data_copy, "exercises.yaml", drop_ref)
    with pytest.raises(KnowledgeBaseError, match=r"emg\.0\.ref: Field required"):
        load_knowledge_base(data_copy)


def test_threshold_without_reference_is_refused(data_copy: Path) -> None:
    edit(data_copy, "gait_faults.yaml", lambda d: d["gait_faults"][0]["threshold"].pop("ref"))
    with pytest.raises(KnowledgeBaseError, match=r"threshold\.ref: Field required"):
        load_knowledge_base(data_copy)


def test_citation_of_a_missing_reference_is_refused(data_copy: Path) -> None:
    edit(data_copy, "gait_faults.yaml", lambda d: d["gait_faults"][0]["threshold"].update(ref="nobody1999"))
    assert any("unknown reference 'nobody1999'" in p for p in problems_after(data_copy))


def test_stage_without_bodyweight_exercise_is_found(data_copy: Path) -> None:
    def load_up(doc: Doc) -> None:
        for item in doc["exercises"]:
            if item["stage"] == "activation":
                item["equipment"] = ["dumbbell"]

    edit(data_copy, "exercises.yaml", load_up)
    assert any(
        "stage 'activation' has no exercise that needs only bodyweight" in p
        for p in problems_after(data_copy)
    )


def test_unknown_field_is_refused(data_copy: Path) -> None:
    edit(data_copy, "muscles.yaml", lambda d: d["muscles"][0].update(colour="red"))
    with pytest.raises(KnowledgeBaseError, match="colour: Extra inputs are not permitted"):
        load_knowledge_base(data_copy)


def test_unknown_condition_in_caution_is_found(data_copy: Path) -> None:
    def add(doc: Doc) -> None:
        doc["exercises"][0].setdefault("cautions", []).append(
            {"condition": "hip-flu", "level": "avoid", "reason": "no such condition"}
        )

    edit(data_copy, "exercises.yaml", add)
    assert any("unknown condition 'hip-flu'" in p for p in problems_after(data_copy))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "expected a mapping with the top-level key 'references'"),
        ("references: [\n  {key: a", "not valid YAML"),
        ("references: 12\n", "'references' must be a list"),
    ],
)
def test_broken_file_names_the_file(data_copy: Path, content: str, message: str) -> None:
    (data_copy / "references.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match=message) as info:
        load_knowledge_base(data_copy)
    assert "references.yaml" in str(info.value)


def test_missing_file_names_the_file(data_copy: Path) -> None:
    (data_copy / "red_flags.yaml").unlink()
    with pytest.raises(KnowledgeBaseError, match=r"red_flags\.yaml: knowledge-base file is missing"):
        load_knowledge_base(data_copy)
