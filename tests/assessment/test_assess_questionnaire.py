"""The intake questionnaire: scripted answers through Rich prompts, bad answers re-asked, YAML that loads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml
from rich.console import Console

from glutemed.cli.questionnaire import QUESTIONS, RED_FLAGS, ask_intake, check_answer, save_intake
from glutemed.services.intake_schema import InputFileError, load_intake

ANSWERS = [
    "Runner Q",  # name
    "52",  # age
    "female",
    "165",  # height
    "0",  # mass 0: refused, asked again
    "64",
    "25",  # km per week
    "3",  # runs per week
    "165",  # minutes per week
    "",  # pace: optional
    "road, trail",  # surfaces
    "no",  # new shoes
    "yes",  # hills or stairs
    "",  # change-of-direction sports: none
    "8",  # hours sitting
    "1",  # hours standing
    "no",  # hangs on one hip
    "ITB syndrome 2022",  # injury history
    "lateral-hip",
    "right",
    "2",  # pain at rest
    "14",  # pain while running 14/10: refused, asked again
    "5",
    "4",  # pain at night
    "16",  # weeks
    "lying-on-side, stairs",
    "mini-band, step",
    "3",  # strength sessions
    "",  # minutes: default 20
    "run 10 km without pain; sleep on the right side",
]


NO_CHANGES = ["n", "n", "n"]  # distance, speed, frequency have not gone up
DISTANCE_UP = ["y", "30", "3", "n", "n"]  # distance up 30 % three weeks ago


def _run(answers: list[str], red_flags: list[str]) -> tuple[dict[str, object], str]:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    data = ask_intake(console, stream=io.StringIO("\n".join([*answers, *red_flags]) + "\n"))
    return data, out.getvalue()


def test_questionnaire_reasks_bad_answers_and_saves_loadable_yaml(tmp_path: Path) -> None:
    data, shown = _run(ANSWERS, [*DISTANCE_UP, *["n"] * len(RED_FLAGS)])
    assert "runner.mass_kg" in shown
    assert "symptoms.pain_running_0_10" in shown
    assert shown.count("Pain while running") == 2
    path = save_intake(data, tmp_path / "runner.yaml")
    intake = load_intake(path)
    assert intake.runner.mass_kg == 64
    assert intake.symptoms.pain_running_0_10 == 5
    assert intake.running.pace_min_per_km is None
    assert intake.availability.minutes_per_session == 20
    assert [e.value for e in intake.availability.equipment] == ["mini-band", "step"]
    assert intake.goals == ["run 10 km without pain", "sleep on the right side"]
    assert not any(intake.red_flags.model_dump().values())
    assert intake.context.hills_or_stairs is True
    assert intake.context.surfaces == ["road", "trail"]
    assert intake.lifestyle.sitting_h_per_day == 8
    assert intake.injury_history == ["ITB syndrome 2022"]
    assert [(c.kind, c.change_pct, c.weeks_ago) for c in intake.recent_changes] == [("distance", 30, 3)]
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["name"] == "Runner Q"


def test_questionnaire_records_red_flags(tmp_path: Path) -> None:
    data, _ = _run(ANSWERS, [*NO_CHANGES, "n", "n", "y", "n", "n", "n"])
    intake = load_intake(save_intake(data, tmp_path / "flags.yaml"))
    assert intake.red_flags.fever is True


def test_questionnaire_via_patched_prompts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same flow with Prompt.ask / Confirm.ask replaced by a queue, as an embedding app might drive it."""
    queue = list(ANSWERS)
    asked: list[str] = []

    def fake_prompt(text: str, **kwargs: object) -> str:
        asked.append(text)
        answer = queue.pop(0)
        return answer if answer or kwargs.get("default") in (None, ...) else str(kwargs["default"])

    monkeypatch.setattr("rich.prompt.Prompt.ask", fake_prompt)
    monkeypatch.setattr("rich.prompt.Confirm.ask", lambda *_args, **_kwargs: False)
    data = ask_intake(Console(file=io.StringIO()))
    assert not queue
    assert len(asked) == len(QUESTIONS) + 2  # two answers were refused and asked again
    assert load_intake(save_intake(data, tmp_path / "q.yaml")).runner.age_years == 52


@pytest.mark.parametrize(
    ("field", "answer"),
    [("age_years", "5"), ("sex", "other"), ("pain_night_0_10", "-1"), ("regions", "elbow")],
)
def test_single_answers_are_checked_against_the_schema(field: str, answer: str) -> None:
    from pydantic import ValidationError

    question = next(q for q in QUESTIONS if q.field == field)
    with pytest.raises(ValidationError):
        check_answer(question, answer)


def test_save_intake_refuses_invalid_data(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="mass_kg"):
        save_intake(
            {"runner": {"age_years": 40, "sex": "male", "height_cm": 180, "mass_kg": 0}}, tmp_path / "x.yaml"
        )
    assert not (tmp_path / "x.yaml").exists()


def test_questionnaire_gives_up_after_repeated_bad_answers() -> None:
    with pytest.raises(InputFileError, match=r"runner\.age_years"):
        _run(["Runner Q", *["200"] * 10], [])
