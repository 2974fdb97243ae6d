"""Shared pieces of the activity readers: the skip error, sport normalisation, time and size guards."""

from __future__ import annotations

import datetime as dt
import math
import re

from glutemed.io.safe_read import limit_bytes, short

# The fastest 100 m ever run averages about 10.4 m/s (9.58 s); a "run" faster than that on average is not a run.
MAX_RUN_SPEED_M_S = 100.0 / 9.58
# Dates of activities: GPS watches and the apps that export them postdate 1990; a start after tomorrow (UTC, a
# day of slack for time zones) is a clock or file error. Outside this window a session is skipped, since one run
# dated 9999 would otherwise stretch the daily load series over eight thousand years.
EARLIEST_DATE = dt.date(1990, 1, 1)

_UNKNOWN = frozenset({"", "other", "generic", "all", "none", "unknown", "(no type)", "workout", "training"})
_ALIASES = {
    "run": "running",
    "ride": "cycling",
    "biking": "cycling",
    "bike": "cycling",
    "virtual ride": "cycling",
    "walk": "walking",
    "hike": "hiking",
    "swim": "swimming",
    "weight training": "strength",
    "training strength training": "strength",
}


class SkipFile(Exception):  # noqa: N818 - it is a signal, not a failure of the program
    """Raised by a reader when a file (or an activity in it) cannot be used; the message is the reason."""


def normalise_sport(sport: str | None, sub_sport: str | None = None) -> tuple[str, str | None]:
    """(normalised sport, surface) from a file's sport and sub-sport labels.

    Running becomes ``running`` (road or track surface when the sub-sport says so), ``treadmill`` or
    ``trail-running``; any other labelled sport keeps its lower-case name; an empty or generic label is
    ``unknown``.
    """
    s = re.sub(r"[_\-]+", " ", (sport or "").strip().lower())
    sub = re.sub(r"[_\-]+", " ", (sub_sport or "").strip().lower())
    s = _ALIASES.get(s, s)
    runlike = s in {
        "running",
        "trail run",
        "trail running",
        "virtual run",
        "treadmill",
        "treadmill running",
        "indoor running",
        "street running",
        "track running",
        "ultra run",
    }
    if not runlike:
        return ("unknown" if s in _UNKNOWN else s.replace(" ", "-")), None
    if "trail" in s or sub == "trail":
        return "trail-running", "trail"
    if any(k in s for k in ("treadmill", "virtual", "indoor")) or sub in {
        "treadmill",
        "indoor running",
        "virtual activity",
    }:
        return "treadmill", "treadmill"
    if sub in {"street", "road"}:
        return "running", "road"
    if sub == "track":
        return "running", "track"
    return "running", None


def as_utc(value: dt.datetime) -> dt.datetime:
    """A timezone-aware UTC datetime; naive times are taken as UTC (what FIT, TCX and Strava exports use)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def parse_iso_time(text: str) -> dt.datetime:
    t = text.strip()
    if t.endswith("Z"):
        t = t[:-1] + "+00:00"
    try:
        return as_utc(dt.datetime.fromisoformat(t))
    except (ValueError, OverflowError) as exc:
        raise SkipFile(f"unreadable time {short(text)}") from exc


def max_text_bytes() -> int:
    """GPX/TCX (and zip or gz members) larger than this, decompressed, are refused rather than held."""
    return limit_bytes("activity")


def check_date(start_utc: dt.datetime) -> None:
    """Raise SkipFile when a session starts before 1990 or after tomorrow (UTC)."""
    latest = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)
    day = start_utc.date()
    if day < EARLIEST_DATE or day > latest:
        raise SkipFile(
            f"start date {day.isoformat()} is outside {EARLIEST_DATE.isoformat()}..{latest.isoformat()} "
            "(a clock or file error)"
        )


def check_plausible(sport: str, distance_m: float, moving_time_s: float) -> None:
    if not math.isfinite(distance_m) or not math.isfinite(moving_time_s) or distance_m < 0:
        raise SkipFile("distance or duration is not a finite, non-negative number")
    if moving_time_s <= 0:
        raise SkipFile("zero or negative duration")
    if sport in {"running", "treadmill", "trail-running"} and distance_m / moving_time_s > MAX_RUN_SPEED_M_S:
        raise SkipFile(
            f"implausible running speed {distance_m / moving_time_s:.1f} m/s (faster than the 100 m world record)"
        )
