"""The glutemed.load/v1 contract holds for the real output of `glutemed load --json` on the bundled files."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from glutemed import __version__
from glutemed.cli.load import register
from glutemed.contracts.load_result import LoadResult, read_load_result


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def other() -> None:  # a second command keeps Typer in multi-command mode, as in the real app
        """placeholder"""

    return app


@pytest.fixture(scope="module")
def cli_output(act_dir: Path) -> dict[str, Any]:
    result = CliRunner().invoke(_app(), ["load", str(act_dir), "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_real_cli_output_reads_back(cli_output: dict[str, Any]) -> None:
    result = read_load_result(cli_output, "load.json")
    assert isinstance(result, LoadResult)
    assert result.schema_ == "glutemed.load/v1"
    assert result.glutemed_version == __version__
    assert result.counts.runs == len(result.runs) == 5
    j = result.judgement
    # five runs between 2012 and 2020, none within 30 days of another: nothing to judge, nothing in the window
    assert (j.session_spikes, j.weekly_cautions) == ([], [])
    assert (j.max_session_pct_of_longest, j.max_weekly_increase_pct) == (None, None)
    assert str(j.window_to) == "2020-08-14"
    # the last run came after 809 days without running (2018-05-27 to 2020-08-14)
    assert j.acwr_withheld_reason is not None
    assert j.acwr_withheld_reason.startswith("back on 2020-08-14 from a layoff of 809 days without running")
    assert j.thresholds.session_spike_above_pct_of_longest == 110
    assert j.thresholds.weekly_caution_above_pct == 30


def test_the_model_round_trips_to_the_same_json(cli_output: dict[str, Any]) -> None:
    result = read_load_result(cli_output, "load.json")
    again = json.loads(result.model_dump_json(by_alias=True))
    assert read_load_result(again, "again.json") == result
    assert again["judgement"]["thresholds"] == cli_output["judgement"]["thresholds"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema="glutemed.gait/v1"), "load.json: not a glutemed load result (schema"),
        (lambda d: d.pop("judgement"), "load.json: a load result without a judgement block"),
        (
            lambda d: d.pop("glutemed_version"),
            "load.json: breaks the glutemed.load/v1 contract: glutemed_version",
        ),
        (
            lambda d: d["judgement"].update(max_session_pct_of_longest="a lot"),
            "judgement.max_session_pct_of_longest",
        ),
        (lambda d: d["counts"].update(runs=4), "counts.runs is 4 but 5 runs are listed"),
        (
            lambda d: d["judgement"]["weekly_cautions"].append(
                {"week_start": "2020-08-10", "distance_km": 6.0, "previous_km": 5.0, "change_pct": 20.0}
            ),
            "weekly caution of 2020-08-10 does not meet the caution rule",
        ),
    ],
)
def test_broken_results_name_the_source_and_the_problem(
    cli_output: dict[str, Any], change: Any, message: str
) -> None:
    data = copy.deepcopy(cli_output)
    change(data)
    with pytest.raises(ValueError, match=r"^load\.json: ") as info:
        read_load_result(data, "load.json")
    assert message in str(info.value)


def test_not_an_object_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^x\.json: not a glutemed load result \(expected a JSON object\)"):
        read_load_result([1, 2], "x.json")  # type: ignore[arg-type]


def test_cli_words_for_spikes_cautions_and_the_withheld_ratio(act_dir: Path) -> None:
    result = CliRunner().invoke(_app(), ["load", str(act_dir)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Spike: one run more than 10% longer than the longest run of the previous 30 days" in text
    assert "Caution: a week more than 30% above the week before. A caution, not a spike" in text
    assert "Acute:chronic ratio withheld: back on 2020-08-14 from a layoff of 809 days" in text


def _gpx(start: dt.datetime, km: float) -> str:
    """A straight run north at 12 km/h: one track point every 100 m and 30 s."""
    n = round(km * 10)
    points = "".join(
        f'<trkpt lat="{55.0 + i * 0.1 / 111.2:.7f}" lon="10.0">'
        f"<time>{(start + dt.timedelta(seconds=30 * i)).strftime('%Y-%m-%dT%H:%M:%SZ')}</time></trkpt>"
        for i in range(n + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><type>running</type><trkseg>'
        f"{points}</trkseg></trk></gpx>"
    )


@pytest.fixture(scope="module")
def spike_and_caution_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Week 1: 4 x 5 km; week 2: 6 x 5 km (+50%, a caution); week 3: one 8 km run (160%, a spike)."""
    folder = tmp_path_factory.mktemp("history")
    monday = dt.datetime(2024, 1, 1, 7, tzinfo=dt.UTC)
    plan = [(d, 5.0) for d in (0, 1, 2, 3, 7, 8, 9, 10, 11, 12)] + [(14, 8.0)]
    for day, km in plan:
        (folder / f"run-{day:02d}.gpx").write_text(
            _gpx(monday + dt.timedelta(days=day), km), encoding="utf-8"
        )
    return folder


def test_real_output_with_a_spike_and_a_caution(spike_and_caution_dir: Path) -> None:
    out = CliRunner().invoke(_app(), ["load", str(spike_and_caution_dir), "--json"])
    assert out.exit_code == 0, out.output
    j = read_load_result(json.loads(out.stdout), "history.json").judgement
    (caution,) = j.weekly_cautions
    assert caution.week_start.isoformat() == "2024-01-08"
    assert caution.change_pct == pytest.approx(50.0, abs=0.5)
    (spike,) = j.session_spikes
    assert (spike.date.isoformat(), spike.category, spike.hrr) == ("2024-01-15", ">30-100%", 1.52)
    assert spike.pct_of_longest_prev_30d == pytest.approx(160.0, abs=0.5)
    text = " ".join(CliRunner().invoke(_app(), ["load", str(spike_and_caution_dir)]).output.split())
    assert "spike 2024-01-15: 8.0 km, 160% of the 30-day longest 5.0 km (>30-100%, HRR 1.52)" in text
    assert "caution week of 2024-01-08: 30.0 km after 20.0 km (+50%)" in text
