"""The steps of each job kind, composed from the existing services (nothing here measures or judges).

Each ``run_*`` takes a :class:`~glutemed.services.jobs.JobContext`, writes its files under the job's folder
and returns an :class:`~glutemed.services.jobs.Outcome` whose ``store`` adds the rows when the job finishes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from glutemed.config import load_config
from glutemed.db import records
from glutemed.io.atomic import atomic_write_text
from glutemed.knowledge.loader import knowledge_base
from glutemed.knowledge.rules import bundled_rules
from glutemed.pose import is_video
from glutemed.services.analyze import Recording, analyze_path, build_result, write_outputs
from glutemed.services.assessment import assess, assessment_to_json
from glutemed.services.intake_schema import IntakeIn, TestsIn, validate
from glutemed.services.jobs import JobContext, JobInputError, Outcome, json_safe, link_upload
from glutemed.services.program import make_program, plan_for, program_ics, program_to_json, referral_to_json


@dataclass(frozen=True)
class _Inputs:
    """The runner's latest records an assessment uses (ids kept for provenance)."""

    intake: dict[str, Any] | None
    intake_id: int | None
    tests: dict[str, Any] | None
    test_result_id: int | None
    load: dict[str, Any] | None
    load_report_id: int | None
    gait: dict[str, Any] | None


def _latest_inputs(ctx: JobContext, *, with_gait: bool) -> _Inputs:
    runner_id = ctx.held.runner_id
    with ctx.database.session() as s:
        intake = records.latest_intake(s, runner_id)
        tests = records.latest_test_result(s, runner_id)
        load = records.latest_load_report(s, runner_id)
        gait = records.latest_gait_result(s, runner_id) if with_gait else None
        return _Inputs(
            intake=intake.data if intake else None,
            intake_id=intake.id if intake else None,
            tests=tests.data if tests else None,
            test_result_id=tests.id if tests else None,
            load=load.data if load else None,
            load_report_id=load.id if load else None,
            gait=gait.gait_result if gait else None,
        )


def _assess_and_program(ctx: JobContext, inputs: _Inputs, gait: dict[str, Any] | None) -> dict[str, Any]:
    """Assessment and program files and JSON from the runner's latest intake; empty without an intake."""
    if inputs.intake is None:
        return {"assessment": None, "program": None, "files": {}, "program_files": {}}
    ctx.report("assess")
    kb = knowledge_base()
    rules = bundled_rules()
    intake = validate(IntakeIn, inputs.intake, f"intake {inputs.intake_id}")
    tests = (
        validate(TestsIn, inputs.tests, f"tests {inputs.test_result_id}") if inputs.tests else intake.tests
    )
    result = assess(
        intake.to_core(),
        kb=kb,
        rules=rules,
        tests=tests.to_core() if tests else None,
        gait=gait,
        load=inputs.load,
        gait_source="gait result",
        load_source=f"load report {inputs.load_report_id}",
    )
    assessment = assessment_to_json(result, kb)
    ctx.report("program")
    program = make_program(result, kb, rules)
    out = ctx.out_dir
    files: dict[str, str] = {}
    atomic_write_text(out / "assessment.json", json.dumps(json_safe(assessment), indent=2) + "\n")
    files["assessment.json"] = ctx.rel(out / "assessment.json")
    if program is None:
        return {
            "assessment": assessment,
            "program": referral_to_json(result, kb),
            "files": files,
            "program_files": {},
        }
    from glutemed.reports.program_html import write_program_handout, write_program_pdf

    plan = plan_for(program, result, kb, rules)
    data = program_to_json(program, kb, rules, plan)
    program_files = {
        "program.html": write_program_handout(program, result, kb, out / "program.html", plan=plan),
        "program.ics": atomic_write_text(
            out / "program.ics", program_ics(program, result, kb, rules, start=dt.datetime.now(dt.UTC).date())
        ),
        "program.json": atomic_write_text(out / "program.json", json.dumps(json_safe(data), indent=2) + "\n"),
    }
    if ctx.held.payload.get("pdf", False):
        program_files["program.pdf"] = write_program_pdf(program, result, kb, out / "program.pdf", plan=plan)
    return {
        "assessment": assessment,
        "program": data,
        "files": files,
        "program_files": {name: ctx.rel(path) for name, path in program_files.items()},
    }


def _gait_media(ctx: JobContext, gait: dict[str, Any], recordings: list[Recording]) -> dict[str, Path]:
    """The clinician report and runner summary (HTML, stills from the first video), PDF and overlay when
    the payload asks; each written atomically by its report module."""
    from glutemed.reports.gait_html import render_gait_report, write_gait_pdf, write_gait_report
    from glutemed.reports.overlay import stance_stills, write_overlay_video

    payload = ctx.held.payload
    out = ctx.out_dir
    kb = knowledge_base()
    videos = [r for r in recordings if is_video(r.path)]
    files: dict[str, Path] = {}
    if not payload.get("report", True):
        return files
    ctx.report("report")
    stills = stance_stills(videos[0].path, videos[0]) if videos else None
    files["report.html"] = write_gait_report(gait, recordings, kb, out / "report.html", stills)
    files["runner-summary.html"] = write_gait_report(
        gait, recordings, kb, out / "runner-summary.html", stills, audience="runner"
    )
    if payload.get("pdf", False):
        ctx.report("pdf")
        files["report.pdf"] = write_gait_pdf(
            render_gait_report(gait, recordings, kb, stills), out / "report.pdf"
        )
    if payload.get("overlay", False) and videos:
        ctx.report("overlay")

        def drawn(done: int, total: int | None) -> None:
            ctx.check()
            ctx.lease.set_progress(
                {"stage": "overlay", "frames_done": done, "frames_total": total, "fps": None}
            )

        # WebM (VP8): the page plays it in a <video> element (browsers do not play OpenCV's MP4)
        files["overlay.webm"] = write_overlay_video(
            videos[0].path, videos[0], out / "overlay.webm", progress=drawn
        )
    return files


