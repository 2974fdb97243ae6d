"""Activity streams are bounded (size cap and inflation ratio), and sessions are dated 1990..tomorrow."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

from glutemed.core.load import Session, Skipped
from glutemed.io.activities.common import SkipFile, check_date
from glutemed.io.activities.walker import MAX_RATIO, _Bounded, scan


def test_bounded_stream_stops_past_the_cap() -> None:
    stream = _Bounded(io.BytesIO(b"x" * 5000), cap=4000, packed=None)
    assert stream.read(0) == b""
    assert len(stream.read(3000)) == 3000
    with pytest.raises(SkipFile, match="size limit once decompressed"):
        stream.read()


def test_bounded_stream_stops_past_the_ratio() -> None:
    stream = _Bounded(io.BytesIO(b"x" * (3 * 1024 * 1024)), cap=10**9, packed=1000)
    with pytest.raises(SkipFile, match=f"more than {MAX_RATIO} times its packed size"):
        stream.read()


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (dt.datetime(1989, 12, 31, tzinfo=dt.UTC), False),
        (dt.datetime(1990, 1, 1, tzinfo=dt.UTC), True),
        (dt.datetime.now(dt.UTC), True),
        (dt.datetime.now(dt.UTC) + dt.timedelta(days=3), False),
        (dt.datetime(9999, 1, 1, tzinfo=dt.UTC), False),
    ],
)
def test_date_window(day: dt.datetime, ok: bool) -> None:
    if ok:
        check_date(day)
    else:
        with pytest.raises(SkipFile, match="outside 1990-01-01"):
            check_date(day)


def test_zip_member_declaring_a_bomb_is_not_opened(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("run.gpx", "<" * (20 * 1024 * 1024))  # 20 MB of one byte: inflates ~1000x
        zf.writestr("notes.txt", "ignored")
    items = list(scan(path))
    assert not [i for i in items if isinstance(i, Session)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert len(skipped) == 1
    assert "zip bomb" in skipped[0].reason
