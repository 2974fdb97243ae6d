"""Intake, tests and session files: good examples load; bad input names the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from glutemed.services.intake_schema import InputFileError, load_intake, load_session, load_tests


def write(tmp_path: Path, data: object, name: str = "runner.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def base(examples: Path) -> dict:
    return yaml.safe_load((examples / "female-lateral-hip-pain.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["female-lateral-hip-pain.yaml", "itb-crossover.yaml", "red-flags.yaml"])
def test_examples_load(examples: Path, name: str) -> None:
    intake = load_intake(examples / name).to_core()
    assert intake.runner.mass_kg > 0


def test_example_converts_to_core(examples: Path) -> None:
    parsed = load_intake(examples / "female-lateral-hip-pain.yaml")
    intake = parsed.to_core()
    assert intake.symptoms.regions == ("lateral-hip",)
    assert "lying-on-side" in intake.symptoms.aggravators
    assert parsed.tests is not None
    assert parsed.tests.to_core().dynamometry is not None


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("symptoms", "pain_night_0_10"), 14, "symptoms.pain_night_0_10"),
        (("runner", "mass_kg"), 0, "runner.mass_kg"),
        (("runner", "sex"), "x", "runner.sex"),
        (("symptoms", "regions"), ["elbow"], "symptoms.regions.0"),
        (("availability", "equipment"), ["rowing-machine"], "availability.equipment.0"),
        (
            ("tests", "single_leg_stance"),
            [{"side": "right", "lateral_hip_pain_0_10": 11}],
            "tests.single_leg_stance.0",
        ),
    ],
)
def test_impossible_values_name_the_field(tmp_path: Path, examples: Path, path, value, field) -> None:
    data = base(examples)
    data[path[0]][path[1]] = value
    file = write(tmp_path, data)
    with pytest.raises(InputFileError) as info:
        load_intake(file)
    message = str(info.value)
    assert str(file) in message
    assert field in message


def test_unknown_field_is_named(tmp_path: Path, examples: Path) -> None:
    data = base(examples)
    data["runner"]["weight"] = 60
    with pytest.raises(InputFileError, match=r"runner\.weight: Extra inputs are not permitted"):
        load_intake(write(tmp_path, data))


def test_missing_section_is_named(tmp_path: Path, examples: Path) -> None:
    data = base(examples)
    del data["runner"]
    with pytest.raises(InputFileError, match=r"runner: Field required"):
        load_intake(write(tmp_path, data))


def test_json_is_accepted_and_bad_syntax_named(tmp_path: Path) -> None:
    file = tmp_path / "tests.json"
    file.write_text('{"side_bridge": {"left_s": 40, "right_s": 50}}', encoding="utf-8")
    assert load_tests(file).side_bridge is not None
    file.write_text('{"side_bridge": {', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"tests\.json"):
        load_tests(file)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        load_intake(tmp_path / "nope.yaml")


def test_session_pain_out_of_range(tmp_path: Path) -> None:
    data = {
        "date": "2025-03-01",
        "exercises": [{"exercise": "band-clamshell", "sets": [{"reps": 10, "pain_during_0_10": 12}]}],
    }
    with pytest.raises(InputFileError, match=r"exercises\.0\.sets\.0\.pain_during_0_10"):
        load_session(write(tmp_path, data, "session.yaml"))
