"""The readers under fuzz: how to feed each one bytes, which errors it documents, and small valid seeds.

A target takes the raw bytes of one input and a scratch folder, runs the reader exactly as glutemed does, and
may raise only the reader's documented error types (:attr:`Target.allowed`). Anything else (a KeyError, a
RecursionError, a MemoryError, a native crash) is a finding.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from glutemed.core.series import KeypointSeries
from glutemed.io.activities.common import SkipFile
from glutemed.io.activities.fit import read_fit
from glutemed.io.activities.gpx import read_gpx
from glutemed.io.activities.strava import read_strava_csv
from glutemed.io.activities.tcx import read_tcx
from glutemed.io.activities.walker import scan
from glutemed.io.c3d_mocap import _check_size, read_c3d
from glutemed.io.errors import InputFileError
from glutemed.io.gaitlab_json import read_gaitlab_json
from glutemed.io.keypoints_json import read_keypoints_json, to_document
from glutemed.io.openpose import BODY_25, read_openpose_folder
from glutemed.io.trc import read_trc, trc_text
from glutemed.services import intake_schema as schema

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes, Path], object]
    allowed: tuple[type[BaseException], ...]
    seeds: Callable[[], list[bytes]]


def _file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _series() -> KeypointSeries:
    names = ("left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle")
    t = np.arange(6) / 30.0
    pos = np.stack([np.stack([t * 10 + i, t * 0 + 100 + 20 * i], axis=1) for i in range(len(names))], axis=1)
    return KeypointSeries.from_arrays(pos, names, times_s=t, units="pixel", source="fuzz seed")


def _trc_seeds() -> list[bytes]:
    return [trc_text(_series()).encode()]


def _gaitlab_seeds() -> list[bytes]:
    frame = [[100.0 + i, 200.0, 0.9] for i in range(4)]
    doc = {
        "schema": "gaitlab.pose/v1",
        "fps": 30,
        "width": 640,
        "height": 480,
        "view": "rear",
        "keypoint_names": ["l_hip", "r_hip", "l_knee", "r_knee"],
        "frames": [frame] * 4,
    }
    return [json.dumps(doc).encode(), json.dumps({**doc, "timestamps": [0, 0.033, 0.067, 0.1]}).encode()]


def _keypoints_seeds() -> list[bytes]:
    return [json.dumps(to_document(_series())).encode()]


def _openpose_seeds() -> list[bytes]:
    flat = [v for i in range(len(BODY_25)) for v in (100.0 + i, 200.0 + i, 0.8)]
    return [json.dumps({"version": 1.3, "people": [{"pose_keypoints_2d": flat}]}).encode()]


def _c3d_seeds() -> list[bytes]:
    return [(DATA / "mocap" / "ric_calgary" / "20140515T133244_static.c3d").read_bytes()]


def _fit_seeds() -> list[bytes]:
    return [
        (DATA / "activities" / n).read_bytes() for n in ("2020-08-14-190927.fit", "2020-08-14-190932.fit")
    ]


GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="fuzz" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
<trk><name>run</name><type>running</type><trkseg>
<trkpt lat="46.0500" lon="14.5000"><ele>300</ele><time>2024-05-01T07:00:00Z</time>
<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>140</gpxtpx:hr><gpxtpx:cad>85</gpxtpx:cad>
</gpxtpx:TrackPointExtension></extensions></trkpt>
<trkpt lat="46.0510" lon="14.5010"><ele>302</ele><time>2024-05-01T07:00:30Z</time></trkpt>
<trkpt lat="46.0520" lon="14.5020"><ele>301</ele><time>2024-05-01T07:01:00Z</time></trkpt>
</trkseg></trk></gpx>
"""

TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">
<Activities><Activity Sport="Running"><Id>2024-05-01T07:00:00Z</Id>
<Lap StartTime="2024-05-01T07:00:00Z"><TotalTimeSeconds>600</TotalTimeSeconds>
<DistanceMeters>2000</DistanceMeters><AverageHeartRateBpm><Value>140</Value></AverageHeartRateBpm>
<MaximumHeartRateBpm><Value>160</Value></MaximumHeartRateBpm>
<Track><Trackpoint><Time>2024-05-01T07:00:00Z</Time><AltitudeMeters>300</AltitudeMeters>
<HeartRateBpm><Value>130</Value></HeartRateBpm><Cadence>85</Cadence></Trackpoint>
<Trackpoint><Time>2024-05-01T07:05:00Z</Time><AltitudeMeters>305</AltitudeMeters></Trackpoint></Track>
</Lap></Activity></Activities></TrainingCenterDatabase>
"""

STRAVA = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,Moving Time,"
    "Average Heart Rate,Max Heart Rate,Average Cadence,Elevation Gain,Filename\n"
    '101,"May 1, 2024, 7:00:00 AM",Morning Run,Run,1800,5000.0,1750,140,160,85,30,activities/101.fit.gz\n'
    "102,2024-05-03 07:00:00,Ride,Ride,3600,20000.0,3500,,,,100,\n"
)


def _intake_seeds() -> list[bytes]:
    return [(ROOT / "examples" / "runners" / "female-lateral-hip-pain.yaml").read_bytes()]


TESTS_DOC = b"""single_leg_stance:
  - {side: right, lateral_hip_pain_0_10: 4, pelvic_drop_seen: true}
