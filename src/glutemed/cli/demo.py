"""`glutemed demo`: the main job of `make run` — a full assessment of the bundled sample runner."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from glutemed.cli.analyze import FramesPerSecondColumn, print_gait_summary
from glutemed.cli.assess import print_program
from glutemed.cli.common import EXIT_DATA, console, err_console, fail, load_kb, print_json, show_path
from glutemed.io.atomic import check_output_dir
from glutemed.services.analyze import AnalysisError
from glutemed.services.demo import run_demo


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
        print_gait_summary(result.gait, None, kb)
        findings = [f for f in result.assessment.report.findings if f.status == "present"]
        console.print(f"Findings present: {', '.join(f.name for f in findings) or 'none'}", highlight=False)
        if result.program is not None:
            console.print("[bold]Program[/]")
            print_program(result.program)
        console.print("Files written:")
        for path in result.files:
            console.print(f"  {show_path(path)}", highlight=False)
