"""The knowledge-base commands, run through Typer's runner and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from glutemed import __version__
from glutemed.cli.app import app

runner = CliRunner()

EXERCISE_FIELDS = {
    "id",
    "name",
    "aliases",
    "family",
    "equipment",
    "stage",
    "position",
    "primary_muscles",
    "secondary_muscles",
    "emg",
    "tfl_index",
    "dose",
    "instructions",
    "cues",
    "tfl_cues",
    "common_errors",
    "regressions",
    "progressions",
    "cautions",
    "load_tags",
    "sources",
}


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_version() -> None:
    code, out = run("--version")
    assert code == 0
    assert out.strip() == f"glutemed {__version__}"


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "glutemed", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("glutemed ")


def test_exercises_list_json_has_every_field() -> None:
    code, out = run("exercises", "list", "--json")
    assert code == 0
    rows = json.loads(out)
    training = [row for row in rows if row["stage"] not in {"release", "stretch"}]
    assert len(training) >= 45
    for row in rows:
        assert row.keys() >= EXERCISE_FIELDS, EXERCISE_FIELDS - row.keys()
        dose = row["dose"]
        assert dose["sets"] >= 1
        assert (dose["reps"] is None) != (dose["hold_s"] is None)


def test_exercises_list_filters() -> None:
    code, out = run("exercises", "list", "--stage", "activation", "--json")
    assert code == 0
    assert {row["stage"] for row in json.loads(out)} == {"activation"}
    code, out = run("exercises", "list", "--equipment", "cable", "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) >= 3
    assert all(row["family"] == "cable" or "cable" in row["equipment"] for row in rows)
    code, out = run("exercises", "list", "--muscle", "gluteus-maximus", "--json")
    assert code == 0
    assert all(
        "gluteus-maximus" in row["primary_muscles"] + row["secondary_muscles"] for row in json.loads(out)
    )


def test_safe_for_gluteal_tendinopathy_drops_compressive_positions() -> None:
    code, everything = run("exercises", "list", "--json")
    assert code == 0
    code, out = run("exercises", "list", "--safe-for", "gluteal-tendinopathy", "--json")
    assert code == 0
    kept = json.loads(out)
    assert 0 < len(kept) < len(json.loads(everything))
    compressive = {"lateral-hip-compression", "sustained-hip-adduction", "hip-adduction-stretch"}
    assert all(not compressive & set(row["load_tags"]) for row in kept)
    assert "side-bridge-hold" not in {row["id"] for row in kept}


def test_unknown_ids_get_suggestions() -> None:
    code, out = run("exercises", "show", "band-clamshel")
    assert code == 2
    assert "band-clamshell" in out
    code, out = run("exercises", "list", "--safe-for", "gluteal-tendonitis")
    assert code == 2
    assert "gluteal-tendinopathy" in out
    code, out = run("muscles", "show", "gluteus-med")
    assert code == 2
    assert "gluteus-medius" in out
    code, out = run("exercises", "list", "--equipment", "spaceship")
    assert code == 2
    assert "unknown equipment" in out


def test_show_commands_render() -> None:
    for args, needle in [
        (("exercises", "show", "single-leg-romanian-deadlift"), "Steps"),
        (("muscles", "show", "gluteus-medius"), "Superior gluteal"),
        (("tests", "show", "hip-abduction-dynamometry"), "Norm"),
        (("faults", "show", "contralateral-pelvic-drop"), "Threshold"),
        (("refs", "show", "bramah2018"), "Cited by"),
        (("conditions", "list"), "Red flags"),
    ]:
        code, out = run(*args)
        assert code == 0, (args, out)
        assert needle.lower() in out.lower(), (args, out[:500])


def test_list_commands_emit_json() -> None:
    for group in ("muscles", "tests", "faults", "refs"):
        code, out = run(group, "list", "--json")
        assert code == 0, group
        assert len(json.loads(out)) >= 7, group


def test_tour_runs_and_reports_counts() -> None:
    code, out = run("tour", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["counts"]["training_exercises"] >= 45
    assert len(data["routines"]["pre-run-activation"]) == 5
    code, out = run("tour")
    assert code == 0
    assert "Training, stage by stage" in out
