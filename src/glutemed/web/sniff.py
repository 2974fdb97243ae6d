"""What an uploaded file is, from its content (file signatures), never from its name.

Each kind maps to the extension glutemed's readers dispatch on, so a file stored by content hash gets the
extension of what it *is*: a text file named ``run.mp4`` is refused, and an MP4 named ``run.bin`` is an MP4.
After the signature, :func:`check_content` opens the file with the reader that will analyse it (OpenCV for
video, the keypoint and motion-capture readers, the activity walker) so a file that is not what it claims is
refused at upload. A video is only probed (its container and first frames, :data:`PROBE_FRAMES`): a clip cut
further in is found by the analysis job, which fails with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Purpose = Literal["gait", "load"]

HEAD_BYTES = 4096


class ContentError(ValueError):
    """The upload is not a file glutemed can use; the message is for the person who sent it."""


@dataclass(frozen=True)
class Kind:
    name: str  # "video", "keypoints", "mocap", "activity", "archive"
    suffix: str  # the extension the readers expect
    label: str  # words for people


_QUICKTIME_BRANDS = {b"qt  "}
_MP4_ATOMS = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"}


def _video(head: bytes) -> Kind | None:
    if len(head) >= 12 and head[4:8] in _MP4_ATOMS:
        brand = head[8:12]
        if head[4:8] == b"ftyp" and brand in _QUICKTIME_BRANDS:
            return Kind("video", ".mov", "QuickTime video")
        return Kind("video", ".mp4", "MP4 video")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Kind("video", ".avi", "AVI video")
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return Kind("video", ".mkv", "Matroska video")
    return None


def _text(head: bytes) -> str | None:
    try:
        return head.decode("utf-8-sig").lstrip()
    except UnicodeDecodeError:
        try:  # a multi-byte character cut at the end of the head
            return head[:-3].decode("utf-8-sig").lstrip()
        except UnicodeDecodeError:
            return None


def _gait(head: bytes) -> Kind | None:
    if (video := _video(head)) is not None:
        return video
    if len(head) >= 512 and head[1] == 0x50:
        return Kind("mocap", ".c3d", "C3D motion capture")
    text = _text(head)
    if text is None:
        return None
    if text.startswith("PathFileType"):
        return Kind("keypoints", ".trc", "TRC keypoints")
    if text.startswith("{"):
        return Kind("keypoints", ".json", "keypoints JSON")
    return None


_BINARY_ACTIVITY = (
    (8, b".FIT", Kind("activity", ".fit", "FIT activity")),
    (0, b"PK\x03\x04", Kind("archive", ".zip", "zip of activities")),
    (0, b"\x1f\x8b", Kind("activity", ".gz", "gzip-compressed activity")),
)
_TEXT_ACTIVITY = (
    ("<gpx", Kind("activity", ".gpx", "GPX activity")),
    ("<TrainingCenterDatabase", Kind("activity", ".tcx", "TCX activity")),
)


def _load(head: bytes) -> Kind | None:
    for offset, signature, kind in _BINARY_ACTIVITY:
        if head[offset : offset + len(signature)] == signature:
            return kind
    text = _text(head) or ""
    return next((kind for marker, kind in _TEXT_ACTIVITY if marker in text), None)


EXPECTED = {
    "gait": "a video (MP4, MOV, AVI, MKV), keypoints (TRC, JSON) or motion capture (C3D)",
    "load": "an activity file (FIT, GPX, TCX), a zip of them or a Strava export",
}


def sniff(head: bytes, purpose: Purpose) -> Kind:
    """The kind of file whose first bytes are ``head``; ContentError when it is none glutemed reads."""
    if not head:
        raise ContentError("the file is empty (0 bytes)")
    kind = _gait(head) if purpose == "gait" else _load(head)
    if kind is None:
        raise ContentError(
            f"the content is not {EXPECTED[purpose]}; glutemed checks what a file contains, not its name"
        )
    return kind


PROBE_FRAMES = 3  # decoded at upload: enough to know the stream decodes, cheap for any clip length


def _check_video(path: Path) -> None:
    """Open the container (header, a video stream, a frame size FFmpeg can read) and decode its first frames.

    The whole clip is decoded by the analysis job, which fails with the reason (for example "truncated or
    damaged: the container promises 240 frames but only 110 could be decoded") when the rest is cut or broken;
    decoding all of it here would hold the request for as long as the analysis takes."""
    from glutemed.pose.video import VideoReader  # OpenCV loads only here

    with VideoReader(path) as video:
        decoded = 0
        for _ in video.frames():  # ends early (no end-of-clip check) once PROBE_FRAMES decoded
            decoded += 1
            if decoded >= PROBE_FRAMES:
                break
        if decoded < 2:
            raise ContentError(f"only {decoded} frame decoded; a gait analysis needs a clip")


def _check_activities(path: Path) -> None:
    from glutemed.services.load import import_history

    report = import_history(path)
    if not report.runs and not report.other_sessions:
        reasons = "; ".join(s.reason for s in report.skipped[:3])
        raise ContentError("no run could be read from it" + (f" ({reasons})" if reasons else ""))


def check_content(path: Path, kind: Kind) -> None:
    """Open ``path`` with the reader that will use it; ContentError (or the reader's own error) if it fails."""
    from glutemed.io import read_keypoints
    from glutemed.io.c3d_mocap import load_mocap

    if kind.name == "video":
        _check_video(path)
    elif kind.name == "keypoints":
        read_keypoints(path)
    elif kind.name == "mocap":
        load_mocap(path)
    else:
        _check_activities(path)
