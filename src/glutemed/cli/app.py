"""The `glutemed` command: a thin layer over the services and the knowledge base."""

from __future__ import annotations

from typing import Annotated

import typer

from glutemed import __version__
from glutemed.cli import (
    admin,
    analyze,
    assess,
    batch,
    demo,
    knowledge,
    level,
    load,
    questionnaire,
    schema,
    serve,
    tour,
)
from glutemed.cli.common import guard_commands, set_debug

app = typer.Typer(
    name="glutemed",
    help=(
        "Assess and train the gluteus medius of runners: gait faults from video or keypoints, clinical tests, "
        "training load, and an evidence-based exercise program. Every number cites its source."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"glutemed {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Print the full traceback when a command fails.")
    ] = False,
) -> None:
    """glutemed command line."""
    del version  # handled by its eager callback
    set_debug(debug)


knowledge.register(app)
analyze.register(app)
batch.register(app)  # glutemed batch: many recordings on a Dask cluster
assess.register(app)
load.register(app)
demo.register(app)
tour.register(app)
questionnaire.register(app)
level.register(app)
schema.register(app)
admin.register(app)  # db upgrade, admin create-user, worker (clinic app)
serve.register(app)  # the clinic web app
guard_commands(app)  # any exception escaping a command: one line, exit 2 (bad input) or 1 (internal)


def main() -> None:
    app()