trendelenburg:
  - {side: left, positive: false}
side_bridge: {left_s: 48, right_s: 30}
dynamometry: {left_n: 150, right_n: 105, lever_arm_m: 0.78}
"""

SESSION = {
    "date": "2025-03-03",
    "exercises": [
        {
            "exercise": "single-leg-romanian-deadlift",
            "sets": [{"reps": 12, "load_kg": 8, "support": "rail", "rpe": 7, "pain_during_0_10": 1}] * 2,
            "pain_next_morning_0_10": 0,
        }
    ],
}


def _document(model: type, kind: str = "document") -> Callable[[bytes, Path], object]:
    def run(data: bytes, folder: Path) -> object:
        path = _file(folder, "doc.yaml", data)
        return schema.validate(model, schema.read_document(path, kind), str(path))

    return run


def _openpose(data: bytes, folder: Path) -> object:
    frames = folder / "openpose"
    frames.mkdir(exist_ok=True)
    for old in frames.iterdir():
        old.unlink()
    _file(frames, "run_000000000000_keypoints.json", data)
    _file(frames, "run_000000000001_keypoints.json", _openpose_seeds()[0])
    return read_openpose_folder(frames, fps_hz=30.0)


def _zip_walk(data: bytes, folder: Path) -> object:
    """The whole activity walk over a (mutated) zip: nothing may escape, everything becomes a skip record."""
    return list(scan(_file(folder, "export.zip", data)))


def _zip_seeds() -> list[bytes]:
    import gzip
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("activities.csv", STRAVA)
        zf.writestr("activities/101.fit.gz", gzip.compress(_fit_seeds()[0]))
        zf.writestr("activities/102.gpx", GPX)
        zf.writestr("activities/103.tcx.gz", gzip.compress(TCX.encode()))
    return [buf.getvalue()]


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("trc", lambda d, f: read_trc(_file(f, "in.trc", d)), (InputFileError,), _trc_seeds),
        Target(
            "gaitlab_json",
            lambda d, f: read_gaitlab_json(_file(f, "in.json", d)),
            (InputFileError,),
            _gaitlab_seeds,
        ),
        Target(
            "keypoints_json",
            lambda d, f: read_keypoints_json(_file(f, "in.json", d)),
            (InputFileError,),
            _keypoints_seeds,
        ),
        Target("openpose", _openpose, (InputFileError,), _openpose_seeds),
        Target("c3d_header", lambda d, f: _check_size(_file(f, "in.c3d", d)), (InputFileError,), _c3d_seeds),
        Target("c3d", lambda d, f: read_c3d(_file(f, "in.c3d", d)), (InputFileError,), _c3d_seeds),
        Target("fit", lambda d, _f: read_fit(io.BytesIO(d), "in.fit"), (SkipFile,), _fit_seeds),
        Target("gpx", lambda d, _f: read_gpx(io.BytesIO(d), "in.gpx"), (SkipFile,), lambda: [GPX.encode()]),
        Target("tcx", lambda d, _f: read_tcx(io.BytesIO(d), "in.tcx"), (SkipFile,), lambda: [TCX.encode()]),
        Target(
            "strava_csv",
            lambda d, _f: list(read_strava_csv(io.BytesIO(d), "activities.csv")),
            (SkipFile,),
            lambda: [STRAVA.encode()],
        ),
        Target("activity_zip", _zip_walk, (), _zip_seeds),
        Target("intake", _document(schema.IntakeIn), (schema.InputFileError,), _intake_seeds),
        Target("tests", _document(schema.TestsIn), (schema.InputFileError,), lambda: [TESTS_DOC]),
        Target(
            "session",
            _document(schema.SessionIn),
            (schema.InputFileError,),
            lambda: [json.dumps(SESSION).encode()],
        ),
        Target(
            "logbook",
            _document(schema.LogbookIn, "logbook"),
            (schema.InputFileError,),
            lambda: [
                json.dumps({"sessions": [SESSION, {**SESSION, "date": "2025-03-05"}]}, indent=1).encode()
            ],
        ),
    )
}
