"""The referral sheet on the shared templates (runner and clinician versions, one page each), and the plain words
`assess` prints for the runner (z-scores stay in --json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markupsafe import escape
from typer.testing import CliRunner

from glutemed.cli.app import app
from glutemed.reports.referral_html import render_referral
from glutemed.services.assessment import assess
from glutemed.services.intake_schema import load_intake
from glutemed.services.program import referral_to_json


@pytest.fixture(scope="module")
def stopped(examples: Path, kb, rules):  # type: ignore[no-untyped-def]
    result = assess(load_intake(examples / "red-flags.yaml").to_core(), kb=kb, rules=rules)
    return result, referral_to_json(result, kb)


@pytest.mark.parametrize("audience", ["runner", "clinician"])
@pytest.mark.parametrize("size", ["A4", "Letter"])
def test_both_versions_keep_the_content_on_one_page(stopped, audience, size) -> None:  # type: ignore[no-untyped-def]
    weasyprint = pytest.importorskip("weasyprint")
    result, referral = stopped
    page = render_referral(referral, result, audience=audience, page_size=size)
    assert f"size:{size}" in page
    assert f"referral-{audience}" in page
    for item in referral["referral"]:
        assert str(escape(item["name"])) in page
        assert str(escape(item["urgency_words"])) in page
        assert str(escape(item["why_refer"])) in page
        for thing in item["bring"]:
            assert str(escape(thing)) in page
        for citation in item["citations"]:
            assert str(escape(citation)) in page
    assert "For the clinician" in page
    assert "low-back" not in page  # pain regions in words
    assert len(weasyprint.HTML(string=page).render().pages) == 1


def test_the_versions_speak_to_their_reader(stopped) -> None:  # type: ignore[no-untyped-def]
    result, referral = stopped
    runner = render_referral(referral, result, audience="runner")
    clinician = render_referral(referral, result, audience="clinician")
    assert "Please see a clinician before training" in runner
    assert "Referral: red flags at running screening" in clinician
    assert "Please see a clinician before training" not in clinician


def test_assess_prints_strength_in_plain_words(examples: Path) -> None:
    intake = str(examples / "female-lateral-hip-pain.yaml")
    shown = CliRunner().invoke(app, ["assess", intake], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "z = " not in shown.output
    assert "SD)" not in shown.output
    assert "not below the usual range for your age and sex (typical 1.34 Nm/kg)" in shown.output
    assert "Hand-held dynamometry of hip abduction" in shown.output
    data = json.loads(CliRunner().invoke(app, ["assess", intake, "--json"]).output)
    text = json.dumps(data)
    assert "z = " in text  # the clinician's numbers stay in the JSON


def test_cli_writes_the_clinician_version_on_request(examples: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "sheet.html"
    args = ["program", str(examples / "red-flags.yaml"), "--html", str(sheet)]
    done = CliRunner().invoke(app, [*args, "--referral-for", "clinician"])
    assert done.exit_code != 0  # a stopped program
    assert "Referral: red flags at running screening" in sheet.read_text(encoding="utf-8")
    bad = CliRunner().invoke(app, [*args, "--referral-for", "coach"])
    assert "coach" in bad.output
