"""Shared CLI plumbing: consoles, JSON output, errors with suggestions."""

from __future__ import annotations

import difflib
import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, TypeVar

import typer
from rich.console import Console

from glutemed.knowledge.loader import KnowledgeBase, KnowledgeBaseError, knowledge_base

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")

EXIT_USAGE = 2  # bad input: unknown id, unreadable file
EXIT_DATA = 3  # the input was read but nothing could be measured


def fail(message: str, *, code: int = EXIT_USAGE) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_kb() -> KnowledgeBase:
    try:
        return knowledge_base()
    except KnowledgeBaseError as exc:
        fail(f"the bundled knowledge base is broken: {exc}", code=EXIT_DATA)


def lookup(table: Mapping[str, T], ident: str, what: str, list_command: str) -> T:
    """Find an id, or exit with a message that suggests the closest ids (matching names too)."""
    if ident in table:
        return table[ident]
    close = difflib.get_close_matches(ident, list(table), n=4, cutoff=0.5)
    if not close:
        close = [key for key in table if ident.lower() in key][:4]
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    fail(f"no {what} with id '{ident}'.{hint} See `glutemed {list_command}` for all ids.")


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n")


def join(items: Iterable[object], empty: str = "—") -> str:
    text = ", ".join(str(item) for item in items)
    return text or empty
