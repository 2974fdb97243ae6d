"""`glutemed intake new FILE.yaml`: an interactive questionnaire that writes an intake file.

Every answer is checked against the same pydantic field (and its bounds) that ``load_intake`` uses, so a pain of
14/10 or a body mass of 0 is refused on the spot and asked again. The finished answers are validated once more
as a whole :class:`IntakeIn` before they are returned or saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO

import typer
import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm, Prompt

from glutemed.core.intake import AGGRAVATORS
from glutemed.io.atomic import atomic_write_bytes, check_output_file
from glutemed.knowledge.models import Equipment, PainRegion
from glutemed.services.intake_schema import (
    AvailabilityIn,
    ChangeIn,
    ContextIn,
    InputFileError,
    IntakeIn,
    LifestyleIn,
    RedFlagsIn,
    RunnerIn,
    RunningIn,
    SymptomsIn,
    validate,
)

Kind = Literal["text", "number", "choice", "list"]
MAX_TRIES = 5


@dataclass(frozen=True)
class Question:
    section: str | None  # key in the intake (None: top level)
    field: str
    text: str
    kind: Kind = "number"
    default: str | None = None  # shown and used on an empty answer; None: an answer is required


def _options(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


QUESTIONS: tuple[Question, ...] = (
    Question(None, "name", "Name or label for this runner (optional)", "text", ""),
    Question("runner", "age_years", "Age (years)"),
    Question("runner", "sex", "Sex (female/male)", "choice"),
    Question("runner", "height_cm", "Height (cm)"),
    Question("runner", "mass_kg", "Body mass (kg)"),
    Question("running", "km_per_week", "Running distance per week (km)"),
    Question("running", "sessions_per_week", "Runs per week"),
    Question("running", "minutes_per_week", "Running time per week (minutes)"),
    Question("running", "pace_min_per_km", "Usual easy pace (min/km, optional)", "number", ""),
    Question(
        "context", "surfaces", "Surfaces you run on, comma-separated (e.g. road, trail, track)", "list", ""
    ),
    Question("context", "footwear_change", "Changed running shoes recently (yes/no)", "choice", "no"),
    Question("context", "hills_or_stairs", "Much hill or stair running (yes/no)", "choice", "no"),
    Question(
        "context",
        "change_of_direction_sports",
        "Other sports with changes of direction, comma-separated (blank: none)",
        "list",
        "",
    ),
    Question("lifestyle", "sitting_h_per_day", "Hours sitting per day", "number", "0"),
    Question("lifestyle", "standing_h_per_day", "Hours standing per day", "number", "0"),
    Question(
        "lifestyle", "stands_hung_on_one_hip", "Do you stand hanging on one hip (yes/no)", "choice", "no"
    ),
    Question(None, "injury_history", "Past running injuries, separated by ';' (blank: none)", "list", ""),
    Question(
        "symptoms",
        "regions",
        f"Where does it hurt? Comma-separated from: {_options([r.value for r in PainRegion])} (blank: nowhere)",
        "list",
        "",
    ),
    Question("symptoms", "side", "Which side hurts (left/right/both, blank: none)", "choice", ""),
    Question("symptoms", "pain_rest_0_10", "Pain at rest (0-10)", "number", "0"),
    Question("symptoms", "pain_running_0_10", "Pain while running (0-10)", "number", "0"),
    Question("symptoms", "pain_night_0_10", "Pain at night (0-10)", "number", "0"),
    Question("symptoms", "duration_weeks", "How many weeks has it hurt", "number", "0"),
    Question(
        "symptoms",
        "aggravators",
        f"What makes it worse? Comma-separated from: {_options(AGGRAVATORS)} (blank: nothing)",
        "list",
        "",
    ),
    Question(
        "availability",
        "equipment",
        f"Equipment you have, comma-separated from: {_options([e.value for e in Equipment])}",
        "list",
        "none",
    ),
    Question(
        "availability", "sessions_per_week", "Strength sessions you can do per week (1-7)", "number", "2"
    ),
    Question("availability", "minutes_per_session", "Minutes per strength session", "number", "20"),
    Question(None, "goals", "Your goals, separated by ';' (optional)", "list", ""),
)

CHANGE_QUESTIONS: tuple[Question, ...] = (
    Question("recent_change", "change_pct", "By how many percent did it go up (e.g. 30)"),
    Question("recent_change", "weeks_ago", "How many weeks ago (optional)", "number", ""),
)
CHANGE_KINDS = ("distance", "speed", "frequency")

RED_FLAGS: tuple[tuple[str, str], ...] = (
    ("night_pain_unrelated_to_position", "Pain at night that does not change with your position?"),
    ("unexplained_weight_loss", "Weight loss you cannot explain?"),
    ("fever", "Fever or feeling generally unwell with the pain?"),
    ("trauma", "Did the pain start with a fall, crash or other trauma?"),
    ("numbness_or_weakness", "Numbness, pins and needles or weakness in the leg?"),
    (
        "bladder_or_bowel_change",
        "Any change in bladder or bowel control, or numbness around the saddle area?",
    ),
    ("history_of_cancer", "Have you ever had cancer?"),
    (
        "systemic_corticosteroids",
        "Do you take, or did you recently take, steroid tablets or injections for weeks?",
    ),
    (
        "immunosuppression",
        "Do you take medicine that weakens the immune system, or have an illness that does?",
    ),
    ("groin_pain_on_loading", "Deep groin pain when running, hopping or standing on the painful leg?"),
    ("missed_periods", "Three months or more without a period (or none yet at 15 or older)?"),
    (
        "low_energy_availability",
        "Do you eat less than your training needs, or have you had an eating disorder?",
    ),
)
FEMALE_ONLY = frozenset({"missed_periods"})

SECTIONS: dict[str | None, type[BaseModel]] = {
    None: IntakeIn,
    "runner": RunnerIn,
    "running": RunningIn,
    "symptoms": SymptomsIn,
    "availability": AvailabilityIn,
    "context": ContextIn,
    "lifestyle": LifestyleIn,
    "recent_change": ChangeIn,
    "red_flags": RedFlagsIn,
}


def field_adapter(section: str | None, field: str) -> TypeAdapter[Any]:
    """A validator for one intake field with the type and bounds its pydantic model declares."""
    info = SECTIONS[section].model_fields[field]
    annotation: Any = info.annotation
    if not info.metadata:
        return TypeAdapter(annotation)
    annotated: Any = Annotated.__class_getitem__((annotation, *info.metadata))  # type: ignore[attr-defined]
    return TypeAdapter(annotated)


def _raw(q: Question, answer: str) -> Any:
    """The answer as the type pydantic should see; blank optional answers become None or []."""
    text = answer.strip()
    if q.kind == "list":
        sep = ";" if q.field in {"goals", "injury_history"} else ","
        return [part.strip() for part in text.split(sep) if part.strip()]
    return text or None


def check_answer(q: Question, answer: str) -> Any:
    """Validate one answer; returns a JSON/YAML-friendly value or raises ValidationError."""
    adapter = field_adapter(q.section, q.field)
    value = adapter.validate_python(_raw(q, answer))
    return adapter.dump_python(value, mode="json")


def _where(q: Question) -> str:
    return f"{q.section}.{q.field}" if q.section else q.field


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
