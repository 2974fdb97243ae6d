"""`glutemed load PATH`: import an activity history and show the training-load spikes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from glutemed.cli.common import console, err_console, fail, print_json
from glutemed.core.load import LoadReport
from glutemed.reports.load_html import render
from glutemed.services.load import import_history

PathArg = Annotated[Path, typer.Argument(help="A FIT/GPX/TCX file, a folder, a zip or a Strava bulk export.")]
SinceOpt = Annotated[
    str | None, typer.Option("--since", help="Only sessions on or after this date (YYYY-MM-DD).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the report as JSON (schema glutemed.load/v1).")]
ReportOpt = Annotated[Path | None, typer.Option("--report", help="Write an HTML report with charts here.")]


def _since(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--since {text!r} is not a date; use YYYY-MM-DD")


def _import(path: Path, since: dt.date | None, quiet: bool) -> LoadReport:
    if quiet:
        return import_history(path, since=since)
    columns = (TextColumn("reading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("files", total=None)

        def step(done: int, total: int, _name: str) -> None:
            bar.update(task, completed=done, total=total)

        return import_history(path, since=since, progress=step)


def _summary_table(report: LoadReport) -> Table:
    data = report.to_dict()
    table = Table(title="Training load", show_header=True)
    table.add_column("item", overflow="fold")
    table.add_column("value", justify="right")
    s, c = data["summary"], data["counts"]
    table.add_row("runs", str(c["runs"]))
    table.add_row(
        "other sessions (not counted)", ", ".join(f"{k} {v}" for k, v in c["other_by_sport"].items()) or "0"
    )
    table.add_row("skipped files / duplicates", f"{c['skipped']} / {c['duplicates']}")
    if report.runs:
        table.add_row("period", f"{s['first_run']} to {s['last_run']}")
        table.add_row("distance / time", f"{s['total_distance_km']:.1f} km / {s['total_time_h']:.1f} h")
        spikes = report.model("session_spikes").extra["n_spikes"]
        table.add_row("session spikes (>10% over 30-day longest) \\[frandsen2025]", str(spikes))
        weekly = report.model("week_change").extra["n_cautions"]
        table.add_row("weeks with >30% increase \\[nielsen2014a]", str(weekly))
        recent = s["recent"]
        table.add_row(
            f"last {recent['window_days']} days: largest session % of 30-day longest",
            "—" if recent["pct_of_longest_30d"] is None else f"{recent['pct_of_longest_30d']:.0f}%",
        )
        acwr = report.model("acwr").rows
        if acwr:
            table.add_row(
                "acute:chronic EWMA (information only) \\[williams2017]", str(acwr[-1]["ewma_ratio"])
            )
    return table


def load_command(
    path: PathArg, since: SinceOpt = None, as_json: JsonOpt = False, report: ReportOpt = None
) -> None:
    """Import a runner's activity history; show session spikes, weekly change and load ratios with sources."""
    if not path.exists():
        fail(f"no such file or folder: {path}")
    try:
        result = _import(path, _since(since), quiet=as_json)
    except FileNotFoundError:
        fail(f"no such file or folder: {path}")
    if report is not None:
        try:
            report.write_text(render(result), encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write the HTML report {report}: {exc}")
    if as_json:
        print_json(result.to_dict())
        return
    console.print(_summary_table(result))
    if not result.runs:
        console.print("[yellow]No runs found.[/] Skipped files are listed with --json.")
    acwr = result.model("acwr").notes[0].text if result.runs else None
    if acwr:
        console.print(f"[dim]Acute:chronic ratio: {escape(acwr)} \\[frandsen2025][/]")
    if report is not None:
        console.print(f"HTML report written to {report}")


def register(app: typer.Typer) -> None:
    app.command("load")(load_command)
