"""Shared CLI plumbing: consoles, JSON output, errors with suggestions, and the one error path.

The one error path (:func:`guard_commands`): any exception that escapes a command is reported as one line on
standard error, naming the file where the exception knows it, and the command exits with

- 2 (:data:`EXIT_USAGE`) for bad input: the exception types in :data:`BAD_INPUT` (a file that cannot be read
  or breaks its schema, a bad config, an output path that cannot be written, a missing file);
- 3 (:data:`EXIT_DATA`) when the input was read but nothing could be measured (``AnalysisError``);
- 1 (:data:`EXIT_INTERNAL`) for anything else, an internal error (a full disk included: the message says
  which file could not be written and that the old one is untouched);
- 130 on Ctrl-C.

The traceback is printed only with the global ``--debug`` option (or ``GLUTEMED_DEBUG=1``).
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer.exceptions import TyperException

from glutemed.config import ConfigError
from glutemed.io.atomic import OutputPathError, StorageError
from glutemed.io.errors import InputFileError
from glutemed.knowledge.loader import KnowledgeBase, KnowledgeBaseError, knowledge_base
from glutemed.services.intake_schema import InputFileError as DocumentError

console = Console()
err_console = Console(stderr=True)

T = TypeVar("T")

EXIT_USAGE = 2  # bad input: unknown id, unreadable file
EXIT_DATA = 3  # the input was read but nothing could be measured
EXIT_INTERNAL = 1
MAX_MESSAGE_CHARS = 600  # an error line never echoes more of a (possibly huge) input than this

# Exceptions that mean "the user gave something unusable": exit 2.
BAD_INPUT: tuple[type[BaseException], ...] = (
    InputFileError,
    DocumentError,
    ConfigError,
    OutputPathError,
    FileNotFoundError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
    UnicodeError,
    yaml.YAMLError,
    json.JSONDecodeError,
    ValidationError,
)
_debug = {"on": os.environ.get("GLUTEMED_DEBUG", "") not in ("", "0")}


def set_debug(on: bool) -> None:
    _debug["on"] = on or _debug["on"]


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE_CHARS else text[:MAX_MESSAGE_CHARS] + " ..."


def fail(message: str, *, code: int = EXIT_USAGE) -> NoReturn:
    """Print one error line (the message is escaped: a path with ``[brackets]`` shows as it is) and exit."""
    err_console.print(f"[bold red]error:[/] {escape(_clip(message))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def describe(exc: BaseException) -> tuple[str, int]:
    """The one-line message and the exit code for an exception that escaped a command."""
    from glutemed.services.analyze import AnalysisError

    text = str(exc)
    if isinstance(exc, OSError) and exc.filename is not None and not isinstance(exc, StorageError):
        text = f"{exc.filename}: {exc.strerror or exc}"
    if isinstance(exc, AnalysisError):
        return text, EXIT_DATA
    if isinstance(exc, MemoryError):
        return "out of memory: the input is too large to analyse on this machine", EXIT_INTERNAL
    if isinstance(exc, BAD_INPUT):
        return text, EXIT_USAGE
    if isinstance(exc, OSError):  # a full disk, a broken pipe: said plainly, not as a bug of glutemed
        return text, EXIT_INTERNAL
    return (
        f"internal error ({type(exc).__name__}: {text}); run with --debug for the traceback, and please report it",
        EXIT_INTERNAL,
    )


def _report(exc: BaseException) -> NoReturn:
    message, code = describe(exc)
    if _debug["on"]:
        traceback.print_exception(exc, file=sys.stderr)
    line = Text("error: ", style="bold red")
    line.append(_clip(message))
    err_console.print(line, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


F = TypeVar("F", bound=Callable[..., Any])


def guarded(func: F) -> F:
    """Wrap a command so that any exception escaping it takes the one error path."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit, click.ClickException, TyperException):
            raise  # click's own exits and usage errors keep their codes and messages
        except KeyboardInterrupt:
            err_console.print(Text("interrupted; outputs are written whole or not at all", style="yellow"))
            raise typer.Exit(130) from None
        except Exception as exc:  # the one place every failure is reported
            _report(exc)

    return wrapper  # type: ignore[return-value]


def guard_commands(app: typer.Typer) -> None:
    """Put every command of ``app`` (and of its sub-apps) behind :func:`guarded`; call after registering."""
    for info in app.registered_commands:
        if info.callback is not None and not getattr(info.callback, "_guarded", False):
            info.callback = guarded(info.callback)
            info.callback._guarded = True  # type: ignore[attr-defined]
    for group in app.registered_groups:
        if group.typer_instance is not None:
            guard_commands(group.typer_instance)


def show_path(path: Path | str | None) -> str:
    """A path (or any user-supplied text) made safe for Rich markup: ``session [rear].trc`` stays as it is."""
    return escape(str(path))


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
