"""The batch's tables, rebuilt from the stored results: one row per recording and leg, and the errors.

Columns of ``recordings.parquet`` / ``recordings.csv`` (in this order):

- ``file``, ``runner_id``, ``session``, ``view`` (as analysed), ``view_detected``, ``leg``;
- ``input_sha256``, ``config_hash``, ``glutemed_version``, ``created_utc``;
- ``fps_hz``, ``n_frames``, ``duration_s``, ``cadence_spm``, ``n_stances`` (this leg), ``quality`` (overall);
- per summary metric M of ``recordings[*].summary``: ``M_median``, ``M_iqr``, ``M_n`` (this leg);
- per fault F of ``faults[*]``: ``verdict_F`` (this leg's verdict, or the recording-level one for faults
  judged on both legs together, such as cadence). Verdicts are the result's merged verdicts, so the rear and
  side rows of one C3D trial carry the same ones.

``errors.parquet`` / ``errors.csv``: ``file``, ``kind`` (input, analysis, internal), ``reason``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from glutemed.batch.task import RESULT, Outcome
from glutemed.io.atomic import atomic_write_bytes, atomic_write_text

LEGS = ("left", "right")
FIXED: tuple[tuple[str, pa.DataType], ...] = (
    ("file", pa.string()),
    ("runner_id", pa.string()),
    ("session", pa.string()),
    ("view", pa.string()),
    ("view_detected", pa.bool_()),
    ("leg", pa.string()),
    ("input_sha256", pa.string()),
    ("config_hash", pa.string()),
    ("glutemed_version", pa.string()),
    ("created_utc", pa.string()),
    ("fps_hz", pa.float64()),
    ("n_frames", pa.int64()),
    ("duration_s", pa.float64()),
    ("cadence_spm", pa.float64()),
    ("n_stances", pa.int64()),
    ("quality", pa.float64()),
)
ERRORS_SCHEMA = pa.schema([("file", pa.string()), ("kind", pa.string()), ("reason", pa.string())])


def verdict_column(fault_id: str) -> str:
    return "verdict_" + fault_id.replace("-", "_")


def rows_of(result: dict[str, Any], mark: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per recording in the result and leg."""
    verdicts: dict[tuple[str, str], str] = {}
    for fault in result["faults"]:
        for leg in LEGS if fault["side"] == "both" else (fault["side"],):
            verdicts[(fault["fault_id"], leg)] = fault["verdict"]
    rows = []
    for rec in result["recordings"]:
        for leg in LEGS:
            row: dict[str, Any] = {
                "file": mark["path"],
                "runner_id": mark.get("runner_id", ""),
                "session": mark.get("session", ""),
                "view": rec["view"],
                "view_detected": bool(rec.get("view_detected")),
                "leg": leg,
                "input_sha256": mark["input_sha256"],
                "config_hash": mark["config_hash"],
                "glutemed_version": result["glutemed_version"],
                "created_utc": result["created_utc"],
                "fps_hz": rec["fps_hz"],
                "n_frames": rec["n_frames"],
                "duration_s": rec["duration_s"],
                "cadence_spm": rec["cadence_spm"],
                "n_stances": rec["n_stances"].get(leg, 0),
                "quality": rec["quality"]["overall"],
            }
            for metric in rec["summary"]:
                name = metric["metric"]
                row[f"{name}_median"] = metric.get(f"{leg}_median")
                row[f"{name}_iqr"] = metric.get(f"{leg}_iqr")
                row[f"{name}_n"] = metric.get(f"{leg}_n")
            for (fault_id, side), verdict in verdicts.items():
                if side == leg:
                    row[verdict_column(fault_id)] = verdict
            rows.append(row)
    return rows


def schema_of(rows: list[dict[str, Any]]) -> pa.Schema:
    """The fixed columns, then every metric and verdict column seen, typed by their suffix."""
    fields = [pa.field(name, kind) for name, kind in FIXED]
    known = {name for name, _ in FIXED}
    extra: list[str] = []
    for row in rows:
        extra.extend(name for name in row if name not in known and name not in extra)
    metrics = [n for n in extra if not n.startswith("verdict_")]
    for name in metrics + sorted(set(extra) - set(metrics)):
        kind = (
            pa.int64()
            if name.endswith("_n")
            else pa.string()
            if name.startswith("verdict_")
            else pa.float64()
        )
        fields.append(pa.field(name, kind))
    return pa.schema(fields)


def _csv_text(table: pa.Table) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(["" if v is None else _cell(v) for v in row.values()])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def _write(table: pa.Table, out: Path, name: str) -> list[Path]:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    parquet = atomic_write_bytes(out / f"{name}.parquet", sink.getvalue().to_pybytes())
    return [parquet, atomic_write_text(out / f"{name}.csv", _csv_text(table))]


def load_rows(folders: Iterable[Path]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for folder in folders:
        try:
            result = json.loads((folder / RESULT).read_text(encoding="utf-8"))
            mark = json.loads((folder / "batch.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not finished: it is in the errors table or was interrupted
        rows.extend(rows_of(result, mark))
    return rows


def write_tables(out: Path, folders: Iterable[Path], failures: Iterable[Outcome]) -> list[Path]:
    """Write recordings.{parquet,csv} from the stored results and errors.{parquet,csv} from the failures."""
    rows = load_rows(folders)
    table = pa.Table.from_pylist(rows, schema=schema_of(rows))
    errors = pa.Table.from_pylist(
        [{"file": f.path, "kind": f.kind, "reason": f.reason} for f in failures], schema=ERRORS_SCHEMA
    )
    return _write(table, out, "recordings") + _write(errors, out, "errors")
