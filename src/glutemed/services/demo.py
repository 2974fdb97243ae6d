"""Use case: the demo assessment that `make run` performs on the bundled sample data.

The gait data are real (a treadmill runner filmed from the side; see glutemed/demo/ORIGIN.md); the intake of the
demo runner is invented and says so. The demo analyses the gait, assesses the runner with the gait result, builds
the program, and writes everything under one folder.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from glutemed.config import AnalysisConfig, load_config
from glutemed.core.programming import Program
from glutemed.io.atomic import atomic_write_text
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.knowledge.rules import bundled_rules
from glutemed.reports.gait_html import render_gait_report, write_gait_pdf, write_gait_report
from glutemed.reports.overlay import stance_stills, write_overlay_video
from glutemed.reports.program_html import write_program_handout, write_program_pdf
from glutemed.services.analyze import FrameProgress, Recording, analyze_file, build_result, write_outputs
from glutemed.services.assessment import AssessmentResult, assess, assessment_to_json
from glutemed.services.intake_schema import load_intake
from glutemed.services.program import make_program, plan_for, program_ics, program_to_json

DEMO_VIDEO = "male_side.mp4"
DEMO_KEYPOINTS = "male_side.pose.json"  # the data authors' RTMPose keypoints of the same clip
DEMO_INTAKE = "runner.yaml"


def demo_dir() -> Path:
    return Path(str(resources.files("glutemed.demo")))


@dataclass(frozen=True)
class DemoOutput:
    out_dir: Path
    gait: dict[str, Any]
    recordings: list[Recording]
    assessment: AssessmentResult
    program: Program | None
    files: list[Path]


def _write_text(path: Path, text: str) -> Path:
    """Write through a temporary name (fsynced, then renamed) so a reader never sees half a file."""
    return atomic_write_text(path, text)


def run_demo(
    out_dir: Path,
    *,
    kb: KnowledgeBase,
    config: AnalysisConfig | None = None,
    progress: FrameProgress | None = None,
) -> DemoOutput:
    config = config or load_config()
    rules = bundled_rules()
    source = demo_dir()
    (out_dir / "gait").mkdir(parents=True, exist_ok=True)
    recording = analyze_file(
        source / DEMO_VIDEO, kb=kb, config=config, progress=progress, cache_dir=out_dir / "gait"
    )
    gait = build_result([recording], config)
    files = write_outputs(gait, [recording], out_dir / "gait", config)
    stills = stance_stills(recording.path, recording)
    files.append(write_gait_report(gait, [recording], kb, out_dir / "report.html", stills))
    summary = out_dir / "runner-summary.html"
    files.append(write_gait_report(gait, [recording], kb, summary, stills, audience="runner"))
    files.append(write_gait_pdf(render_gait_report(gait, [recording], kb, stills), out_dir / "report.pdf"))
    files.append(write_overlay_video(recording.path, recording, out_dir / "overlay.mp4"))
    intake = load_intake(source / DEMO_INTAKE)
    assessment = assess(
        intake.to_core(),
        kb=kb,
        rules=rules,
        tests=intake.tests.to_core() if intake.tests else None,
        gait=gait,
    )
    files.append(
        _write_text(
            out_dir / "assessment.json", json.dumps(assessment_to_json(assessment, kb), indent=2) + "\n"
        )
    )
    program = make_program(assessment, kb, rules)
    if program is not None:
        plan = plan_for(program, assessment, kb, rules)
        files.append(
            _write_text(
                out_dir / "program.json",
                json.dumps(program_to_json(program, kb, rules, plan), indent=2) + "\n",
            )
        )
        ics = program_ics(program, assessment, kb, rules, start=dt.date.today())
        files.append(_write_text(out_dir / "program.ics", ics))
        files.append(write_program_handout(program, assessment, kb, out_dir / "program.html", plan=plan))
        files.append(write_program_pdf(program, assessment, kb, out_dir / "program.pdf", plan=plan))
    return DemoOutput(
        out_dir=out_dir,
        gait=gait,
        recordings=[recording],
        assessment=assessment,
        program=program,
        files=files,
    )
