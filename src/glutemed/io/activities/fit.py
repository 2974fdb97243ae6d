"""FIT activities (fitdecode), streamed frame by frame: only session, sport and file_id messages are kept.

Every record message is decoded by fitdecode anyway (the format is sequential), but glutemed keeps none of
them except the first and last, used only when a file has no session message. A bad CRC, a truncated file
or an undecodable message makes the whole file skipped with fitdecode's message as the reason.
"""

from __future__ import annotations

import datetime as dt
import struct
import warnings
from typing import IO, Any

import fitdecode

from glutemed.core.load import Session
from glutemed.io.activities.common import SkipFile, as_utc, check_plausible, normalise_sport

_NOT_ACTIVITY = "not an activity file"


def _value(frame: fitdecode.FitDataMessage, *names: str) -> Any:
    for name in names:
        if frame.has_field(name):
            value = frame.get_value(name, fallback=None)
            if value is not None:
                return value
    return None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _cadence_spm(frame: fitdecode.FitDataMessage, running: bool) -> float | None:
    cad = _num(_value(frame, "avg_running_cadence", "avg_cadence"))
    if cad is None:
        return None
    frac = _num(_value(frame, "avg_fractional_cadence")) or 0.0
    # FIT stores running cadence in strides (one leg) per minute; steps per minute are twice that.
    return 2.0 * (cad + frac) if running else cad + frac


def _session(
    frame: fitdecode.FitDataMessage, sport_msg: dict[str, Any], source: str, gear: str | None
) -> Session:
    start = _value(frame, "start_time")
    if not isinstance(start, dt.datetime):
        raise SkipFile("session has no absolute start time")
    raw = _value(frame, "sport") or sport_msg.get("sport")
    sub = _value(frame, "sub_sport") or sport_msg.get("sub_sport")
    sport, surface = normalise_sport(
        str(raw) if raw is not None else None, str(sub) if sub is not None else None
    )
    distance = _num(_value(frame, "total_distance"))
    if distance is None:
        raise SkipFile("session has no distance")
    elapsed = _num(_value(frame, "total_elapsed_time"))
    moving = _num(_value(frame, "total_moving_time", "total_timer_time")) or elapsed or 0.0
    check_plausible(sport, distance, moving)
    return Session(
        start_utc=as_utc(start),
        sport=sport,
        distance_m=distance,
        moving_time_s=moving,
        sources=(source,),
        elapsed_time_s=elapsed,
        elevation_gain_m=_num(_value(frame, "total_ascent")),
        elevation_loss_m=_num(_value(frame, "total_descent")),
        hr_mean_bpm=_num(_value(frame, "avg_heart_rate")),
        hr_max_bpm=_num(_value(frame, "max_heart_rate")),
        cadence_mean_spm=_cadence_spm(frame, sport in {"running", "treadmill", "trail-running"}),
        raw_sport="/".join(str(x) for x in (raw, sub) if x is not None),
        surface=surface,
        gear=gear,
        fmt="fit",
    )


def _from_records(first: Any, last: Any, sport_msg: dict[str, Any], source: str) -> Session:
    """Totals from the first and last record when a file has no session message."""
    t0 = _value(first, "timestamp")
    t1 = _value(last, "timestamp")
    distance = _num(_value(last, "distance"))
    if not isinstance(t0, dt.datetime) or not isinstance(t1, dt.datetime) or distance is None:
        raise SkipFile("no session message, and the records lack time or distance")
    sport, surface = normalise_sport(sport_msg.get("sport"), sport_msg.get("sub_sport"))
    moving = (t1 - t0).total_seconds()
    check_plausible(sport, distance, moving)
    return Session(
        as_utc(t0),
        sport,
        distance,
        moving,
        (source,),
        elapsed_time_s=moving,
        raw_sport=str(sport_msg.get("sport") or ""),
        surface=surface,
        fmt="fit",
    )


def read_fit(stream: IO[bytes], source: str) -> list[Session]:
    """Sessions of one FIT file (several for multisport or chained files); raises SkipFile with the reason."""
    frames: list[fitdecode.FitDataMessage] = []
    sport_msg: dict[str, Any] = {}
    first_rec = last_rec = None
    other_type: str | None = None  # a chained file may add a settings file after the activity
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = fitdecode.FitReader(stream, check_crc=fitdecode.CrcCheck.RAISE)
            for frame in reader:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                name = frame.name
                if name == "record":
                    if first_rec is None:
                        first_rec = frame
                    last_rec = frame
                elif name == "session":
                    frames.append(frame)
                elif name == "sport":
                    sport_msg = {k: _value(frame, k) for k in ("sport", "sub_sport", "name")}
                elif name == "file_id":
                    ftype = _value(frame, "type")
                    if ftype is not None and ftype != "activity" and other_type is None:
                        other_type = str(ftype)
    except fitdecode.FitError as exc:
        raise SkipFile(f"corrupt or truncated FIT ({type(exc).__name__}: {str(exc)[:200]})") from exc
    except (
        ValueError,
        KeyError,
        IndexError,
        TypeError,
        struct.error,
        OverflowError,
        UnicodeError,
        AssertionError,
    ) as exc:
        # fitdecode trusts the field definitions of the file; a corrupt one ends in these
        raise SkipFile(f"corrupt FIT ({type(exc).__name__} while decoding: {str(exc)[:200]})") from exc
    if not frames:
        if other_type is not None:
            raise SkipFile(f"{_NOT_ACTIVITY} (FIT file type '{other_type}')")
        if first_rec is None:
            raise SkipFile(f"{_NOT_ACTIVITY}: no session message and no records")
        return [_from_records(first_rec, last_rec, sport_msg, source)]
    many = len(frames) > 1
    return [
        _session(f, sport_msg, f"{source}#{i + 1}" if many else source, None) for i, f in enumerate(frames)
    ]
