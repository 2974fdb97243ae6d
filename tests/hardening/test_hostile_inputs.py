"""Issue 11, cases 3-6, 8 and 9 for keypoint, motion-capture, activity and video input.

Devices, FIFOs and oversized files; corrupt C3D parameters; zip bombs and runs dated 9999; square brackets in
paths; GaitLab ``timestamps: ["a"]`` and ``fps: true``; broken Strava CSVs; a corrupt FIT; a video above the
frame-size limit. All run through the real command line in one child process limited to 1 GiB.
"""

from __future__ import annotations

import gzip
import json
import os
import zipfile
from pathlib import Path

import pytest
from tests.hardening.conftest import DATA, EXAMPLES
from tests.hardening.harness import Run, assert_clean_failure, glutemed, glutemed_batch

RIC = DATA / "mocap" / "ric_calgary" / "20140515T133244_static.c3d"
STRAVA_HEAD = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Elapsed Time,Distance,Moving Time,Filename\n"
)


def _gpx_point(i: int) -> str:
    return f'<trkpt lat="46.{i % 100000:05d}" lon="14.5"><time>2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z</time></trkpt>\n'


def _zip_bomb(path: Path, inflated_mb: int = 190) -> None:
    """A zip whose one GPX member inflates to ``inflated_mb`` MB (the sweep's 674 KB -> 190 MB)."""
    head = '<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><type>running</type><trkseg>\n'
    block = "".join(_gpx_point(i) for i in range(1000)).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("run.gpx", "w") as member:
        member.write(head.encode())
        for _ in range(inflated_mb * 1024 * 1024 // len(block)):
            member.write(block)
        member.write(b"</trkseg></trk></gpx>\n")


def _corrupt_c3d(path: Path) -> None:
    """The RIC static trial with the dimensions of its POINT:LABELS parameter set to 255 x 255 x 255."""
    raw = bytearray(RIC.read_bytes())
    at = raw.index(b"LABELS", (raw[0] - 1) * 512)
    dims_at = at + len("LABELS") + 2 + 2  # name, offset to the next record, type and dimension count
    n_dims = raw[dims_at - 1]
    assert n_dims == 2
    raw[dims_at - 1] = 3
    raw[dims_at : dims_at + 3] = b"\xff\xff\xff"
    path.write_bytes(bytes(raw))


def _worst_case_keypoints(d: Path) -> None:
    """Keypoint files just under the 32 MB cap that are as expensive as possible to hold in memory."""
    cap = 32 * 1024 * 1024 - 4096
    head = "PathFileType\t4\t(X/Y/Z)\tx.trc\nDataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\n30\t30\t\t1\tpx\n"
    head += "Frame#\tTime\tRHip\t\t\n\t\tX1\tY1\tZ1\n\n"
    row = "1\t0.033\t1\t2\t0\n"
    (d / "worst.trc").write_text(head + row * ((cap - len(head)) // len(row)), encoding="utf-8")
    (d / "worst.json").write_text(
        '{"schema": "glutemed.keypoints/v1", "x": [' + ",".join(["[]"] * (cap // 3)) + "]}", encoding="utf-8"
    )


def _gaitlab(**extra: object) -> dict[str, object]:
    frame = [[100.0, 200.0, 0.9], [120.0, 200.0, 0.9]]
    return {"schema": "gaitlab.pose/v1", "keypoint_names": ["l_hip", "r_hip"], "frames": [frame] * 3, **extra}


def _cases(d: Path) -> dict[str, tuple[Path, list[str | Path]]]:
    (d / "zero.trc").symlink_to("/dev/zero")
    os.mkfifo(d / "fifo.trc")
    os.mkfifo(d / "fifo.yaml")
    with (d / "huge.trc").open("wb") as handle:  # sparse: 40 MB on paper, no disk used
        handle.truncate(40 * 1024 * 1024)
    _corrupt_c3d(d / "corrupt.c3d")
    _zip_bomb(d / "bomb.zip")
    (d / "strava").mkdir()
    (d / "strava" / "activities.csv").write_text(
        STRAVA_HEAD
        + '1,"May 1, 2024, 7:00:00 AM",ok,Run,1800,5000.0,1800,\n'
        + '2,"Jan 1, 9999, 7:00:00 AM",future,Run,1800,5000.0,1800,\n'
        + '3,"Jan 1, 1985, 7:00:00 AM",past,Run,1800,5000.0,1800,\n',
        encoding="utf-8",
    )
    (d / "latin1").mkdir()
    (d / "latin1" / "activities.csv").write_bytes(
        STRAVA_HEAD.encode()
        + '1,"May 1, 2024, 7:00:00 AM",Caf\xe9 run,Run,1800,5000.0,1800,\n'.encode("latin-1")
    )
    (d / "bigfield").mkdir()
    (d / "bigfield" / "activities.csv").write_text(
        STRAVA_HEAD + '1,"May 1, 2024, 7:00:00 AM",' + "x" * 300_000 + ",Run,1800,5000.0,1800,\n",
        encoding="utf-8",
    )
    (d / "run[").mkdir()
    (d / "run[" / "]bad.trc").write_text("not a TRC file\n", encoding="utf-8")
    (d / "ts.json").write_text(json.dumps(_gaitlab(fps=30, timestamps=["a", "b", "c"])), encoding="utf-8")
    (d / "fps.json").write_text(json.dumps(_gaitlab(fps=True)), encoding="utf-8")
    corrupt_fit = bytearray((DATA / "activities" / "fitparse__garmin-fenix-5-run.fit").read_bytes())
    corrupt_fit[200:260] = bytes(60)
    (d / "corrupt.fit").write_bytes(bytes(corrupt_fit))
    _worst_case_keypoints(d)
    (d / "gz").mkdir()
    with gzip.open(d / "gz" / "run.gpx.gz", "wb") as gz:  # 40 MB of track inflated from about 100 kB
        block = "".join(_gpx_point(i) for i in range(1000)).encode()
        gz.write(b'<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><trkseg>\n')
        for _ in range(40 * 1024 * 1024 // len(block)):
            gz.write(block)
    return {
        "worst-trc": (d, ["analyze", "worst.trc"]),
        "worst-json": (d, ["analyze", "worst.json"]),
        "dev-zero-trc": (d, ["analyze", "/dev/zero"]),
        "dev-zero-intake": (d, ["assess", "/dev/zero"]),
        "dev-zero-link-trc": (d, ["analyze", "zero.trc"]),
        "fifo-trc": (d, ["analyze", "fifo.trc"]),
        "fifo-intake": (d, ["assess", "fifo.yaml"]),
        "fifo-load": (d, ["load", "fifo.trc"]),
        "huge-trc": (d, ["analyze", "huge.trc"]),
        "c3d": (d, ["analyze", "corrupt.c3d", "--static", "corrupt.c3d"]),
        "zip-bomb": (d, ["load", "bomb.zip", "--json"]),
        "gz-bomb": (d, ["load", "gz"]),
        "strava-dates": (d, ["load", "strava", "--json"]),
        "strava-latin1": (d, ["load", "latin1"]),
        "strava-bigfield": (d, ["load", "bigfield"]),
        "brackets-trc": (d, ["analyze", "run[/]bad.trc"]),
        "brackets-missing": (d, ["assess", "intake [rear].yaml"]),
        "timestamps": (d, ["analyze", "ts.json"]),
        "fps-true": (d, ["analyze", "fps.json"]),
        "corrupt-fit": (d, ["load", "corrupt.fit"]),
        "truncated-fit": (d, ["load", DATA / "activities" / "fitdecode__activity-unexpected-eof.fit"]),
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    return glutemed_batch(_cases(tmp_path_factory.mktemp("inputs")))


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("dev-zero-trc", "a device"),
        ("dev-zero-intake", "a device"),
        ("dev-zero-link-trc", "a device"),
        ("fifo-trc", "FIFO"),
        ("fifo-intake", "FIFO"),
        ("fifo-load", "FIFO"),
        ("huge-trc", "over the 32.0 MB limit"),
    ],
)
def test_devices_fifos_and_oversized_files(runs: dict[str, Run], case: str, needle: str) -> None:
    assert_clean_failure(runs[case], 2, needle)


def test_worst_case_keypoint_files_at_the_cap(runs: dict[str, Run]) -> None:
    """A 32 MB TRC of 3 million one-marker rows is read (then refused for its keypoints) under 1 GB; a 32 MB
    JSON of 11 million empty lists is refused before parsing."""
    assert_clean_failure(runs["worst-trc"], 2, "worst.trc", "strictly increasing")
    assert_clean_failure(runs["worst-json"], 2, "worst.json", "more than the 6,000,000")


def test_corrupt_c3d_parameters(runs: dict[str, Run]) -> None:
    assert_clean_failure(runs["c3d"], 2, "corrupt.c3d", "corrupt parameter 'LABELS'")


def test_zip_bomb(runs: dict[str, Run]) -> None:
    assert_clean_failure(runs["zip-bomb"], 2, "bomb.zip!run.gpx")
    assert "zip bomb" in runs["zip-bomb"].stderr or "size limit" in runs["zip-bomb"].stderr


def test_gz_bomb_stops_at_the_cap_while_inflating(runs: dict[str, Run]) -> None:
    assert_clean_failure(runs["gz-bomb"], 2, "run.gpx.gz", "size limit once decompressed")


def test_runs_dated_9999_or_1985_are_skipped(runs: dict[str, Run]) -> None:
    run = runs["strava-dates"]
    assert run.code == 0, run.stderr
    assert run.peak_mb < 1024
    report = json.loads(run.stdout)
    assert report["counts"]["runs"] == 1
    reasons = " ".join(s["reason"] for s in report["skipped"])
    assert "9999-01-01 is outside 1990-01-01.." in reasons
    assert "1985-01-01 is outside" in reasons
    assert len(run.stdout) < 200_000


def test_strava_csv_not_utf8(runs: dict[str, Run]) -> None:
    assert_clean_failure(runs["strava-latin1"], 2, "activities.csv", "not UTF-8")


def test_strava_csv_300k_field(runs: dict[str, Run]) -> None:
    assert_clean_failure(runs["strava-bigfield"], 2, "activities.csv", "unreadable CSV")


def test_square_brackets_in_paths_are_shown_as_they_are(runs: dict[str, Run]) -> None:
    assert_clean_failure(runs["brackets-trc"], 2, "run[/]bad.trc")
    assert_clean_failure(runs["brackets-missing"], 2, "intake [rear].yaml", "not found")


def test_gaitlab_timestamps_not_numbers(runs: dict[str, Run]) -> None:
    assert_clean_failure(runs["timestamps"], 2, "ts.json", "'timestamps' must hold numbers")


def test_fps_true_is_not_one_fps(runs: dict[str, Run]) -> None:
    assert_clean_failure(runs["fps-true"], 2, "fps.json", "'fps' must be a positive number", "True")


@pytest.mark.parametrize("case", ["corrupt-fit", "truncated-fit"])
def test_corrupt_fit_exits_2(runs: dict[str, Run], case: str) -> None:
    assert_clean_failure(runs[case], 2, ".fit", "no usable activity")


def test_brackets_in_output_paths_on_success(tmp_path: Path) -> None:
    """A successful command prints the path the user gave, brackets and all, and exits 0."""
    ics = tmp_path / "plan [rear].ics"
    run = glutemed("program", EXAMPLES / "female-lateral-hip-pain.yaml", "--ics", ics, cwd=tmp_path)
    assert run.code == 0, run.stderr
    assert f"calendar written to {ics}" in run.stdout.replace("\n", "")
    assert ics.read_text(encoding="utf-8").startswith("BEGIN:VCALENDAR")


def test_video_frame_size_guard(tmp_path: Path) -> None:
    """The guard reads the frame size from the container before decoding; the limit is lowered to prove it."""
    video = DATA / "video" / "male_side_treadmill" / "male_side.mp4"
    run = glutemed(
        "analyze", video, "--out", tmp_path / "out", cwd=tmp_path, env={"GLUTEMED_MAX_VIDEO_PIXELS": "10000"},
        memory_bytes=3 * 1024**3,
    )  # fmt: skip
    assert_clean_failure(run, 2, "male_side.mp4", "over the limit of 10,000 pixels", "scale the video down")
