"""`glutemed demo`: the main job of `make run` — a full assessment of the bundled sample runner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from glutemed.cli.analyze import FramesPerSecondColumn
from glutemed.cli.common import EXIT_DATA, console, err_console, fail, load_kb, print_json, show_path
from glutemed.cli.open_first import print_open_first
from glutemed.io.atomic import check_output_dir
from glutemed.services.analyze import AnalysisError
from glutemed.services.demo import DemoOutput, run_demo


def register(app: typer.Typer) -> None:
    @app.command("demo")
    def demo(
        out: Annotated[Path, typer.Option(help="Folder for every output of the demo.")] = Path(
            "glutemed-out/demo"
        ),
        json_out: Annotated[
            bool, typer.Option("--json", help="Print the gait result JSON to stdout.")
        ] = False,
    ) -> None:
        """Analyse the bundled sample run, assess the demo runner with it, and build the program."""
        check_output_dir(out, "--out folder")  # before minutes of pose estimation
        kb = load_kb()
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            FramesPerSecondColumn(),
        )
        with Progress(*columns, TimeElapsedColumn(), console=err_console, transient=True) as bar:
            task = bar.add_task("pose estimation of the sample video", total=None)
            try:
                result = run_demo(
                    out, kb=kb, progress=lambda done, total: bar.update(task, completed=done, total=total)
                )
            except AnalysisError as exc:
                fail(str(exc), code=EXIT_DATA)
        if json_out:
            print_json(result.gait)
            return
        console.print(
            "[bold]glutemed demo[/]: a real side-view treadmill video (MediaPipe pose); the runner's intake is invented."
        )
        for line in demo_summary(result):
            console.print(line, highlight=False)
        names = {p.name: p for p in result.files}
        ranked = [
            (names[name], what)
            for name, what in (
                ("report.html", "the gait report, for the physiotherapist"),
                ("runner-summary.html", "the runner's summary, in plain words"),
                ("program.html", "the program handout"),
            )
            if name in names
        ]
        print_open_first(ranked, result.files)


def demo_summary(result: DemoOutput) -> list[str]:
    """What was analysed, the main findings one line each, and the program's first phase (Rich markup)."""
    lines = []
    for rec in result.gait["recordings"]:
        stances = rec["n_stances"]
        cadence = f", cadence {rec['cadence_spm']:.1f} steps/min" if rec["cadence_spm"] is not None else ""
        lines.append(
            f"Analysed: {show_path(Path(rec['path']).name)}, {rec['view']} view, {rec['duration_s']:.1f} s at "
            f"{rec['fps_hz']:.1f} fps, {stances.get('left', 0)} left and {stances.get('right', 0)} right stances"
            f"{cadence}, pose quality {rec['quality']['overall']:.2f}."
        )
    assessment = result.assessment
    gaps = [g.name for g in assessment.gait.not_judged] if assessment.gait is not None else []
    if gaps:
        views = " or ".join(v.replace("/", " or ") for v in result.gait["missing_views"]) or "another"
        lines.append(f"Not judged (needs a {views} view): {show_path(', '.join(gaps))}.")
    lines.append("[bold]Main findings[/]:")
    for g in assessment.gait_findings:
        legs = "; ".join(
            f"{leg.side} leg {'no value' if leg.value is None else f'{leg.value:.1f} {leg.unit}'}"
            for leg in g.legs
        )
        lines.append(
            f"  • Gait: {show_path(g.name)} {g.verdict}: {legs}; normal {show_path(g.legs[0].normal_band)}"
        )
    present = [f for f in assessment.report.findings if f.status == "present"]
    lines.extend(f"  • {show_path(f.name)} (evidence: {f.evidence_level})" for f in present)
    if not present and not assessment.gait_findings:
        lines.append("  • none")
    if result.program is None:
        lines.append(f"[bold red]No program[/]: {show_path(assessment.report.message)}")
    elif result.program.phases:
        first = result.program.phases[0]
        moves = ", ".join(p.name for p in first.exercises)
        lines.append(
            f"[bold]Program[/]: {len(result.program.phases)} phases; phase 1, {show_path(first.name)}: "
            f"{show_path(moves)}."
        )
    return lines
