"""The program handout: every exercise with its steps and references, escaped text, and a real PDF."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from glutemed.knowledge.rules import Rules
from glutemed.reports.program_html import (
    render_program_handout,
    write_program_handout,
    write_program_pdf,
)
from glutemed.services.assessment import AssessmentResult, assess
from glutemed.services.intake_schema import load_intake
from glutemed.services.program import make_program

RUNNERS = ("female-lateral-hip-pain", "itb-crossover")


def _assessed(examples: Path, name: str, kb, rules: Rules) -> AssessmentResult:  # type: ignore[no-untyped-def]
    intake = load_intake(examples / f"{name}.yaml")
    gait_path = examples / f"{name}.gait.json"
    gait = json.loads(gait_path.read_text(encoding="utf-8")) if gait_path.exists() else None
    return assess(
        intake.to_core(),
        kb=kb,
        rules=rules,
        tests=intake.tests.to_core() if intake.tests else None,
        gait=gait,
    )


@pytest.mark.parametrize("runner", RUNNERS)
def test_handout_lists_every_exercise_with_steps_and_references(examples, kb, rules, runner) -> None:  # type: ignore[no-untyped-def]
    import html

    result = _assessed(examples, runner, kb, rules)
    program = make_program(result, kb, rules)
    assert program is not None
    page = render_program_handout(program, result, kb)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "http://" not in page.split("</style>")[0]
    for phase in program.phases:
        assert html.escape(phase.name) in page
        for p in phase.exercises:
            assert html.escape(p.name) in page
            ex = kb.exercises[p.exercise_id]
            for step in ex.instructions:
                assert html.escape(step) in page
            for cue in ex.cues:
                assert html.escape(cue) in page
            for key in p.refs:
                ref = kb.references.get(key)
                assert html.escape(ref.citation() if ref else key) in page
    for finding in result.report.findings:
        assert html.escape(finding.name) in page
    for item in program.pre_run:
        assert html.escape(item.dose) in page
    for cue in program.running_cues:
        assert html.escape(cue.cue) in page
    assert "Monday" in page
    assert "Sunday" in page


def test_handout_names_step_width_cue_and_what_to_avoid(examples, kb, rules) -> None:  # type: ignore[no-untyped-def]
    import html

    result = _assessed(examples, "itb-crossover", kb, rules)
    program = make_program(result, kb, rules)
    assert program is not None
    assert program.avoided
    page = render_program_handout(program, result, kb)
    assert "While running" in page
    first = program.avoided[0]
    assert html.escape(kb.exercises[first.exercise_id].name) in page
    assert html.escape(first.reason) in page


def test_handout_escapes_text(examples, kb, rules) -> None:  # type: ignore[no-untyped-def]
    result = _assessed(examples, "female-lateral-hip-pain", kb, rules)
    program = make_program(result, kb, rules)
    assert program is not None
    evil = "<script>alert('x')</script>"
    result = replace(result, intake=replace(result.intake, name=evil))
    phase = replace(program.phases[0], why=evil)
    program = replace(program, phases=(phase, *program.phases[1:]), notes=(evil,))
    page = render_program_handout(program, result, kb)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_handout_files_html_and_pdf(examples, kb, rules, tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("weasyprint")
    result = _assessed(examples, "female-lateral-hip-pain", kb, rules)
    program = make_program(result, kb, rules)
    assert program is not None
    html_path = write_program_handout(program, result, kb, tmp_path / "out" / "program.html")
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    pdf_path = write_program_pdf(program, result, kb, tmp_path / "out" / "program.pdf")
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["program.html", "program.pdf"]


def test_red_flag_runner_gets_no_program(examples, kb, rules) -> None:  # type: ignore[no-untyped-def]
    result = _assessed(examples, "red-flags", kb, rules)
    assert make_program(result, kb, rules) is None
