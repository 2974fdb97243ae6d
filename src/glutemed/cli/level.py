"""`glutemed level STILL`: measure a rear or front camera's roll from straight edges in a still picture."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from glutemed.cli.common import EXIT_DATA, console, fail, print_json, show_path
from glutemed.io.atomic import atomic_write_bytes, check_output_file
from glutemed.io.errors import InputFileError
from glutemed.io.safe_read import check_regular

StillArg = Annotated[
    Path,
    typer.Argument(
        help="A picture (png, jpg, ...) or a video (mp4, mov, avi, mkv) filmed from the run's camera."
    ),
]
AtOpt = Annotated[
    float, typer.Option("--at", min=0.0, help="For a video: the time of the frame to use, in seconds.")
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="Write the picture with the edges used drawn on it (PNG) here.")
]
TiltOpt = Annotated[
    float,
    typer.Option(
        "--max-tilt", min=1.0, max=30.0, help="Ignore edges further than this from level or plumb (deg)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the estimate as JSON.")]


def level(
    still: StillArg, at: AtOpt = 0.0, out: OutOpt = None, max_tilt: TiltOpt = 15.0, json_out: JsonOpt = False
) -> None:
    """Measure how far the camera is rolled, from door frames, wall corners and floor edges in a still frame.

    Film (or photograph) the empty scene from the exact camera position before the run, or pick a frame with
    --at. Give the result to the analysis as `camera_roll_deg` under [input] in the config (see `glutemed
    analyze --help`): absolute angles such as the lateral trunk lean and which side of the midline a foot lands
    on are then corrected. Pelvic drop, hip adduction and knee angles do not depend on the roll.
    """
    import cv2

    from glutemed.pose.level_lines import LevelError, draw_estimate, estimate_roll_from_image, read_still

    if out is not None:
        check_output_file(out, "PNG picture")  # a folder or unwritable path fails before any work
    try:
        check_regular(still, "picture or video")  # a FIFO or device would hang the image reader
        image = read_still(still, at_s=at)
        estimate = estimate_roll_from_image(image, max_tilt_deg=max_tilt)
    except InputFileError as exc:
        fail(str(exc))
    except LevelError as exc:
        fail(f"{still}: {exc}", code=EXIT_DATA)
    if out is not None:
        ok, png = cv2.imencode(".png", draw_estimate(image, estimate))
        if not ok:
            fail(f"{out}: could not encode the picture as PNG")
        atomic_write_bytes(out, png.tobytes())
    payload = {"path": str(still), "at_s": at} | estimate.to_dict() | {"drawn": str(out) if out else None}
    if json_out:
        print_json(payload)
        return
    table = Table(title=f"Camera roll from straight edges: {show_path(still.name)}")
    table.add_column("reading")
    table.add_column("deg", justify="right")
    table.add_column("edges", justify="right")
    table.add_row("all edges (used)", f"{estimate.roll_deg:+.2f}", str(len(estimate.segments)))
    for label, value, n in (
        ("level edges", estimate.horizontal_deg, estimate.n_horizontal),
        ("plumb edges", estimate.vertical_deg, estimate.n_vertical),
    ):
        table.add_row(label, f"{value:+.2f}" if n else "-", str(n))
    console.print(table)
    console.print(
        f"spread {estimate.spread_deg:.2f} deg. Positive: level lines rise to the right of the picture. "
        f"Use it with: \\[input] camera_roll_deg = {estimate.roll_deg:.1f}",
        highlight=False,
    )
    if estimate.spread_deg > 1.0:
        console.print(
            "[yellow]The edges disagree by more than 1 deg: check the drawn picture (--out) and prefer edges "
            "across the view over edges that recede from the camera.[/]"
        )
    if out is not None:
        console.print(f"edges drawn: {show_path(out)}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("level")(level)
