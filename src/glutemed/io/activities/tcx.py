"""TCX activities, streamed with defusedxml's iterparse (DTDs, entities and external references forbidden).

Per Activity: the sport attribute, and per Lap the time, distance, heart rate and cadence summaries; track
points give altitude (for climbing, smoothed by gpxpy's uphill/downhill routine) and fill in heart rate and
cadence where the laps lack them. Elements are cleared as soon as they are read.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import IO, Any
from xml.etree.ElementTree import ParseError

import defusedxml
import defusedxml.ElementTree as SafeET
from gpxpy.geo import calculate_uphill_downhill

from glutemed.core.load import Session
from glutemed.io.activities.common import SkipFile, check_plausible, normalise_sport, parse_iso_time
from glutemed.io.activities.xmlguard import refuse_dtd

_HEAD_BYTES = 4096


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_float(el: Any, *path: str) -> float | None:
    node = el
    for name in path:
        node = next((c for c in node if _local(c.tag) == name), None)
        if node is None:
            return None
    try:
        value = float(node.text) if node.text else None
    except ValueError:
        return None
    return value if value is None or math.isfinite(value) else None


@dataclass
class _Acc:
    sport: str = ""
    start: dt.datetime | None = None
    time_s: float = 0.0
    dist_m: float = 0.0
    hr_weighted: float = 0.0
    hr_time: float = 0.0
    hr_max: float | None = None
    altitudes: list[float] = field(default_factory=list)
    tp_hr: list[float] = field(default_factory=list)
    tp_cad: list[float] = field(default_factory=list)

    def lap(self, el: Any) -> None:
        if self.start is None and el.get("StartTime"):
            self.start = parse_iso_time(el.get("StartTime"))
        t = _child_float(el, "TotalTimeSeconds") or 0.0
        self.time_s += t
        self.dist_m += _child_float(el, "DistanceMeters") or 0.0
        hr = _child_float(el, "AverageHeartRateBpm", "Value")
        if hr is not None and t > 0:
            self.hr_weighted += hr * t
            self.hr_time += t
        hmax = _child_float(el, "MaximumHeartRateBpm", "Value")
        if hmax is not None:
            self.hr_max = max(hmax, self.hr_max or 0.0)

    def trackpoint(self, el: Any) -> None:
        for c in el.iter():
            name = _local(c.tag)
            if name == "AltitudeMeters" and c.text:
                self.altitudes.append(float(c.text))
            elif name == "Value" and c.text:
                self.tp_hr.append(float(c.text))
            elif name in ("RunCadence", "Cadence") and c.text:
                self.tp_cad.append(float(c.text))

    def session(self, source: str) -> Session:
        if self.start is None:
            raise SkipFile("TCX activity without a start time")
        sport, surface = normalise_sport(self.sport)
        check_plausible(sport, self.dist_m, self.time_s)
        up, down = (
            calculate_uphill_downhill(list[float | None](self.altitudes)) if self.altitudes else (None, None)
        )
        hr = (
            self.hr_weighted / self.hr_time
            if self.hr_time
            else (sum(self.tp_hr) / len(self.tp_hr) if self.tp_hr else None)
        )
        hr_max = self.hr_max if self.hr_max is not None else (max(self.tp_hr) if self.tp_hr else None)
        running = sport in {"running", "treadmill", "trail-running"}
        cad = sum(self.tp_cad) / len(self.tp_cad) * (2.0 if running else 1.0) if self.tp_cad else None
        return Session(
            self.start,
            sport,
            self.dist_m,
            self.time_s,
            (source,),
            elapsed_time_s=self.time_s,
            elevation_gain_m=up,
            elevation_loss_m=down,
            hr_mean_bpm=hr,
            hr_max_bpm=hr_max,
            cadence_mean_spm=cad,
            raw_sport=self.sport,
            surface=surface,
            fmt="tcx",
        )


class _Prefixed:
    """A read-only stream that first replays the bytes already peeked at."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head, self._rest = head, rest

    def read(self, n: int = -1) -> bytes:
        if self._head:
            out, self._head = (
                (self._head, b"") if n < 0 or n >= len(self._head) else (self._head[:n], self._head[n:])
            )
            return out
        return self._rest.read(n)


def read_tcx(stream: IO[bytes], source: str) -> list[Session]:
    head = stream.read(_HEAD_BYTES)
    refuse_dtd(head)
    out: list[Session] = []
    acc: _Acc | None = None
    try:
        for event, el in SafeET.iterparse(
            _Prefixed(head, stream),
            events=("start", "end"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            name = _local(el.tag)
            if event == "start":
                if name == "Activity":
                    acc = _Acc(sport=el.get("Sport") or "")
                continue
            if acc is None:
                continue
            if name == "Trackpoint":
                acc.trackpoint(el)
                el.clear()
            elif name == "Lap":
                acc.lap(el)
                el.clear()
            elif name == "Activity":
                many = len(out) > 0
                out.append(acc.session(f"{source}#{len(out) + 1}" if many else source))
                acc = None
                el.clear()
    except defusedxml.DefusedXmlException as exc:
        raise SkipFile(f"XML attack refused ({type(exc).__name__})") from exc
    except (ParseError, ValueError, LookupError, OverflowError, RecursionError) as exc:
        raise SkipFile(f"unreadable TCX ({type(exc).__name__}: {str(exc)[:200]})") from exc
    if not out:
        raise SkipFile("TCX without an Activity")
    return out
