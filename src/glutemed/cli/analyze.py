"""`glutemed analyze`: keypoint files in, per-leg gluteus medius gait faults with confidence out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from glutemed.cli.common import EXIT_DATA, console, err_console, fail, load_kb, print_json
from glutemed.cli.open_first import print_open_first
from glutemed.config import ConfigError, load_config
from glutemed.contracts.gait_result import FaultVerdictOut, read_gait_result
from glutemed.contracts.gait_views import metric_label, normal_band, one_row_per_metric
from glutemed.io import InputFileError
from glutemed.io.atomic import check_output_dir, check_output_file
from glutemed.io.safe_read import check_regular
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.pose import LONG_CLIP_S, is_video
from glutemed.reports.gait_html import render_gait_report, write_gait_pdf, write_gait_report
from glutemed.reports.overlay import stance_stills, write_overlay_video
from glutemed.services.analyze import (
    AnalysisError,
    Recording,
    analyze_path,
    build_result,
    read_baseline,
    write_outputs,
)


class FramesPerSecondColumn(ProgressColumn):
    """Pose-estimation speed, so a user sees how long a long clip will take."""

    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:.0f} frames/s" if task.speed else "")


VERDICT_STYLE = {
    "within": "green",
    "borderline": "yellow",
    "flagged": "bold red",
    "information": "cyan",
    "not-enough-data": "dim",
}


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:.1f}{(' ' + unit) if unit else ''}" if isinstance(value, float) else str(value)


def _cell(f: FaultVerdictOut) -> str:
    """One leg: the value and the verdict in colour; the difference to the other leg where that is judged."""
    if f.verdict == "not-enough-data":
        return f"[dim]not judged: {escape(f.reason)}[/]"
    unit = {"centimetres": " cm", "deg": "°"}.get(f.unit, "")
    value = _fmt(f.value, "" if unit else f.unit) + unit
    if f.judged_by == "other-side" and f.judged_value is not None:
        value += f" ({f.judged_value:+.1f} vs other)"
    return f"{value} [{VERDICT_STYLE[f.verdict]}]{f.verdict}[/]"


def gait_table(result: dict[str, Any], kb: KnowledgeBase) -> Table:
    """One row per metric, legs side by side, the normal band in words: fits an 80-column terminal."""
    parsed = read_gait_result(result, "result")
    table = Table(title="Gait faults (sources, SDDs and quality: --report or --json)", title_justify="left")
    table.add_column("fault", ratio=3, overflow="fold")
    table.add_column("left leg", ratio=3, overflow="fold")
    table.add_column("right leg", ratio=3, overflow="fold")
    table.add_column("normal", ratio=3, overflow="fold")
    rows: dict[str, dict[str, FaultVerdictOut]] = {}
    for f in one_row_per_metric(parsed.faults):
        rows.setdefault(f.metric, {})[f.side] = f
    for sides in rows.values():
        first = next(iter(sides.values()))
        band = escape(normal_band(first, kb, parsed.faults))
        label = escape(metric_label(first, kb))
        if "both" in sides:
            table.add_row(label, _cell(sides["both"]), "", band)
        elif all(f.verdict == "not-enough-data" for f in sides.values()):
            table.add_row(label, f"[dim]not judged: {escape(first.reason)}[/]", "", band)
        else:
            table.add_row(label, *(_cell(sides[s]) if s in sides else "—" for s in ("left", "right")), band)
    return table


def print_gait_summary(result: dict[str, Any], out_dir: Path | None, kb: KnowledgeBase) -> None:
    for rec in result["recordings"]:
        how = f"detected, confidence {rec['view_confidence']:.2f}" if rec["view_detected"] else "given"
        console.print(
            f"[bold]{escape(Path(rec['path']).name)}[/]: {rec['view']} view ({how}), {rec['fps_hz']:.1f} fps, "
            f"{rec['duration_s']:.1f} s, stances L {rec['n_stances'].get('left', 0)} / R "
            f"{rec['n_stances'].get('right', 0)}, cadence {_fmt(rec['cadence_spm'], 'steps/min')}, "
            f"quality {rec['quality']['overall']:.2f}",
            highlight=False,
        )
        for warning in filter(None, str(rec.get("pose", {}).get("warnings", "")).split(" | ")):
            console.print(f"  [yellow]warning:[/] {escape(warning)}", highlight=False)
        for note in filter(None, str(rec.get("pose", {}).get("quality_notes", "")).split(" | ")):
            console.print(f"  [cyan]note:[/] {escape(note)}", highlight=False)
        if rec["camera_roll_deg"] is not None:
            console.print(f"  camera roll estimate: {rec['camera_roll_deg']:.1f} deg", highlight=False)
    console.print(gait_table(result, kb))
    if result["missing_views"]:
        console.print(
            f"[yellow]Not filmed: {', '.join(result['missing_views'])} view — its faults are not judged.[/]"
        )
    if out_dir:
        console.print(f"Results written to {escape(str(out_dir))}/ (result.json, stances.csv, TRC)")


def write_media(
    result: dict[str, Any],
    recordings: list[Recording],
    kb: KnowledgeBase,
    *,
    report: Path | None,
    pdf: Path | None,
    overlay: Path | None,
    summary: Path | None = None,
) -> list[tuple[Path, str]]:
    """HTML and PDF reports, the runner summary (with stills when a video was analysed) and the annotated
    video; returns what was written, the file to open first first, each with what it is."""
    written: list[tuple[Path, str]] = []
    videos = [r for r in recordings if is_video(r.path)]
    if overlay is not None and not videos:
        fail("--overlay needs a video input: keypoint files have no frames to draw on")
    stills = stance_stills(videos[0].path, videos[0]) if videos and (report or pdf or summary) else None
    if report is not None:
        written.append((write_gait_report(result, recordings, kb, report, stills), "the gait report"))
    if summary is not None:
        done = write_gait_report(result, recordings, kb, summary, stills, audience="runner")
        written.append((done, "the runner's summary, in plain words"))
    if pdf is not None:
        html_text = render_gait_report(result, recordings, kb, stills)
        written.append((write_gait_pdf(html_text, pdf), "the gait report as PDF"))
    if overlay is not None:
        done = write_overlay_video(videos[0].path, videos[0], overlay)
        written.append((done, "the video with the skeleton drawn"))
    return written


def register(app: typer.Typer) -> None:
    @app.command("analyze")
    def analyze(
        inputs: Annotated[
            list[Path],
            typer.Argument(
                help="Keypoint files: TRC, GaitLab pose JSON, glutemed keypoints JSON, an OpenPose folder, or C3D "
                "motion capture (with --static; seen from the rear and the side unless --view is given), or a video "
                "(.mp4/.mov/.avi/.mkv: MediaPipe pose, cached beside the outputs). "
                "Give a rear and a side recording of one session together to merge them.",
            ),
        ],
        view: Annotated[
            str | None, typer.Option(help="Camera view: rear, front or side. Detected when left out.")
        ] = None,
        out: Annotated[Path | None, typer.Option(help="Folder for result.json, stances.csv and TRC.")] = None,
        config_path: Annotated[
            Path | None, typer.Option("--config", help="A TOML config (see glutemed/config/analysis.toml).")
        ] = None,
        fps: Annotated[float | None, typer.Option(help="Frame rate, for OpenPose folders only.")] = None,
        static: Annotated[
            Path | None,
            typer.Option(
                help="Static trial for C3D motion capture (knee and ankle markers for joint centres)."
            ),
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print the result JSON to stdout.")] = False,
        report: Annotated[
            Path | None, typer.Option("--report", help="Write a self-contained HTML report to this file.")
        ] = None,
        pdf: Annotated[
            Path | None, typer.Option("--pdf", help="Write the report as PDF to this file.")
        ] = None,
        summary: Annotated[
            Path | None,
            typer.Option("--summary", help="Write the runner's summary (plain words, HTML) to this file."),
        ] = None,
        overlay: Annotated[
            Path | None,
            typer.Option(
                "--overlay", help="Write an annotated MP4 (skeleton, pelvis line, stances; videos only)."
            ),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(
                "--workers",
                min=1,
                help="Chunks of the clip posed side by side, one thread each (1: no chunks). Default: every "
                f"core for a clip longer than {LONG_CLIP_S:g} s in tracking mode; 1 in static mode (the "
                "default mode, which already spreads its frames over one pose model per core).",
            ),
        ] = None,
        baseline: Annotated[
            Path | None,
            typer.Option(
                "--baseline",
                help="An earlier result.json of the same runner: each leg's change is shown, and a worsening "
                "beyond the fault's smallest detectable difference (SDD) is flagged.",
            ),
        ] = None,
    ) -> None:
        """Measure per-leg gait faults of the gluteus medius (pelvic drop, cross-over, knee valgus, ...)."""
        if view is not None and view not in {"rear", "front", "side"}:
            fail(f"--view must be rear, front or side, not '{view}'")
        # Outputs are checked before the long work (pose estimation can take minutes).
        if out is not None:
            check_output_dir(out, "--out folder")
        for path_out, what in (
            (report, "--report HTML"),
            (pdf, "--pdf file"),
            (summary, "--summary HTML"),
            (overlay, "--overlay video"),
        ):
            if path_out is not None:
                check_output_file(path_out, what)
        if overlay is not None and not any(is_video(p) for p in inputs):
            fail("--overlay needs a video input: keypoint files have no frames to draw on")
        try:
            if config_path is not None:
                check_regular(config_path, "TOML config")  # a FIFO or device would hang the TOML reader
            config = load_config(config_path)
            earlier = read_baseline(baseline) if baseline is not None else None
        except (ConfigError, InputFileError) as exc:
            fail(str(exc))
        kb = load_kb()
        recordings: list[Recording] = []
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            FramesPerSecondColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            for path in inputs:
                task = progress.add_task(f"analysing {escape(path.name)}", total=None)

                def on_frames(done: int, expected: int | None, task: TaskID = task) -> None:
                    progress.update(task, completed=done, total=expected)

                try:
                    recordings.extend(
                        analyze_path(
                            path,
                            kb=kb,
                            config=config,
                            view=view,
                            fps_hz=fps,
                            static=static,
                            progress=on_frames,
                            cache_dir=out,
                            pose_workers=workers,
                        )
                    )
                except InputFileError as exc:
                    fail(str(exc))
                except AnalysisError as exc:
                    fail(str(exc), code=EXIT_DATA)
                progress.update(task, visible=False)
        result = build_result(recordings, config, baseline=earlier)
        files = write_outputs(result, recordings, out, config) if out is not None else []
        media = write_media(result, recordings, kb, report=report, pdf=pdf, overlay=overlay, summary=summary)
        if json_out:
            print_json(result)  # nothing else: the files are the ones the options named
            return
        print_gait_summary(result, None, kb)
        # The HTML report first; a PDF or video alone is opened first only when nothing else was asked for.
        ranked = [m for m in media if m[0].suffix == ".html"] or media[:1]
        print_open_first(ranked, files + [p for p, _ in media])
