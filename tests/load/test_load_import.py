"""The import use case, de-duplication, and the `glutemed load` command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from glutemed.cli.load import register
from glutemed.services.load import import_history

TWINS = ("2020-08-14-190927.fit", "2020-08-14-190932.fit", "2020-08-14-191001.fit", "rds__1597405972620.gpx")


@pytest.fixture
def twins(act_dir: Path, tmp_path: Path) -> Path:
    for name in TWINS:
        shutil.copy(act_dir / name, tmp_path / name)
    return tmp_path


def test_same_run_in_fit_and_gpx_counted_once(act_dir: Path, tmp_path: Path) -> None:
    for name in ("2020-08-14-190932.fit", "rds__1597405972620.gpx"):
        shutil.copy(act_dir / name, tmp_path / name)
    report = import_history(tmp_path)
    assert len(report.runs) == 1
    assert report.runs[0].fmt == "fit"  # the FIT copy wins over the untyped GPX
    (dup,) = report.duplicates
    assert dup.source.endswith(".gpx")
    assert dup.duplicate_of is not None
    assert dup.duplicate_of.endswith("190932.fit")


def test_three_apps_and_a_gpx_one_run(twins: Path) -> None:
    report = import_history(twins)
    assert len(report.runs) == 1
    assert len(report.duplicates) == 3


def test_whole_fixture_folder_never_crashes(act_dir: Path) -> None:
    report = import_history(act_dir)
    data = report.to_dict()
    json.dumps(data)
    reasons = " | ".join(s["reason"] for s in data["skipped"])
    for expected in (
        "CRC",
        "truncated",
        "without timestamps",
        "no track points",
        "unknown sport",
        "duplicate",
    ):
        assert expected in reasons
    assert data["counts"]["other_by_sport"]["walking"] == 1
    assert data["counts"]["runs"] == 5  # fenix2, fenix 5, triathlon run leg, 2020-08-14 run, TCX run


def test_progress_callback(twins: Path) -> None:
    calls: list[tuple[int, int]] = []
    import_history(twins, progress=lambda done, total, _name: calls.append((done, total)))
    assert calls[-1] == (4, 4)


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps Typer in multi-command mode, as in the real app
        """placeholder"""

    return app


def test_cli_json_parses(twins: Path) -> None:
    result = CliRunner().invoke(_app(), ["load", str(twins), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema"] == "glutemed.load/v1"
    assert data["counts"]["runs"] == 1


def test_cli_table_and_html_report(twins: Path, tmp_path: Path) -> None:
    out = tmp_path / "load.html"
    result = CliRunner().invoke(_app(), ["load", str(twins), "--report", str(out)])
    assert result.exit_code == 0, result.output
    assert "Training load" in result.output
    assert "".join(result.output.split()).endswith(f"Openfirst:{out}(thetraining-loadreport)")  # issue 12
    page = out.read_text(encoding="utf-8")
    assert page.lower().startswith("<!doctype html>")  # the shared base template writes it in lower case
    assert "<svg" in page


def test_cli_missing_path_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = CliRunner().invoke(_app(), ["load", str(missing)])
    assert result.exit_code == 2
    assert "nope" in result.output


def test_cli_bad_since_exits_2(twins: Path) -> None:
    result = CliRunner().invoke(_app(), ["load", str(twins), "--since", "yesterday"])
    assert result.exit_code == 2