def run_analyze(ctx: JobContext) -> Outcome:
    """Analyse the uploads (videos through pose estimation, keypoint and C3D files directly), then assess."""
    payload = ctx.held.payload
    upload_ids = payload.get("upload_ids") or []
    if not isinstance(upload_ids, list) or not upload_ids:
        raise JobInputError("an analysis needs at least one uploaded video or keypoint file")
    config = load_config()
    kb = knowledge_base()
    gait_dir = ctx.out_dir / "gait"
    recordings: list[Recording] = []
    for index, upload_id in enumerate(upload_ids):
        path, view, kind = link_upload(ctx, int(upload_id), index)
        if kind == "activities":
            raise JobInputError(f"upload {upload_id} is an activity file: import it as training load instead")
        ctx.report("pose" if is_video(path) else "keypoints", file=index + 1, files=len(upload_ids))
        recordings += analyze_path(
            path,
            kb=kb,
            config=config,
            view=payload.get("view") or view,
            progress=ctx.frames,
            cache_dir=gait_dir,
        )
    ctx.report("gait")
    gait = json_safe(build_result(recordings, config))
    written = write_outputs(gait, recordings, gait_dir, config)
    files = {f"gait/{p.name}": ctx.rel(p) for p in written}
    files |= {name: ctx.rel(p) for name, p in _gait_media(ctx, gait, recordings).items()}
    inputs = _latest_inputs(ctx, with_gait=False)
    made = _assess_and_program(ctx, inputs, gait)
    return _store_assessment(ctx, inputs, gait, made, files)


def run_assess(ctx: JobContext) -> Outcome:
    """Assess again (after a new intake, tests or load) with the latest gait result, if any."""
    inputs = _latest_inputs(ctx, with_gait=True)
    if inputs.intake is None:
        raise JobInputError("this runner has no intake yet: fill in the intake first")
    made = _assess_and_program(ctx, inputs, inputs.gait)
    return _store_assessment(ctx, inputs, inputs.gait, made, {})


def _store_assessment(
    ctx: JobContext, inputs: _Inputs, gait: dict[str, Any] | None, made: dict[str, Any], files: dict[str, str]
) -> Outcome:
    held = ctx.held

    def store(s: Session) -> dict[str, Any]:
        row = records.add_assessment(
            s,
            runner_id=held.runner_id,
            job_id=held.job_id,
            assessment=json_safe(made["assessment"]) if made["assessment"] is not None else None,
            gait_result=gait,
            load_result=inputs.load,
            intake_id=inputs.intake_id,
            test_result_id=inputs.test_result_id,
            load_report_id=inputs.load_report_id,
            files={**files, **made["files"]},
        )
        ids: dict[str, Any] = {"assessment_id": row.id, "program_id": None}
        if made["program"] is not None:
            program = records.add_program(
                s,
                runner_id=held.runner_id,
                assessment_id=row.id,
                data=json_safe(made["program"]),
                files=made["program_files"],
            )
            ids["program_id"] = program.id
        return ids

    summary = {
        "stopped": bool(made["assessment"] and made["assessment"].get("stopped")),
        "needs_intake": inputs.intake is None,
    }
    return Outcome(store=store, summary=summary)


def run_load(ctx: JobContext) -> Outcome:
    """Import an uploaded activity file, folder or zip (FIT, GPX, TCX, Strava export) as a load report."""
    from glutemed.reports.load_html import render
    from glutemed.services.load import import_history

    payload = ctx.held.payload
    if "upload_id" not in payload:
        raise JobInputError("a training-load import needs an uploaded activity file")
    path, _view, _kind = link_upload(ctx, int(payload["upload_id"]), 0)
    since = dt.date.fromisoformat(payload["since"]) if payload.get("since") else None
    ctx.report("activities")

    def step(done: int, total: int, _name: str) -> None:
        ctx.check()
        ctx.lease.set_progress(
            {"stage": "activities", "frames_done": done, "frames_total": total, "fps": None}
        )

    report = import_history(path, since=since, progress=step)
    data = json_safe(report.to_dict())
    html = atomic_write_text(ctx.out_dir / "load.html", render(report))
    files = {"load.html": ctx.rel(html)}
    held = ctx.held

    def store(s: Session) -> dict[str, Any]:
        row = records.add_load_report(
            s,
            runner_id=held.runner_id,
            job_id=held.job_id,
            upload_id=int(payload["upload_id"]),
            data=data,
            files=files,
        )
        return {"load_report_id": row.id}

    return Outcome(store=store, summary={"runs": len(report.runs)})
