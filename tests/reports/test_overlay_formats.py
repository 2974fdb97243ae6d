"""The overlay video's format follows its suffix (reports/overlay.OVERLAY_CODECS): WebM with VP8 for browsers,
MP4 ('mp4v') for desktop players; anything else is refused before a file is made."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from tests.reports.video_facts import video_facts

from glutemed.config import load_config
from glutemed.knowledge.loader import knowledge_base
from glutemed.reports.overlay import OVERLAY_CODECS, write_overlay_video
from glutemed.services.analyze import Recording, analyze_file

CLIP = Path(__file__).resolve().parents[1] / "data" / "video" / "male_side_treadmill"
VIDEO = CLIP / "male_side.mp4"


@pytest.fixture(scope="module")
def side() -> Recording:
    recording = analyze_file(CLIP / "male_side.pose.json", kb=knowledge_base(), config=load_config())
    return replace(recording, path=VIDEO)


def test_a_webm_overlay_is_vp8_in_webm(side: Recording, tmp_path: Path) -> None:
    out = write_overlay_video(VIDEO, side, tmp_path / "overlay.webm", max_frames=12)
    assert out.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a Matroska/WebM container
    assert b"webm" in out.read_bytes()[:64]  # its DocType
    codec, frames, size = video_facts(out)
    assert codec.upper() == "VP80"
    assert frames == 12
    assert size == (720, 1280)
    assert [p.name for p in tmp_path.iterdir()] == ["overlay.webm"]  # no temporary file left


def test_an_unknown_suffix_is_refused_before_anything_is_written(side: Recording, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"written as \.webm or \.mp4"):
        write_overlay_video(VIDEO, side, tmp_path / "overlay.avi", max_frames=5)
    assert list(tmp_path.iterdir()) == []
    assert set(OVERLAY_CODECS) == {".webm", ".mp4"}
