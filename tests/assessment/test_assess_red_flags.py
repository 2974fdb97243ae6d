"""Red flags (IFOMPT framework and the running-specific ones): each stops the program and gives a referral sheet.

Which answers raise which red flag is data (red_flags.yaml); these tests hold the data to the intake model and
the questionnaire, and run each red flag through the services and the CLI.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from glutemed.cli.app import app
from glutemed.cli.questionnaire import RED_FLAGS
from glutemed.core.intake import PAIN_REGIONS, RED_FLAG_ANSWERS, RedFlagAnswers
from glutemed.knowledge.rules import Rules
from glutemed.reports.referral_html import render_referral, write_referral_pdf
from glutemed.services.assessment import AssessmentResult, assess
from glutemed.services.intake_schema import IntakeIn, RedFlagsIn
from glutemed.services.program import make_program, referral_to_json

runner = CliRunner()

# (red-flag id, overrides of the base intake that raise it)
NEW_FLAGS: list[tuple[str, dict[str, Any]]] = [
    ("age-over-50-with-cancer-history", {"age": 61, "answers": {"history_of_cancer": True}}),
    ("systemic-corticosteroid-use", {"answers": {"systemic_corticosteroids": True}}),
    ("immunosuppression", {"answers": {"immunosuppression": True}}),
    (
        "hip-pain-with-low-energy-availability",
        {"regions": ["buttock"], "answers": {"missed_periods": True}},
    ),
    (
        "hip-pain-with-low-energy-availability",
        {"regions": ["lateral-hip"], "answers": {"low_energy_availability": True}},
    ),
    ("adolescent-hip-or-knee-pain", {"age": 15, "regions": ["anterior-knee"]}),
    ("groin-pain-unable-to-bear-weight", {"answers": {"groin_pain_on_loading": True}}),
]


def intake_data(
    *, age: float = 35, regions: list[str] | None = None, answers: dict[str, bool] | None = None
) -> dict[str, Any]:
    return {
        "name": "Runner R",
        "runner": {"age_years": age, "sex": "female", "height_cm": 166, "mass_kg": 58},
        "running": {"km_per_week": 40, "sessions_per_week": 4, "minutes_per_week": 240},
        "symptoms": {"regions": regions or ["lateral-knee"], "pain_running_0_10": 4, "duration_weeks": 5},
        "red_flags": answers or {},
    }


def run(data: dict[str, Any], kb, rules: Rules) -> AssessmentResult:  # type: ignore[no-untyped-def]
    return assess(IntakeIn.model_validate(data).to_core(), kb=kb, rules=rules)


def test_answers_match_the_data_the_schema_and_the_questionnaire(kb) -> None:  # type: ignore[no-untyped-def]
    facts = [fact for flag in kb.red_flags.values() for group in flag.needs for fact in group]
    answers = {f.split(":", 1)[1] for f in facts if f.startswith("answer:")}
    pains = {f.split(":", 1)[1] for f in facts if f.startswith("pain:")}
    assert answers == set(RED_FLAG_ANSWERS)  # every answer raises something, and nothing unknown is needed
    assert pains <= set(PAIN_REGIONS)
    assert set(RedFlagsIn.model_fields) == set(RED_FLAG_ANSWERS)
    assert {key for key, _ in RED_FLAGS} == set(RED_FLAG_ANSWERS)
    assert "raised" in {f.name for f in fields(RedFlagAnswers)}
    for flag in kb.red_flags.values():
        assert flag.bring
        assert flag.refs
        assert flag.why_refer


@pytest.mark.parametrize(("flag_id", "over"), NEW_FLAGS)
def test_each_new_red_flag_stops_the_program(flag_id: str, over: dict[str, Any], kb, rules: Rules) -> None:  # type: ignore[no-untyped-def]
    result = run(intake_data(**over), kb, rules)
    assert result.report.stopped
    assert flag_id in result.report.red_flags
    assert make_program(result, kb, rules) is None
    referral = referral_to_json(result, kb)
    assert referral["stopped"] is True
    item = next(i for i in referral["referral"] if i["id"] == flag_id)
    assert item["bring"]
    assert item["citations"]
    assert item["urgency_words"]
    page = render_referral(referral, result)
    assert kb.red_flags[flag_id].name.split(" (")[0].replace("'", "&#x27;") in page
    assert item["urgency_words"].split(":")[0] in page


@pytest.mark.parametrize(
    ("over", "stops"),
    [
        ({"age": 45, "answers": {"history_of_cancer": True}}, False),  # the combination needs age over 50
        ({"age": 51, "answers": {"history_of_cancer": True}}, True),
        (
            {"age": 30, "regions": ["anterior-knee"]},
            False,
        ),  # knee pain in an adult is not the adolescent flag
        ({"age": 17, "regions": ["lateral-hip"]}, True),
        (
            {"regions": ["calf"], "answers": {"missed_periods": True}},
            False,
        ),  # bone-stress flag needs hip pain
        ({"regions": ["calf"], "answers": {"groin_pain_on_loading": True, "missed_periods": True}}, True),
    ],
)
def test_combination_rules_come_from_the_data(over: dict[str, Any], stops: bool, kb, rules: Rules) -> None:  # type: ignore[no-untyped-def]
    assert run(intake_data(**over), kb, rules).report.stopped is stops


def test_rules_not_applied_count_every_yes() -> None:
    answers = RedFlagAnswers(history_of_cancer=True)
    assert answers.present == ("history_of_cancer",)  # the cautious reading before the data rules run
    assert RedFlagAnswers(history_of_cancer=True, raised=()).present == ()


def test_raw_answers_resolve_to_their_red_flags(kb, rules: Rules) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    result = run(intake_data(age=61, answers={"history_of_cancer": True}), kb, rules)
    raw = replace(result, report=replace(result.report, red_flags=("history_of_cancer",)))
    assert [i["id"] for i in referral_to_json(raw, kb)["referral"]] == ["age-over-50-with-cancer-history"]


def test_cli_program_writes_the_referral_sheet(tmp_path: Path, kb) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "runner.yaml"
    path.write_text(yaml.safe_dump(intake_data(answers={"immunosuppression": True})), encoding="utf-8")
    html = tmp_path / "out" / "sheet.html"
    result = runner.invoke(app, ["program", str(path), "--json", "--html", str(html)])
    assert result.exit_code != 0
    data = json.loads(result.stdout[result.stdout.index("{") : result.stdout.rindex("}") + 1])
    assert data["stopped"] is True
    assert [i["id"] for i in data["referral"]] == ["immunosuppression"]
    assert data["referral_files"] == [str(html)]
    text = html.read_text(encoding="utf-8")
    assert "Please see a clinician" in text
    assert "immune" in text


def test_cli_program_without_paths_says_where(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, examples: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["program", str(examples / "red-flags.yaml")])
    assert result.exit_code != 0
    assert (tmp_path / "red-flags-referral.html").exists()
    assert "red-flags-referral.html" in "".join(result.output.split())


def test_referral_pdf(tmp_path: Path, kb, rules: Rules) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("weasyprint")
    result = run(intake_data(answers={"fever": True}), kb, rules)
    pdf = write_referral_pdf(referral_to_json(result, kb), result, tmp_path / "referral.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


def test_a_yes_that_raises_no_flag_is_still_mentioned(kb, rules: Rules) -> None:  # type: ignore[no-untyped-def]
    result = run(intake_data(age=45, answers={"history_of_cancer": True}), kb, rules)
    program = make_program(result, kb, rules)
    assert program is not None
    assert any("history of cancer" in note and "clinician" in note for note in program.notes)


def test_referral_fits_one_page_for_the_example(examples: Path, kb, rules: Rules) -> None:  # type: ignore[no-untyped-def]
    weasyprint = pytest.importorskip("weasyprint")
    from glutemed.services.intake_schema import load_intake

    result = assess(load_intake(examples / "red-flags.yaml").to_core(), kb=kb, rules=rules)
    referral = referral_to_json(result, kb)
    assert len(referral["referral"]) == 3
    assert len(weasyprint.HTML(string=render_referral(referral, result)).render().pages) == 1
