"""`glutemed schema`: the JSON Schemas of the files the commands pass to each other."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from glutemed.cli.common import console, fail
from glutemed.services.contracts import CONTRACTS, write_schemas


def schema_command(
    name: Annotated[str | None, typer.Argument(help="Contract name (omit to list them all).")] = None,
    write: Annotated[
        Path | None, typer.Option("--write", help="Write every schema as NAME.schema.json into this folder.")
    ] = None,
) -> None:
    """Show the contract (JSON Schema) of a file one command writes and another reads.

    Every reader validates its input against these schemas, so a file of the wrong shape is refused with the
    field that is wrong rather than guessed at.
    """
    if write is not None:
        for path in write_schemas(write):
            console.print(escape(str(path)))
        return
    if name is None:
        table = Table("contract", "written by", "read by")
        for contract in CONTRACTS.values():
            table.add_row(contract.name, escape(contract.written_by), escape(contract.read_by))
        console.print(table)
        return
    if name not in CONTRACTS:
        fail(f"no contract named {name!r}; known: {', '.join(CONTRACTS)}")
    typer.echo(CONTRACTS[name].schema_text(), nl=False)


def register(app: typer.Typer) -> None:
    app.command("schema")(schema_command)
