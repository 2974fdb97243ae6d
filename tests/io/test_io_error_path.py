"""The one error path: any exception escaping a command is one line with the right exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from glutemed.cli import common
from glutemed.config import ConfigError
from glutemed.io.atomic import OutputPathError, StorageError
from glutemed.io.errors import InputFileError
from glutemed.services.analyze import AnalysisError
from glutemed.services.intake_schema import InputFileError as DocumentError

runner = CliRunner()


def _app(exc: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def boom(name: str = "x") -> None:
        raise exc

    @app.command()
    def fine() -> None:
        typer.echo("ok")

    common.guard_commands(app)
    return app


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InputFileError("run[/]bad.trc", "not a TRC file"), 2),
        (DocumentError("intake [rear].yaml: runner: field required"), 2),
        (ConfigError("my.toml: unknown key"), 2),
        (OutputPathError("out", "is a folder"), 2),
        (FileNotFoundError(2, "No such file or directory", "gone.trc"), 2),
        (AnalysisError("run.trc: no running stance found"), 3),
        (StorageError("book.json", "could not be written (the disk is full); the old file is untouched"), 1),
        (RuntimeError("something we did not foresee"), 1),
        (KeyError("oops"), 1),
        (OSError(28, "No space left on device", "report.html"), 1),
    ],
)
def test_exception_becomes_one_line(exc: BaseException, code: int) -> None:
    result = runner.invoke(_app(exc), ["boom"])
    assert result.exit_code == code
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    if code == 1 and not isinstance(exc, OSError):
        assert "internal error" in lines[0]
        assert "--debug" in lines[0]


def test_usage_errors_keep_click_behaviour() -> None:
    result = runner.invoke(_app(typer.BadParameter("--at must be >= 0")), ["boom"])
    assert result.exit_code == 2
    assert "internal error" not in result.output
    assert "--at must be >= 0" in result.output


def test_full_disk_is_not_called_a_bug() -> None:
    result = runner.invoke(_app(OSError(28, "No space left on device", "report.html")), ["boom"])
    assert result.output.strip() == "error: report.html: No space left on device"


def test_paths_with_brackets_are_shown_as_they_are() -> None:
    result = runner.invoke(_app(InputFileError("session [rear]/run[/]x.trc", "bad")), ["boom"])
    assert "session [rear]/run[/]x.trc: bad" in result.output
    message, _ = common.describe(InputFileError("a [b].trc", "c"))
    assert message == "a [b].trc: c"


def test_fail_escapes_markup(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit):
        common.fail("session [rear].trc: [/] broken [bold]x")
    assert "session [rear].trc: [/] broken [bold]x" in capsys.readouterr().err


def test_debug_prints_the_traceback() -> None:
    app = _app(RuntimeError("deep inside"))
    common.set_debug(True)
    try:
        result = runner.invoke(app, ["boom"])
    finally:
        common._debug["on"] = False
    assert result.exit_code == 1
    assert "Traceback" in result.output
    assert "RuntimeError: deep inside" in result.output


def test_huge_messages_are_clipped() -> None:
    result = runner.invoke(_app(InputFileError("big.json", "x" * 100_000)), ["boom"])
    assert result.exit_code == 2
    assert len(result.output) < 1000


def test_every_command_of_the_real_app_is_guarded() -> None:
    from glutemed.cli.app import app

    def commands(t: typer.Typer) -> list[object]:
        found = [c.callback for c in t.registered_commands]
        for g in t.registered_groups:
            if g.typer_instance is not None:
                found += commands(g.typer_instance)
        return found

    callbacks = commands(app)
    assert len(callbacks) > 10
    assert all(getattr(cb, "_guarded", False) for cb in callbacks)


def test_debug_option_exists(tmp_path: Path) -> None:
    from glutemed.cli.app import app

    result = runner.invoke(app, ["--debug", "assess", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2
    assert "file not found" in result.output
