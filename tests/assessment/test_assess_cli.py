"""The assess/program/log/progress commands, registered on a fresh Typer app."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
import yaml
from typer.testing import CliRunner

from glutemed.cli.assess import register

app = typer.Typer()
register(app)
runner = CliRunner()


def test_bad_intake_names_file_and_field(tmp_path: Path, examples: Path, kb) -> None:
    data = yaml.safe_load((examples / "red-flags.yaml").read_text(encoding="utf-8"))
    data["symptoms"]["pain_rest_0_10"] = 14
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data), encoding="utf-8")
    result = runner.invoke(app, ["assess", str(bad)])
    assert result.exit_code == 2
    assert "symptoms.pain_rest_0_10" in result.output
    assert "bad.yaml" in result.output


def test_assess_json(examples: Path, kb) -> None:
    result = runner.invoke(app, ["assess", str(examples / "female-lateral-hip-pain.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {f["id"] for f in data["findings"]} >= {"weak-gluteus-medius", "gluteal-tendinopathy-like"}


def test_program_red_flags_stop(examples: Path, kb) -> None:
    result = runner.invoke(app, ["program", str(examples / "red-flags.yaml"), "--json"])
    assert result.exit_code == 3
    assert json.loads(result.stdout)["stopped"] is True


def test_program_ics_and_text(tmp_path: Path, examples: Path, kb) -> None:
    ics = tmp_path / "plan.ics"
    args = [
        "program",
        str(examples / "itb-crossover.yaml"),
        "--gait",
        str(examples / "itb-crossover.gait.json"),
    ]
    result = runner.invoke(app, [*args, "--ics", str(ics), "--start", "2025-03-03"])
    assert result.exit_code == 0, result.output
    assert "step" in result.output.lower()
    assert ics.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")


def test_log_then_progress(tmp_path: Path, kb) -> None:
    session = tmp_path / "s.yaml"
    session.write_text(
        yaml.safe_dump(
            {
                "date": "2025-03-03",
                "exercises": [
                    {
                        "exercise": "single-leg-romanian-deadlift",
                        # three separate dicts: YAML aliases (what ``[...] * 3`` dumps) are refused on reading
                        "sets": [{"reps": 15, "support": "rail", "pain_during_0_10": 1} for _ in range(3)],
                        "pain_next_morning_0_10": 0,
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    book = tmp_path / "book.json"
    assert runner.invoke(app, ["log", str(session), "--logbook", str(book)]).exit_code == 0
    result = runner.invoke(app, ["progress", str(book), "--json"])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.stdout)["decisions"][0]
    assert decision["action"] == "progress"
    assert "no support" in decision["next_step"]


@pytest.mark.parametrize("command", ["assess", "program"])
def test_missing_file(tmp_path: Path, command: str, kb) -> None:
    result = runner.invoke(app, [command, str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_program_ends_with_the_handout_to_open_first(tmp_path: Path, examples: Path) -> None:
    """Issue 12: the handout to open first; the PDF and the calendar in one line."""
    html, pdf, ics = tmp_path / "program.html", tmp_path / "program.pdf", tmp_path / "program.ics"
    args = ["program", str(examples / "female-lateral-hip-pain.yaml"), "--html", str(html), "--pdf", str(pdf)]
    result = runner.invoke(app, [*args, "--ics", str(ics)])
    assert result.exit_code == 0, result.output
    flat = "".join(result.output.split())
    assert flat.endswith(f"Openfirst:{html}(theprogramhandout)")
    assert f"Otherfilesin{tmp_path}/:program.pdf,program.ics" in flat


def test_log_template_round_trips_through_log_and_progress(tmp_path: Path, kb) -> None:
    """Issue 12: `log --template FILE` writes a session `glutemed log` takes as it is, ids of a real program."""
    session, book = tmp_path / "session.yaml", tmp_path / "logbook.json"
    made = runner.invoke(app, ["log", "--template", str(session)])
    assert made.exit_code == 0, made.output
    text = session.read_text(encoding="utf-8")
    assert text.startswith("# ")
    data = yaml.safe_load(text)
    assert all(e["exercise"] in kb.exercises for e in data["exercises"])
    logged = runner.invoke(app, ["log", str(session), "--logbook", str(book)])
    assert logged.exit_code == 0, logged.output
    stored = json.loads(book.read_text(encoding="utf-8"))
    assert stored["sessions"][0]["date"] == "2025-03-03"  # an unquoted YAML date, stored as text
    assert runner.invoke(app, ["progress", str(book)]).exit_code == 0
    printed = runner.invoke(app, ["log", "--template"])
    assert printed.exit_code == 0
    assert printed.output == text
    again = runner.invoke(app, ["log", "--template", str(session)])
    assert again.exit_code == 2  # never overwrites a filled-in session


@pytest.mark.parametrize(
    ("date", "ok"),
    [("2025-03-03", True), ("'2025-03-03'", True), ("'2025-02-30'", False), ("'3 March'", False)],
)
def test_session_date_quoted_or_not(tmp_path: Path, date: str, ok: bool) -> None:
    session, book = tmp_path / "s.yaml", tmp_path / "book.json"
    session.write_text(f"date: {date}\nexercises:\n  - exercise: clamshell\n    sets: [{{reps: 10}}]\n")
    result = runner.invoke(app, ["log", str(session), "--logbook", str(book)])
    assert (result.exit_code == 0) is ok, result.output
    if ok:
        assert json.loads(book.read_text(encoding="utf-8"))["sessions"][0]["date"] == "2025-03-03"
    else:
        assert "date" in result.output


def test_log_refuses_an_unknown_exercise_and_keeps_the_logbook(tmp_path: Path) -> None:
    session = tmp_path / "s.yaml"
    session.write_text(
        "date: 2025-03-03\nexercises:\n  - exercise: clamshel\n    sets:\n      - {reps: 10}\n",
        encoding="utf-8",
    )
    book = tmp_path / "book.json"
    result = CliRunner().invoke(app, ["log", str(session), "--logbook", str(book)])
    assert result.exit_code == 2
    assert "no exercise with id 'clamshel'" in result.output
    assert "clamshell" in result.output  # the nearest id is suggested
    assert not book.exists()
