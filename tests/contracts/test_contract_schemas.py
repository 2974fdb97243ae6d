"""The published JSON Schemas match the models, and real producer output validates against them."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest

from glutemed.contracts.gait_result import ContractError, read_gait_result
from glutemed.services.contracts import CONTRACTS, SCHEMA_DIR

from .conftest import EXAMPLES, read_json


@pytest.mark.parametrize("name", sorted(CONTRACTS))
def test_published_schema_matches_the_model(name: str) -> None:
    path = SCHEMA_DIR / f"{name}.schema.json"
    assert path.exists(), f"{path} missing: run `glutemed schema --write {SCHEMA_DIR}`"
    assert path.read_text(encoding="utf-8") == CONTRACTS[name].schema_text(), (
        f"{path.name} drifted from its model: run `glutemed schema --write {SCHEMA_DIR}`"
    )


def test_analyze_output_validates_against_the_published_schema(fukuchi_gait: Path) -> None:
    data = read_json(fukuchi_gait)
    jsonschema.validate(data, CONTRACTS["gait-result"].json_schema())
    result = read_gait_result(data, str(fukuchi_gait))
    assert {r.view for r in result.recordings} == {"rear", "side"}
    assert {f.fault_id for f in result.faults} >= {"cross-over-gait", "contralateral-pelvic-drop"}


def test_example_intakes_validate() -> None:
    schema = CONTRACTS["intake"].json_schema()
    for path in sorted(EXAMPLES.glob("*.yaml")):
        import yaml

        jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"faults": "lots"}, "not a glutemed gait result"),
        ([1, 2], "expected a JSON object"),
        ({"schema": "glutemed.gait/v0"}, "expected 'glutemed.gait/v1'"),
    ],
)
def test_wrong_shapes_are_refused_with_the_file_named(doc: object, words: str) -> None:
    with pytest.raises(ContractError) as info:
        read_gait_result(doc, "bad.json")
    assert "bad.json" in str(info.value)
    assert words in str(info.value)


def test_a_broken_field_is_named(fukuchi_gait: Path) -> None:
    data = read_json(fukuchi_gait)
    data["faults"][0]["verdict"] = "maybe"
    with pytest.raises(ContractError, match=r"faults\.0\.verdict"):
        read_gait_result(data, "edited.json")
