"""`glutemed load PATH`: import an activity history; show single-run spikes and weekly cautions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from glutemed.cli.common import console, err_console, fail, print_json
from glutemed.cli.open_first import print_open_first
from glutemed.core.load import LoadReport
from glutemed.io.atomic import atomic_write_text, check_output_file
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


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def _summary_table(report: LoadReport) -> Table:
    data = report.to_dict()
    table = Table(title="Training load", show_header=True)
    table.add_column("item", overflow="fold")
    table.add_column("value", justify="right")
    s, c, j = data["summary"], data["counts"], data["judgement"]
    t = j["thresholds"]
    table.add_row("runs", str(c["runs"]))
    table.add_row(
        "other sessions (not counted)", ", ".join(f"{k} {v}" for k, v in c["other_by_sport"].items()) or "0"
    )
    table.add_row("skipped files / duplicates", f"{c['skipped']} / {c['duplicates']}")
    if not report.runs:
        return table
    table.add_row("period", f"{s['first_run']} to {s['last_run']}")
    table.add_row("distance / time", f"{s['total_distance_km']:.1f} km / {s['total_time_h']:.1f} h")
    table.add_row(
        f"spikes: runs over {t['session_spike_above_pct_of_longest']:g}% of the 30-day longest \\[frandsen2025]",
        str(len(j["session_spikes"])),
    )
    table.add_row(
        f"cautions: weeks over +{t['weekly_caution_above_pct']:g}% \\[nielsen2014a]",
        str(len(j["weekly_cautions"])),
    )
    window = f"last {j['window_days']} days ({j['window_from']} to {j['window_to']})"
    table.add_row(f"{window}: longest run as % of the 30-day longest", _pct(j["max_session_pct_of_longest"]))
    table.add_row(f"{window}: largest weekly change", _pct(j["max_weekly_increase_pct"]))
    acwr = report.model("acwr").rows
    ratio = acwr[-1]["ewma_ratio"] if acwr else None
    table.add_row(
        "acute:chronic EWMA (information only) \\[williams2017]", "withheld" if ratio is None else str(ratio)
    )
    return table


def _plain_words(report: LoadReport) -> list[str]:
    """What the counts mean, in plain words, with the reason when the ratio is withheld."""
    j = report.judgement
    t = j.params
    lines = [
        f"[bold]Spike[/]: one run more than {t.session_spike_above_pct_of_longest - 100:g}% longer than the "
        "longest run of the previous 30 days. Such runs raised the injury rate in 5,205 runners "
        "\\[frandsen2025].",
        f"[bold]Caution[/]: a week more than {t.weekly_caution_above_pct:g}% above the week before. A caution, "
        "not a spike: the evidence is weaker (novices, hazard ratio 1.59 with a confidence interval that "
        "crosses 1 \\[nielsen2014a]; no week-to-week association in 5,205 runners \\[frandsen2025]).",
        f"Changes are not judged on a small base (glutemed defaults): a week after one under "
        f"{t.weekly_min_previous_km:g} km, or a run whose 30-day longest was under {t.session_min_longest_km:g} km.",
    ]
    for spike in j.session_spikes[-5:]:
        lines.append(
            f"  spike {spike.start_utc[:10]}: {spike.distance_km:.1f} km, {spike.pct_of_longest_prev_30d:.0f}% of "
            f"the 30-day longest {spike.longest_prev_30d_km:.1f} km ({spike.category}, HRR {spike.hrr:g})"
        )
    for week in j.weekly_cautions[-5:]:
        lines.append(
            f"  caution week of {week.week_start}: {week.distance_km:.1f} km after {week.previous_km:.1f} km "
            f"({week.change_pct:+.0f}%)"
        )
    if j.acwr_withheld_reason:
        lines.append(f"Acute:chronic ratio withheld: {escape(j.acwr_withheld_reason)}.")
    lines.append(
        f"[dim]Acute:chronic ratio: {escape(report.model('acwr').notes[0].text)} \\[frandsen2025][/]"
    )
    return lines


def load_command(
    path: PathArg, since: SinceOpt = None, as_json: JsonOpt = False, report: ReportOpt = None
) -> None:
    """Import a runner's activity history; show single-run spikes, weekly cautions and load ratios with sources."""
    if not path.exists():
        fail(f"no such file or folder: {path}")
    if report is not None:
        check_output_file(report, "HTML report")  # before reading a long history
    try:
        result = _import(path, _since(since), quiet=as_json)
    except FileNotFoundError:
        fail(f"no such file or folder: {path}")
    if not result.runs and not result.other_sessions and result.skipped:
        # Nothing at all could be used: bad input (exit 2), said with the reasons, as the README promises.
        reasons = "; ".join(f"{s.source}: {s.reason}" for s in result.skipped[:3])
        more = f" (and {len(result.skipped) - 3} more)" if len(result.skipped) > 3 else ""
        fail(f"no usable activity in {path}: {reasons}{more}")
    if report is not None:
        atomic_write_text(report, render(result))
    if as_json:
        print_json(result.to_dict())
        return
    console.print(_summary_table(result))
    if not result.runs:
        console.print("[yellow]No runs found.[/] Skipped files are listed with --json.")
    else:
        for line in _plain_words(result):
            console.print(line)
    if report is not None:
        print_open_first([(report, "the training-load report")])


def register(app: typer.Typer) -> None:
    app.command("load")(load_command)
