"""Strava bulk export: ``activities.csv`` (one row per activity) beside an ``activities/`` folder of files.

The CSV already carries each activity's totals, so its rows become sessions directly and the files it names
(``activities/123.fit.gz``) are not opened again. Column names repeat in the export: the first ``Distance``
is kilometres and the last is metres, so the last occurrence of a name is used. ``Activity Date`` is UTC.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator
from typing import IO

from glutemed.core.load import Session, Skipped
from glutemed.io.activities.common import SkipFile, check_plausible, normalise_sport
from glutemed.io.safe_read import short

_DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%d %b %Y, %H:%M:%S")
REQUIRED = ("Activity ID", "Activity Date", "Activity Type")


def is_strava_header(first_line: str) -> bool:
    return all(name in first_line for name in REQUIRED)


def _date(text: str) -> dt.datetime:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    raise SkipFile(f"unreadable Activity Date {short(text)}")


def _num(row: dict[str, str], name: str) -> float | None:
    text = (row.get(name) or "").strip()
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is None or math.isfinite(value) else None


def _session(row: dict[str, str], source: str) -> Session:
    raw = row.get("Activity Type", "")
    sport, surface = normalise_sport(raw)
    distance = _num(row, "Distance")
    if distance is None:
        raise SkipFile("no distance in activities.csv")
    moving = _num(row, "Moving Time") or _num(row, "Elapsed Time") or 0.0
    check_plausible(sport, distance, moving)
    running = sport in {"running", "treadmill", "trail-running"}
    cad = _num(row, "Average Cadence")
    filename = (row.get("Filename") or "").strip()
    return Session(
        start_utc=_date(row.get("Activity Date", "")),
        sport=sport,
        distance_m=distance,
        moving_time_s=moving,
        sources=(source,) + ((filename,) if filename else ()),
        elapsed_time_s=_num(row, "Elapsed Time"),
        elevation_gain_m=_num(row, "Elevation Gain"),
        elevation_loss_m=_num(row, "Elevation Loss"),
        hr_mean_bpm=_num(row, "Average Heart Rate"),
        hr_max_bpm=_num(row, "Max Heart Rate"),
        # Assumed per leg (strides per minute) for runs, as in FIT files and the Strava API.
        cadence_mean_spm=cad * 2.0 if cad is not None and running else cad,
        rpe=_num(row, "Perceived Exertion"),
        raw_sport=raw,
        surface=surface,
        gear=(row.get("Activity Gear") or row.get("Gear") or "").strip() or None,
        fmt="strava-csv",
    )


def read_strava_csv(stream: IO[bytes], source: str) -> Iterator[tuple[Session | Skipped, str | None]]:
    """Yield (session or skip record, the activity file the row names) for each row.

    A file that is not UTF-8, or a field longer than the csv module's limit (128 KiB), ends the file with a
    SkipFile naming the row; the rows before it are kept.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    n = 1
    try:
        header = next(reader, None)
        if header is None or not all(name in header for name in REQUIRED):
            raise SkipFile("not a Strava activities.csv (missing Activity ID/Date/Type columns)")
        for n, values in enumerate(reader, start=2):
            row = dict(zip(header, values, strict=False))  # a repeated name keeps its last column
            where = f"{source}:{n} (activity {short(row.get('Activity ID', '?'), 30)})"
            filename = (row.get("Filename") or "").strip() or None
            try:
                yield _session(row, where), filename
            except SkipFile as exc:
                yield Skipped(where, str(exc)), filename
    except UnicodeDecodeError:
        raise SkipFile(f"not UTF-8 text at row {n + 1}; rows after it were not read") from None
    except csv.Error as exc:
        raise SkipFile(
            f"unreadable CSV at row {n + 1} ({str(exc)[:120]}); rows after it were not read"
        ) from None
