"""GPX tracks (gpxpy): totals of all track points; a track point without a time makes the file skipped.

gpxpy needs the whole text, so one GPX file is held at a time (capped at ``max_text_bytes()``); declarations
of a DTD or of entities are refused before gpxpy parses anything.
"""

from __future__ import annotations

from typing import IO, Any

import gpxpy
import gpxpy.gpx

from glutemed.core.load import Session
from glutemed.io.activities.common import (
    SkipFile,
    as_utc,
    check_plausible,
    max_text_bytes,
    normalise_sport,
)
from glutemed.io.activities.xmlguard import refuse_dtd


def _ext_values(point: Any, names: tuple[str, ...]) -> float | None:
    for ext in point.extensions:
        for el in ext.iter():
            tag = str(el.tag).rsplit("}", 1)[-1].lower()
            if tag in names and el.text:
                try:
                    return float(el.text)
                except ValueError:
                    return None
    return None


def _parse(stream: IO[bytes]) -> gpxpy.gpx.GPX:
    cap = max_text_bytes()
    data = stream.read(cap + 1)
    if len(data) > cap:
        raise SkipFile(f"GPX larger than the {cap // (1024 * 1024)} MB size limit")
    refuse_dtd(data)
    try:
        return gpxpy.parse(data.decode("utf-8-sig", errors="replace"))
    except (gpxpy.gpx.GPXException, ValueError, OverflowError, RecursionError) as exc:
        raise SkipFile(f"unreadable GPX ({type(exc).__name__}: {str(exc)[:200]})") from exc


def read_gpx(stream: IO[bytes], source: str) -> list[Session]:
    """The session of one GPX file; raises SkipFile with the reason."""
    gpx = _parse(stream)
    try:
        return _session(gpx, source)
    except (ValueError, ArithmeticError, TypeError) as exc:  # gpxpy's maths on impossible coordinates
        raise SkipFile(f"GPX with impossible values ({type(exc).__name__}: {str(exc)[:120]})") from exc


def _session(gpx: gpxpy.gpx.GPX, source: str) -> list[Session]:
    points = [p for t in gpx.tracks for seg in t.segments for p in seg.points]
    if not points:
        raise SkipFile("no track points (a route or waypoints only)")
    if not all(abs(p.latitude) <= 90 and abs(p.longitude) <= 180 for p in points):
        raise SkipFile("a track point lies outside latitude -90..90 or longitude -180..180")
    missing = sum(1 for p in points if p.time is None)
    if missing:
        raise SkipFile(f"GPX without timestamps ({missing} of {len(points)} track points have no time)")
    bounds = gpx.get_time_bounds()
    if bounds.start_time is None or bounds.end_time is None:
        raise SkipFile("GPX without timestamps")
    elapsed = (bounds.end_time - bounds.start_time).total_seconds()
    types = {t.type for t in gpx.tracks if t.type}
    raw = types.pop() if len(types) == 1 else None
    sport, surface = normalise_sport(raw)
    moving = gpx.get_moving_data()
    moving_s = float(moving.moving_time) if moving and moving.moving_time else elapsed
    distance = float(gpx.length_2d())
    check_plausible(sport, distance, moving_s)
    updown = gpx.get_uphill_downhill()
    has_ele = any(p.elevation is not None for p in points)
    hrs = [v for v in (_ext_values(p, ("hr", "heartrate")) for p in points) if v is not None]
    cads = [v for v in (_ext_values(p, ("cad", "cadence", "runcadence")) for p in points) if v is not None]
    running = sport in {"running", "treadmill", "trail-running"}
    return [
        Session(
            start_utc=as_utc(bounds.start_time),
            sport=sport,
            distance_m=distance,
            moving_time_s=moving_s,
            sources=(source,),
            elapsed_time_s=elapsed,
            elevation_gain_m=float(updown.uphill) if has_ele else None,
            elevation_loss_m=float(updown.downhill) if has_ele else None,
            hr_mean_bpm=sum(hrs) / len(hrs) if hrs else None,
            hr_max_bpm=max(hrs) if hrs else None,
            # Garmin's TrackPointExtension cadence counts strides of one leg for running.
            cadence_mean_spm=(sum(cads) / len(cads)) * (2.0 if running else 1.0) if cads else None,
            raw_sport=raw or "",
            surface=surface,
            fmt="gpx",
        )
    ]
