"""Each reader on real files, and the edge files skipped with a reason."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from glutemed.core.load import Session, Skipped
from glutemed.io.activities import SkipFile, normalise_sport, scan
from glutemed.io.activities.fit import read_fit
from glutemed.io.activities.gpx import read_gpx
from glutemed.io.activities.tcx import read_tcx


def _read(reader, path: Path) -> list[Session]:
    with path.open("rb") as fh:
        return reader(fh, str(path))


def test_fit_run_totals(act_dir: Path) -> None:
    (s,) = _read(read_fit, act_dir / "fitparse__activity-small-fenix2-run.fit")
    assert s.sport == "running"
    assert s.start_utc.isoformat() == "2015-08-15T14:45:08+00:00"
    assert s.distance_m == pytest.approx(9008.22)
    assert s.moving_time_s == pytest.approx(2832.0)
    assert s.elevation_gain_m == 64
    assert s.cadence_mean_spm == pytest.approx(162.0)  # 81 strides/min on one leg


def test_fit_multisport_keeps_each_leg(act_dir: Path) -> None:
    sessions = _read(read_fit, act_dir / "fitparse__sample_mulitple_header.fit")
    assert [s.sport for s in sessions] == ["swimming", "transition", "cycling", "transition", "running"]
    assert sessions[-1].distance_m == pytest.approx(9806, abs=1)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("fitdecode__activity-filecrc.fit", "CRC"),
        ("fitdecode__activity-unexpected-eof.fit", "truncated"),
        ("fitparse__strava-android-app-201.10-b1218918.fit", "local message 11"),
        ("fitparse__Settings.fit", "not an activity"),
    ],
)
def test_fit_edge_files_skipped(act_dir: Path, name: str, reason: str) -> None:
    with pytest.raises(SkipFile, match=reason):
        _read(read_fit, act_dir / name)


def test_gpx_run(act_dir: Path) -> None:
    (s,) = _read(read_gpx, act_dir / "rds__1597405972620.gpx")
    assert s.sport == "unknown"  # the GPX has no <type>
    assert s.distance_m == pytest.approx(7187.9, abs=1)
    assert s.hr_mean_bpm is not None
    assert s.elevation_gain_m == pytest.approx(54.3, abs=0.5)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("gpxpy__track-with-extremes.gpx", "without timestamps"),
        ("gpxpy__cerknicko-without-times.gpx", "291 of 296"),
        ("gpxpy__route.gpx", "no track points"),
    ],
)
def test_gpx_edge_files_skipped(act_dir: Path, name: str, reason: str) -> None:
    with pytest.raises(SkipFile, match=reason):
        _read(read_gpx, act_dir / name)


def test_truncated_gpx_skipped(act_dir: Path) -> None:
    data = (act_dir / "rds__1597405972620.gpx").read_bytes()[:5000]
    with pytest.raises(SkipFile, match="unreadable GPX"):
        read_gpx(io.BytesIO(data), "half.gpx")


def test_tcx_run(act_dir: Path) -> None:
    (s,) = _read(read_tcx, act_dir / "tcxparser__test.tcx")
    assert s.sport == "running"
    assert s.distance_m == pytest.approx(4689.2, abs=1)
    assert s.hr_mean_bpm is not None
    assert s.elevation_gain_m is not None


def test_tcx_swims_skipped_as_unknown_sport(act_dir: Path) -> None:
    items = list(scan(act_dir / "saf__pool_swim-activity_1.tcx")) + list(
        scan(act_dir / "saf__swimming_activity_1.tcx")
    )
    assert all(isinstance(i, Session) and i.sport == "unknown" for i in items)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<TrainingCenterDatabase><Activities><Activity Sport="Running"><Id>&lol3;</Id></Activity></Activities>
</TrainingCenterDatabase>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE t [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<TrainingCenterDatabase><Activities><Activity Sport="Running"><Id>&xxe;</Id></Activity></Activities>
</TrainingCenterDatabase>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL])
def test_xml_attacks_refused(payload: bytes) -> None:
    with pytest.raises(SkipFile, match="refused"):
        read_tcx(io.BytesIO(payload), "attack.tcx")
    with pytest.raises(SkipFile, match="refused"):
        read_gpx(io.BytesIO(payload.replace(b"TrainingCenterDatabase", b"gpx")), "attack.gpx")


def test_dtd_after_the_first_block_refused_by_defusedxml() -> None:
    padding = b"<!--" + b" " * 8000 + b"-->"
    payload = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0"?>' + padding)
    with pytest.raises(SkipFile, match="refused"):
        read_tcx(io.BytesIO(payload), "late-dtd.tcx")


@pytest.mark.parametrize(
    ("raw", "sub", "expected"),
    [
        ("running", "trail", ("trail-running", "trail")),
        ("running", "treadmill", ("treadmill", "treadmill")),
        ("Run", None, ("running", None)),
        ("Trail Run", None, ("trail-running", "trail")),
        ("Virtual Run", None, ("treadmill", "treadmill")),
        ("running", "street", ("running", "road")),
        ("Ride", None, ("cycling", None)),
        ("Other", None, ("unknown", None)),
        (None, None, ("unknown", None)),
        ("Nordic Ski", None, ("nordic-ski", None)),
    ],
)
def test_sport_normalisation(raw: str | None, sub: str | None, expected: tuple[str, str | None]) -> None:
    assert normalise_sport(raw, sub) == expected


def test_scan_zip_with_strava_export(act_dir: Path, tmp_path: Path) -> None:
    csv_text = (
        "Activity ID,Activity Date,Activity Name,Activity Type,Distance,Filename,Moving Time,Distance,"
        "Elevation Gain,Activity Gear\n"
        '1,"Aug 15, 2015, 2:45:08 PM",Run,Run,9.01,activities/1.fit.gz,2832,9008.2,64,Shoe A\n'
        '2,"Aug 20, 2015, 2:45:08 PM",Trail,Trail Run,12.0,,4000,12000,300,Shoe B\n'
        '3,"Aug 21, 2015, 2:45:08 PM",Swim,Swim,1.0,,1800,1000,,\n'
    )
    fit_gz = gzip.compress((act_dir / "fitparse__activity-small-fenix2-run.fit").read_bytes())
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("activities.csv", csv_text)
        zf.writestr("activities/1.fit.gz", fit_gz)  # named by row 1: covered, not read again
        zf.writestr("activities/9.tcx.gz", gzip.compress((act_dir / "tcxparser__test.tcx").read_bytes()))
        zf.writestr("media/photo.jpg", b"\xff\xd8")
    stats: dict[str, int] = {}
    items = list(scan(archive, stats=stats))
    sessions = [i for i in items if isinstance(i, Session)]
    assert [s.sport for s in sessions] == ["running", "trail-running", "swimming", "running"]
    assert sessions[0].distance_m == pytest.approx(9008.2)
    assert sessions[1].gear == "Shoe B"
    assert sessions[3].fmt == "tcx"
    assert stats == {"ignored_files": 1, "covered_by_csv": 1, "files_read": 1}
    assert not [i for i in items if isinstance(i, Skipped)]
