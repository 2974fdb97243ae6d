"""`glutemed intake new FILE.yaml`: an interactive questionnaire that writes an intake file.

Every answer is checked against the same pydantic field (and its bounds) that ``load_intake`` uses, so a pain of
14/10 or a body mass of 0 is refused on the spot and asked again. The finished answers are validated once more
as a whole :class:`IntakeIn` before they are returned or saved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
import yaml
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, Prompt

from glutemed.io.atomic import atomic_write_bytes, check_output_file
from glutemed.services.intake_form import (
    CHANGE_KINDS,
    CHANGE_QUESTIONS,
    FEMALE_ONLY,
    QUESTIONS,
    RED_FLAGS,
    SECTIONS,
    Question,
    check_answer,
    field_adapter,
    name_of,
    raw_answer,
)
from glutemed.services.intake_schema import InputFileError, IntakeIn, validate

__all__ = [  # the shared questions, used here and by the web form (services/intake_form.py)
    "CHANGE_KINDS",
    "CHANGE_QUESTIONS",
    "FEMALE_ONLY",
    "QUESTIONS",
    "RED_FLAGS",
    "SECTIONS",
    "Question",
    "ask_intake",
    "check_answer",
    "field_adapter",
    "raw_answer",
    "save_intake",
]

MAX_TRIES = 5


def _where(q: Question) -> str:
    return name_of(q)


def _ask(q: Question, console: Console, stream: TextIO | None) -> Any:
    for _ in range(MAX_TRIES):
        default: Any = ... if q.default is None else q.default  # Ellipsis: no default, an answer is needed
        answer = Prompt.ask(
            q.text, console=console, default=default, show_default=bool(q.default), stream=stream
        )
        text = (answer or "").strip()
        try:
            return check_answer(q, text if text or q.default is None else q.default)
        except ValidationError as exc:
            why = "; ".join(err["msg"] for err in exc.errors())
            console.print(f"[red]{_where(q)}: {why}. Please answer again.[/]")
    raise InputFileError(f"questionnaire: {_where(q)}: no valid answer after {MAX_TRIES} tries")


def ask_recent_changes(console: Console, stream: TextIO | None) -> list[dict[str, Any]]:
    """Recent rises in running distance, speed or frequency: the load spikes the assessment looks for."""
    changes: list[dict[str, Any]] = []
    for kind in CHANGE_KINDS:
        if not Confirm.ask(
            f"Has your running {kind} gone up in the last weeks?",
            console=console,
            default=False,
            stream=stream,
        ):
            continue
        change: dict[str, Any] = {"kind": kind}
        for q in CHANGE_QUESTIONS:
            value = _ask(q, console, stream)
            if value is not None:
                change[q.field] = value
        changes.append(change)
    return changes


def ask_intake(console: Console, *, stream: TextIO | None = None) -> dict[str, Any]:
    """Ask every question (re-asking bad answers) and return intake data that ``load_intake`` accepts.

    ``stream`` is where answers are read from (standard input when None); tests pass a ``StringIO``.
    """
    data: dict[str, Any] = {}
    console.print("[bold]Runner intake[/] — press Enter to accept the value in brackets.")
    for q in QUESTIONS:
        value = _ask(q, console, stream)
        if value is None or value == []:
            continue
        target = data if q.section is None else data.setdefault(q.section, {})
        target[q.field] = value
    data["recent_changes"] = ask_recent_changes(console, stream)
    console.print(
        "[bold]Red flags[/] — a yes to any of these stops the program until a clinician has looked."
    )
    female = data.get("runner", {}).get("sex") == "female"
    data["red_flags"] = {
        key: bool(Confirm.ask(text, console=console, default=False, stream=stream))
        for key, text in RED_FLAGS
        if female or key not in FEMALE_ONLY
    }
    validate(IntakeIn, data, "questionnaire")
    return data


def save_intake(data: dict[str, Any], path: Path) -> Path:
    """Validate the data as an intake and write it as YAML (atomically)."""
    validate(IntakeIn, data, str(path))
    text = "# Intake written by `glutemed intake new`; edit freely, then run `glutemed assess` on it.\n"
    text += yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return atomic_write_bytes(Path(path), text.encode("utf-8"))


def intake_new_command(
    path: Annotated[Path, typer.Argument(help="Where to write the intake (YAML).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Answer a short questionnaire and save it as an intake file for `glutemed assess` and `program`."""
    from glutemed.cli.common import console, fail

    if path.exists() and not force:
        fail(f"{path} exists; pass --force to overwrite it")
    check_output_file(path, "intake file")  # a folder or an unwritable path fails before the questions
    try:
        answers = ask_intake(console)
    except InputFileError as exc:
        fail(str(exc))
    try:
        saved = save_intake(answers, path)
    except (OSError, InputFileError) as exc:
        fail(f"{exc}; your answers are saved in {rescue_answers(answers)}", code=1)
    console.print(f"intake written to {escape(str(saved))}; next: glutemed assess {escape(str(saved))}")


def rescue_answers(data: dict[str, Any]) -> Path:
    """Save questionnaire answers where they are safe (home folder, else the temporary folder)."""
    import datetime as dt
    import tempfile

    name = f"glutemed-intake-{dt.datetime.now():%Y%m%d-%H%M%S}.yaml"
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    for folder in (Path.home(), Path(tempfile.gettempdir())):
        try:
            return atomic_write_bytes(folder / name, text.encode("utf-8"))
        except OSError:
            continue
    raise OSError("the answers could not be saved anywhere (home and temporary folders are not writable)")


def register(app: typer.Typer) -> None:
    intake_app = typer.Typer(help="Create intake files.", no_args_is_help=True)
    intake_app.command("new")(intake_new_command)
    app.add_typer(intake_app, name="intake")
