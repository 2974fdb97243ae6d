"""`glutemed batch` on a real Dask LocalCluster: keypoint files, the two C3D trials and one broken file."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from distributed import LocalCluster
from typer.testing import CliRunner

from glutemed.batch import jobs_from_inputs, jobs_from_manifest, run_batch
from glutemed.cli.app import app
from glutemed.config import load_config

DATA = Path(__file__).resolve().parents[1] / "data"
POSE = DATA / "video" / "male_side_treadmill" / "male_side.pose.json"
MOCAP = DATA / "mocap"
BROKEN = '{"schema": "gaitlab.pose/v1", "fps": 30, "frames": [truncated'


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """One cluster for the module (started once: each start costs seconds on a busy machine)."""
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("inputs")
    shutil.copy(POSE, folder / "runner1.pose.json")
    shutil.copy(POSE, folder / "runner2.pose.json")
    (folder / "broken.pose.json").write_text(BROKEN, encoding="utf-8")
    for trial in ("fukuchi_rbds", "ric_calgary"):
        shutil.copytree(MOCAP / trial, folder / trial, ignore=shutil.ignore_patterns("*.md", "*.txt"))
    rows = [
        ("runner1.pose.json", "R1", "side", "s1"),
        ("runner2.pose.json", "R2", "", "s1"),
        ("broken.pose.json", "R3", "", "s1"),
        ("fukuchi_rbds/RBDS001runT35.c3d", "RBDS001", "", "lab"),
        ("ric_calgary/20140515T133244_run.c3d", "RIC", "", "lab"),
    ]
    with (folder / "runs.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["path", "runner_id", "view", "session"])
        writer.writerows(rows)
    return folder


@pytest.fixture(scope="module")
def batch(
    inputs: Path, scheduler: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("out")
    args = ["batch", "--manifest", str(inputs / "runs.csv"), "--out", str(out), "--scheduler", scheduler]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.stdout)


def _parquet(out: Path, name: str = "recordings") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = pq.read_table(out / f"{name}.parquet").to_pylist()
    return rows


def _mtimes(out: Path) -> dict[str, int]:
    return {str(p): p.stat().st_mtime_ns for p in sorted((out / "recordings").glob("*/result.json"))}


def test_one_row_per_recording_and_leg(batch: tuple[Path, dict[str, Any]]) -> None:
    out, summary = batch
    assert (summary["total"], summary["done"], summary["failed"]) == (5, 4, 1)
    rows = _parquet(out)
    # two keypoint files (one view each) and two C3D trials (seen from the rear and the side), two legs each
    assert len(rows) == 2 * 2 + 2 * 2 * 2
    keys = {(r["runner_id"], r["view"], r["leg"]) for r in rows}
    assert len(keys) == len(rows)
    assert {r["runner_id"] for r in rows} == {"R1", "R2", "RBDS001", "RIC"}
    result = json.loads(next((out / "recordings").glob("runner1*/result.json")).read_text())
    columns = set(rows[0])
    for metric in result["recordings"][0]["summary"]:
        assert {f"{metric['metric']}_{s}" for s in ("median", "iqr", "n")} <= columns
    for fault in result["faults"]:
        assert "verdict_" + fault["fault_id"].replace("-", "_") in columns
    for name in ("quality", "cadence_spm", "config_hash", "input_sha256", "glutemed_version", "session"):
        assert name in columns
    assert all(r["verdict_low_cadence"] for r in rows)  # a recording-level fault on both legs' rows


def test_broken_file_is_an_error_and_the_rest_finished(batch: tuple[Path, dict[str, Any]]) -> None:
    out, summary = batch
    errors = _parquet(out, "errors")
    assert [Path(e["file"]).name for e in errors] == ["broken.pose.json"]
    assert errors[0]["kind"] == "input"
    assert "not valid JSON" in errors[0]["reason"]
    assert summary["errors"][0]["reason"] == errors[0]["reason"]
    assert len(_mtimes(out)) == 4
    assert len(list((out / "recordings").iterdir())) == 4  # a failed recording leaves no folder behind


def test_parquet_and_csv_agree(batch: tuple[Path, dict[str, Any]]) -> None:
    out, _ = batch
    rows = _parquet(out)
    with (out / "recordings.csv").open(encoding="utf-8", newline="") as fh:
        text_rows = list(csv.DictReader(fh))
    assert len(text_rows) == len(rows)
    for row, text in zip(rows, text_rows, strict=True):
        assert list(text) == list(row)
        for name, value in row.items():
            if value is None:
                assert text[name] == ""
            elif isinstance(value, bool):
                assert text[name] == str(value).lower()
            elif isinstance(value, float):
                assert float(text[name]) == value
            else:
                assert text[name] == str(value)


def test_results_match_glutemed_analyze(batch: tuple[Path, dict[str, Any]], inputs: Path) -> None:
    out, _ = batch
    single = CliRunner().invoke(app, ["analyze", str(inputs / "runner2.pose.json"), "--json"])
    assert single.exit_code == 0, single.output
    expected = json.loads(single.stdout)
    stored = json.loads(next((out / "recordings").glob("runner2*/result.json")).read_text())
    assert stored["faults"] == expected["faults"]
    assert stored["recordings"][0]["summary"] == expected["recordings"][0]["summary"]
    row = next(r for r in _parquet(out) if r["runner_id"] == "R2" and r["leg"] == "left")
    assert row["cadence_spm"] == expected["recordings"][0]["cadence_spm"]
    measured = [m for m in expected["recordings"][0]["summary"] if m["left_median"] is not None]
    assert measured
    for metric in measured:
        assert row[f"{metric['metric']}_median"] == metric["left_median"]
        assert row[f"{metric['metric']}_n"] == metric["left_n"]


def test_rerun_skips_and_a_changed_config_reanalyses(
    batch: tuple[Path, dict[str, Any]], inputs: Path, scheduler: str, tmp_path: Path
) -> None:
    out, _ = batch
    before = _mtimes(out)
    jobs = jobs_from_manifest(inputs / "runs.csv", load_config())
    again = run_batch(jobs, out, scheduler=scheduler)
    assert (again.done, again.skipped, again.failed) == (0, 4, 1)
    assert _mtimes(out) == before
    assert len(_parquet(out)) == 12  # the tables are rebuilt from the stored results
    toml = tmp_path / "strict.toml"
    toml.write_text("[quality]\nmin_stances_per_side = 9\n", encoding="utf-8")
    changed = [
        j for j in jobs_from_manifest(inputs / "runs.csv", load_config(toml)) if "runner1" in j.path.name
    ]
    third = run_batch(changed, out, scheduler=scheduler)
    assert (third.done, third.skipped) == (1, 0)
    after = _mtimes(out)
    assert [k for k in after if after[k] != before[k]] == [k for k in after if "runner1" in k]


def test_default_local_cluster_walks_folders(inputs: Path, tmp_path: Path) -> None:
    """Without a scheduler: a LocalCluster of its own; folders are walked (static trials and the manifest
    are not recordings)."""
    jobs = jobs_from_inputs([inputs / "fukuchi_rbds"], load_config())
    assert [j.path.name for j in jobs] == ["RBDS001runT35.c3d"]
    assert jobs[0].static is not None
    assert jobs[0].static.name == "RBDS001static.c3d"
    summary = run_batch(jobs, tmp_path, workers=1)
    assert (summary.done, summary.workers) == (1, 1)
    assert all(mb > 0 for mb in summary.worker_peak_rss_mb.values())
    assert len(_parquet(tmp_path)) == 4


@pytest.mark.parametrize(
    ("header", "row", "message"),
    [
        ("path,runner,view", "a.trc,R1,side", "unknown column 'runner'"),
        ("runner_id,view", "R1,side", "has no 'path' column"),
        ("path,view", "a.trc,diagonal", "row 2: view must be rear, front, side or auto"),
    ],
)
def test_a_bad_manifest_stops_before_any_work(tmp_path: Path, header: str, row: str, message: str) -> None:
    manifest = tmp_path / "runs.csv"
    manifest.write_text(f"{header}\n{row}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["batch", "--manifest", str(manifest), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "out" / "recordings").exists()


def test_a_single_threaded_worker_poses_on_one_thread(scheduler: str) -> None:
    """Two one-thread workers on two cores: each pose model takes one core, not every core (they would contend).

    The functions are glutemed's own, so the workers can import them by name."""
    from distributed import Client

    from glutemed.pose.chunked import auto_workers
    from glutemed.pose.mediapipe_backend import MediaPipePose, available_cores
    from glutemed.pose.video import VideoInfo

    long_clip = VideoInfo(
        Path("long.mp4"), 720, 1280, 30.0, 1800, 0, "none"
    )  # 60 s: chunked outside a worker
    with Client(scheduler) as client:
        assert client.submit(available_cores, pure=False).result(timeout=120) == 1
        assert client.submit(MediaPipePose, mode="static", pure=False).result(timeout=60).workers == 1
        assert client.submit(auto_workers, long_clip, mode="tracking", pure=False).result(timeout=60) == 1
    assert available_cores() == len(os.sched_getaffinity(0))  # outside a worker: the process's own cores
    assert auto_workers(long_clip, mode="tracking") == available_cores()
