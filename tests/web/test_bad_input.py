"""Bad input through the web: each refused with a clear message and a 4xx, and nothing stored half.

Real uploads through the streaming receiver into the real file store; the intake form against the same models
as a YAML intake; a missing CSRF token; an expired session.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.web.conftest import POSE_JSON, VIDEO, Browser, World, demo_intake_form, make_app

from glutemed.services.intake_schema import InputFileError, IntakeIn, validate


def _nothing_new(world: World, before: dict[str, int], files: set[Path]) -> None:
    assert world.counts() == before
    assert world.stored_files() == files
    assert not any((world.data_dir / "tmp").glob("*")), "a partial upload was left in tmp/"


def _upload(world: World, name: str, content: bytes, purpose: str = "gait", **kw: object) -> object:
    b = world.browsers["clin1"]
    return b.upload(
        f"/runners/{world.ids['A']}/uploads/{purpose}", [("files", (name, content, "video/mp4"))], **kw
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "content", "status", "words"),
    [
        ("run.mp4", b"", 422, "empty (0 bytes)"),
        ("run.mp4", b"this is a text file pretending to be a video\n" * 200, 415, "not a video"),
        ("run.mp4", VIDEO.read_bytes()[:900_000], 422, "truncated"),
        ("run.mp4", VIDEO.read_bytes()[:48] + b"\0" * 200_000, 422, "cannot be opened as a video"),
        ("run.json", b'{"schema": "gaitlab.pose/v1", "frames": "nope"}', 422, "run.json"),
    ],
    ids=["zero-bytes", "text-named-mp4", "truncated-video", "damaged-video", "broken-keypoints"],
)
def test_bad_files_are_refused_and_nothing_is_kept(
    fresh: World, name: str, content: bytes, status: int, words: str
) -> None:
    before, files = fresh.counts(), fresh.stored_files()
    r = _upload(fresh, name, content)
    assert r.status_code == status, r.text[:600]  # type: ignore[attr-defined]
    text = r.text  # type: ignore[attr-defined]
    assert name in text
    assert words in text or (words == "truncated" and "cannot be opened as a video" in text)
    _nothing_new(fresh, before, files)


def test_an_oversized_upload_is_refused(fresh: World) -> None:
    """The limit is 1 MB in this app: a 1.8 MB video is stopped while it streams."""
    before, files = fresh.counts(), fresh.stored_files()
    r = _upload(fresh, "run.mp4", VIDEO.read_bytes())
    assert r.status_code == 413  # type: ignore[attr-defined]
    assert "larger than the limit" in r.text  # type: ignore[attr-defined]
    _nothing_new(fresh, before, files)


def test_a_large_body_without_content_length_stops_at_the_limit(fresh: World) -> None:
    """A chunked body (no Content-Length) is counted as it streams and cut at the limit."""
    before, files = fresh.counts(), fresh.stored_files()
    b = fresh.browsers["clin1"]
    boundary = "XyZ"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{b.csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="run.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()

    def body():  # type: ignore[no-untyped-def]
        yield head + VIDEO.read_bytes()[:8192]
        for _ in range(300):
            yield b"\0" * 8192

    r = b.client.post(
        f"/runners/{fresh.ids['A']}/uploads/gait",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 413
    _nothing_new(fresh, before, files)


def test_a_cut_off_upload_leaves_nothing(fresh: World) -> None:
    """The body ends in the middle of the file (the connection dropped): refused, nothing kept."""
    before, files = fresh.counts(), fresh.stored_files()
    b = fresh.browsers["clin1"]
    boundary = "XyZ"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{b.csrf}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="run.json"\r\n\r\n'
    ).encode()
    body += POSE_JSON.read_bytes()[:100_000]
    r = b.client.post(
        f"/runners/{fresh.ids['A']}/uploads/gait",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert r.status_code == 400
    assert "cut off" in r.text
    _nothing_new(fresh, before, files)


def test_a_good_file_with_a_bad_one_keeps_neither(fresh: World) -> None:
    before, files = fresh.counts(), fresh.stored_files()
    b = fresh.browsers["clin1"]
    r = b.upload(
        f"/runners/{fresh.ids['A']}/uploads/gait",
        [
            ("files", ("good.json", POSE_JSON.read_bytes(), "application/json")),
            ("files", ("bad.mp4", b"", "video/mp4")),
        ],
    )
    assert r.status_code == 422
    _nothing_new(fresh, before, files)


def test_an_upload_without_its_csrf_token_is_refused_before_anything_is_stored(fresh: World) -> None:
    before, files = fresh.counts(), fresh.stored_files()
    b = fresh.browsers["clin1"]
    r = b.client.post(
        f"/runners/{fresh.ids['A']}/uploads/gait",
        files=[("files", ("run.json", POSE_JSON.read_bytes(), "application/json"))],
    )
    assert r.status_code == 403
    assert "CSRF" in r.text
    _nothing_new(fresh, before, files)


def test_a_good_upload_is_stored_once_by_content_hash(fresh: World) -> None:
    b = fresh.browsers["clin1"]
    for name in ("first.json", "same-bytes-again.json"):
        r = b.upload(
            f"/runners/{fresh.ids['A']}/uploads/gait",
            [("files", (name, POSE_JSON.read_bytes(), "text/plain"))],
        )
        assert r.status_code == 303, r.text[:500]
        assert r.headers["location"].startswith("/jobs/")
    blobs = list((fresh.data_dir / "blobs").rglob("*.json"))
    assert len(blobs) == 1
    assert fresh.counts()["uploads"] == 2
    assert fresh.counts()["jobs"] == 2


def test_wrong_intake_values_are_shown_next_to_their_fields_and_nothing_is_saved(fresh: World) -> None:
    before = fresh.counts()
    b = fresh.browsers["clin1"]
    form = demo_intake_form() | {
        "runner.age_years": "abc",
        "symptoms.pain_running_0_10": "14",
        "runner.sex": "robot",
    }
    r = b.post(f"/runners/{fresh.ids['A']}/intake", form)
    assert r.status_code == 422
    # the message above the form is the one a YAML intake with the same answers gets
    data = {"runner": {"age_years": "abc"}}
    with pytest.raises(InputFileError) as caught:
        validate(IntakeIn, data | {"running": {}}, "intake form")
    assert "runner.age_years: Input should be a valid number" in str(caught.value)
    assert "intake form: " in r.text
    for field, words in (
        ("runner.age_years", "Input should be a valid number"),
        ("symptoms.pain_running_0_10", "less than or equal to 10"),
        ("runner.sex", "Input should be &#39;female&#39; or &#39;male&#39;"),
    ):
        start = r.text.index(f'id="e-{field}"')
        assert words in r.text[start : start + 300], field
    assert 'value="abc"' in r.text  # the answers stay in the form
    assert fresh.counts() == before


def test_wrong_test_values_are_refused(fresh: World) -> None:
    before = fresh.counts()
    b = fresh.browsers["clin1"]
    r = b.post(
        f"/runners/{fresh.ids['A']}/tests",
        {"side_bridge.left_s": "-5", "side_bridge.right_s": "60", "dynamometry.left_n": "200"},
    )
    assert r.status_code == 422
    assert 'id="e-side_bridge.left_s"' in r.text
    assert "greater than or equal to 0" in r.text
    assert 'id="e-dynamometry.right_n"' in r.text  # a missing answer is named too
    assert fresh.counts() == before


def test_wrong_api_values_are_refused_with_the_field(fresh: World) -> None:
    b = fresh.browsers["clin1"]
    r = b.client.post(
        f"/api/v1/runners/{fresh.ids['A']}/intakes",
        json={"runner": {"age_years": 300}},
        headers={"X-CSRF-Token": b.csrf},
    )
    assert r.status_code == 422
    assert "age_years" in r.json()["detail"]
    assert fresh.counts()["intakes"] == 0


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_a_valid_csrf_token_is_refused(fresh: World, token: str | None) -> None:
    before = fresh.counts()
    b = fresh.browsers["clin1"]
    data = demo_intake_form() | ({} if token is None else {"csrf_token": token})
    r = b.client.post(f"/runners/{fresh.ids['A']}/intake", data=data)
    assert r.status_code == 403
    assert "security token" in r.text
    assert fresh.counts() == before


def test_a_token_from_another_session_is_refused(fresh: World) -> None:
    other = Browser(fresh.app, "other")
    other.sign_in("clin1@t.test")
    b = fresh.browsers["clin1"]
    r = b.client.post(
        f"/runners/{fresh.ids['A']}/tests",
        data={"csrf_token": other.csrf, "side_bridge.left_s": "3", "side_bridge.right_s": "4"},
    )
    assert r.status_code == 403
    other.client.close()


def test_an_expired_session_is_told_to_sign_in_again(tmp_path: Path) -> None:
    app, database = make_app(tmp_path, session_max_age_s=1)
    from tests.web.conftest import _users

    w = World(app, database, tmp_path)
    _users(w)
    b = Browser(app, "clin1")
    b.sign_in("clin1@t.test")
    assert b.get(f"/runners/{w.ids['A']}").status_code == 200
    before = w.counts()
    time.sleep(2.2)
    r = b.post(f"/runners/{w.ids['A']}/intake", demo_intake_form())
    assert r.status_code == 401
    assert "session has expired" in r.text
    assert 'action="/sign-in"' in r.text
    assert w.counts() == before
    r = b.get(f"/runners/{w.ids['A']}")
    assert r.status_code == 401
    assert "Alice" not in r.text
    b.client.close()
    database.dispose()


def test_a_video_is_known_by_its_content_whatever_its_name(fresh: World) -> None:
    """A real Matroska clip named .bin is accepted as a video and stored as .mkv."""
    mkv = VIDEO.parent.parent / "vfr" / "male_side_vfr_drop.mkv"
    r = _upload(fresh, "clip.bin", mkv.read_bytes())
    assert r.status_code == 303, r.text[:500]  # type: ignore[attr-defined]
    assert [p.suffix for p in (fresh.data_dir / "blobs").rglob("*") if p.is_file()] == [".mkv"]
    with fresh.database.session() as s:
        from glutemed.db import records

        (upload,) = records.list_uploads(s, fresh.ids["A"])
        assert (upload.kind, upload.original_name) == ("video", "clip.mkv")


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int]]:
    """The ISO-BMFF boxes in ``data[start:end]``: (type, offset, size)."""
    import struct

    out, at, end = [], start, len(data) if end is None else end
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        out.append((kind, at, size))
        at += size
    return out


def faststart(mp4: bytes) -> bytes:
    """The same MP4 with its index (moov) before the frames (mdat), as phones and web encoders write it: the
    chunk offsets (stco) move by the size of the moov box. Everything else is byte for byte the same."""
    import struct

    top = {kind: (at, size) for kind, at, size in _boxes(mp4)}
    (ftyp_at, ftyp_size), (moov_at, moov_size) = top[b"ftyp"], top[b"moov"]
    assert ftyp_at == 0
    assert moov_at > top[b"mdat"][0], "already faststart"
    moov = bytearray(mp4[moov_at : moov_at + moov_size])
    containers = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
    stack = [(8, moov_size)]
    found = 0
    while stack:
        start, end = stack.pop()
        for kind, at, size in _boxes(bytes(moov), start, end):
            if kind in containers:
                stack.append((at + 8, at + size))
            elif kind == b"stco":
                (count,) = struct.unpack(">I", moov[at + 12 : at + 16])
                for i in range(count):
                    pos = at + 16 + 4 * i
                    (offset,) = struct.unpack(">I", moov[pos : pos + 4])
                    moov[pos : pos + 4] = struct.pack(">I", offset + moov_size)
                found += 1
    assert found, "no chunk offset table found"
    return mp4[:ftyp_size] + bytes(moov) + mp4[ftyp_size:moov_at]


def test_a_video_cut_after_its_first_frames_is_probed_at_upload_and_refused_by_the_job(fresh: World) -> None:
    """The upload only probes the container and the first frames; the job decodes the whole clip, finds it cut
    and fails with the reason, storing no assessment."""
    whole = faststart(VIDEO.read_bytes())
    from glutemed.pose.video import VideoReader

    with VideoReader(_written(fresh.data_dir / "whole.mp4", whole)) as video:  # the rewrite is a valid clip
        assert sum(1 for _ in video.frames()) == video.info.frame_count
    cut = whole[:900_000]  # under the 1 MB limit of this app; about half of the frames
    before = fresh.counts()
    r = _upload(fresh, "run.mp4", cut)
    assert r.status_code == 303, r.text[:600]  # type: ignore[attr-defined]
    assert fresh.run_jobs() == 1
    with fresh.database.session() as s:
        from glutemed.db import queue

        (job,) = queue.list_jobs(s, runner_id=fresh.ids["A"])
        assert job.state == "failed"
        assert "truncated or damaged" in (job.error or "")
        assert "frames could be decoded" in (job.error or "")
    page = fresh.browsers["clin1"].get(f"/jobs/{job.id}").text
    assert "truncated or damaged" in page
    after = fresh.counts()
    assert after["assessments"] == before["assessments"]
    assert after["programs"] == before["programs"]


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
