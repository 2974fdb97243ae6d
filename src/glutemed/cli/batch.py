"""`glutemed batch`: many recordings analysed in parallel on a Dask cluster, one table out."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from glutemed.cli.common import console, err_console, fail, load_kb, print_json
from glutemed.config import load_config
from glutemed.io.atomic import check_output_dir
from glutemed.io.safe_read import check_regular

if TYPE_CHECKING:
    from glutemed.batch import Outcome


def register(app: typer.Typer) -> None:
    @app.command("batch")
    def batch(
        out: Annotated[
            Path, typer.Option("--out", help="Folder for recordings.parquet/.csv, errors and results.")
        ],
        inputs: Annotated[
            list[Path] | None,
            typer.Argument(
                help="Recordings or folders (walked for .trc, keypoint .json, .c3d with the *static*.c3d "
                "beside it, and videos). Left out with --manifest.",
            ),
        ] = None,
        manifest: Annotated[
            Path | None,
            typer.Option(
                "--manifest", help="CSV with columns path, runner_id, view, session, static, config."
            ),
        ] = None,
        scheduler: Annotated[
            str | None,
            typer.Option("--scheduler", help="An existing Dask scheduler (tcp://host:8786)."),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option("--workers", min=1, help="Local worker processes (default: one per core)."),
        ] = None,
        config_path: Annotated[
            Path | None, typer.Option("--config", help="A TOML config for every recording.")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary to stdout.")] = False,
    ) -> None:
        """Analyse many recordings in parallel (Dask): a table of every metric and verdict per leg."""
        from glutemed.batch import jobs_from_inputs, jobs_from_manifest, run_batch

        if not inputs and manifest is None:
            fail("give recordings or folders, or --manifest runs.csv")
        check_output_dir(out, "--out folder")
        if config_path is not None:
            check_regular(config_path, "TOML config")
        config = load_config(config_path)
        load_kb()  # a broken knowledge base is said once here, not once per recording
        jobs = jobs_from_manifest(manifest, config) if manifest is not None else []
        jobs += jobs_from_inputs(inputs or [], config, skip=out)
        if not jobs:
            fail("no recordings found in the inputs")
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TextColumn("{task.fields[fps]}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=json_out,
        ) as progress:
            task = progress.add_task("recordings", total=len(jobs), failed=0, fps="")
            clock = {"t0": 0.0}
            counts = {"failed": 0}

            def on_outcome(outcome: Outcome) -> None:
                if outcome.status == "failed":
                    counts["failed"] += 1
                    progress.console.print(f"[red]failed:[/] {escape(outcome.reason)}", highlight=False)
                progress.update(task, advance=1, failed=counts["failed"])

            def on_frames(total: int) -> None:
                now = time.monotonic()
                clock["t0"] = clock["t0"] or now
                rate = total / (now - clock["t0"]) if now > clock["t0"] else 0.0
                progress.update(task, fps=f"{rate:.0f} video frames/s" if rate else "")

            summary = run_batch(
                jobs, out, scheduler=scheduler, workers=workers, on_outcome=on_outcome, on_frames=on_frames
            )
        if json_out:
            print_json(summary.as_dict())
            return
        console.print(
            f"{summary.done} analysed, {summary.skipped} already done, {summary.failed} failed "
            f"in {summary.seconds:.1f} s on {summary.workers} workers"
            + (f", {summary.frames_per_s:.0f} video frames/s" if summary.video_frames else ""),
            highlight=False,
        )
        for path in summary.tables:
            console.print(f"  {escape(path)}", highlight=False)
