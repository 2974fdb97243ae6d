"""Make the variable-frame-rate test videos in this folder from the bundled treadmill clip (provenance only).

Not run by the tests and not a glutemed dependency: it needs PyAV (``pip install av numpy``; tested with
av 18.1.0, whose wheel bundles FFmpeg with libx264). Run from the repository root::

    python tests/data/video/vfr/make_vfr.py

Source: ``tests/data/video/male_side_treadmill/male_side.mp4`` (720x1280, 30 fps, 360 frames, pts k/30 s).
Every output frame is one source frame, shrunk to 360x640, stamped with a presentation time chosen below;
the runner's motion keeps its real timing, so the cadence measured from pixels stays 168.9 steps/min.

- ``male_side_vfr_drop.mp4`` and ``.mkv`` (same stream, two containers): source frames dropped in an
  irregular, repeating pattern of gaps (1, 2 or 3 frames, see ``DROP_GAPS``); each kept frame keeps its
  original time k/30 s, so intervals are 1/30, 2/30 or 3/30 s.
- ``male_side_vfr_60to30.mp4``: a mid-clip rate change. Source frames 0-179 are each shown twice, at k/30 s and
  k/30 + 1/60 s (60-fps timing, 360 frames over 6 s); frames 180-359 once, at k/30 s (30-fps timing).

Timestamps are written in ticks of 1/600 s (a multiple of both 1/30 s and 1/60 s, so exact in MP4); Matroska
stores milliseconds, so its times are the same ones rounded to 1 ms. Each output's pts list is printed and
written to ``<name>.pts.json`` next to it, which the tests compare with what the reader yields.
"""

from __future__ import annotations

import json
from fractions import Fraction
from itertools import cycle
from pathlib import Path

import av

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "male_side_treadmill" / "male_side.mp4"
WIDTH_PX, HEIGHT_PX = 360, 640
TICK = Fraction(1, 600)  # seconds per pts unit
SOURCE_TICKS = 20  # one source frame interval (1/30 s) in ticks
DROP_GAPS = (
    1,
    2,
    1,
    1,
    3,
    1,
    2,
    1,
    3,
    2,
    1,
    1,
    2,
    3,
    1,
    1,
    2,
)  # source frames from one kept frame to the next
DOUBLE_UNTIL = 180  # source frames before this one are shown twice (60-fps timing)
X264 = {"crf": "26", "preset": "slow", "g": "60"}  # default B-frames; keyframe at least every 60 frames


def read_source() -> list[av.VideoFrame]:
    """All source frames, shrunk to WIDTH_PX x HEIGHT_PX (area averaging), in yuv420p."""
    with av.open(str(SOURCE)) as container:
        stream = container.streams.video[0]
        return [
            frame.reformat(width=WIDTH_PX, height=HEIGHT_PX, format="yuv420p", interpolation="AREA")
            for frame in container.decode(stream)
        ]


def drop_schedule(n_source: int) -> list[tuple[int, int]]:
    """(source frame index, pts in ticks) for the dropped-frames variant: frame 0 first, then DROP_GAPS."""
    schedule, index = [], 0
    for gap in cycle(DROP_GAPS):
        if index >= n_source:
            return schedule
        schedule.append((index, index * SOURCE_TICKS))
        index += gap
    raise AssertionError("unreachable")


def rate_change_schedule(n_source: int) -> list[tuple[int, int]]:
    """(source frame index, pts in ticks): 60-fps timing (each frame twice) up to DOUBLE_UNTIL, then 30."""
    schedule = []
    for index in range(n_source):
        schedule.append((index, index * SOURCE_TICKS))
        if index < DOUBLE_UNTIL:
            schedule.append((index, index * SOURCE_TICKS + SOURCE_TICKS // 2))
    return schedule


def encode(frames: list[av.VideoFrame], schedule: list[tuple[int, int]], target: Path) -> None:
    """Encode the scheduled frames with libx264 into ``target``; write their times to ``<stem>.pts.json``."""
    with av.open(str(target), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = WIDTH_PX, HEIGHT_PX, "yuv420p"
        stream.time_base = TICK
        stream.codec_context.time_base = TICK
        stream.options = dict(X264)
        for index, pts in schedule:
            frame = frames[index]
            frame.pts, frame.time_base = pts, TICK
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    record = {
        "source": "../male_side_treadmill/male_side.mp4",
        "source_frames": [index for index, _ in schedule],
        "pts_s": [round(pts * float(TICK), 6) for _, pts in schedule],
    }
    target.with_suffix(".pts.json").write_text(json.dumps(record) + "\n", encoding="utf-8")
    print(f"{target.name}: {len(schedule)} frames, {target.stat().st_size} bytes")


def remux_vfr_mkv(source: Path, target: Path) -> None:
    """Copy the compressed stream of ``source`` into Matroska, packet by packet, declaring no frame rate.

    With no frame rate the muxer writes no DefaultDuration (no nominal frame duration), the usual state of a
    variable-frame-rate Matroska track. Reading it back, FFmpeg takes the 1 ms time base for a 1000 fps rate
    and OpenCV estimates the frame count as duration x 1000.
    """
    with av.open(str(source)) as inp, av.open(str(target), "w", options={"fflags": "+bitexact"}) as out:
        in_stream = inp.streams.video[0]
        out_stream = out.add_stream_from_template(in_stream)
        out_stream.codec_context.framerate = Fraction(0, 1)
        for packet in inp.demux(in_stream):
            if packet.dts is None:  # the demuxer's end-of-stream flush packet
                continue
            packet.stream = out_stream
            out.mux(packet)
    print(f"{target.name}: remuxed from {source.name}, {target.stat().st_size} bytes")


def main() -> None:
    frames = read_source()
    assert len(frames) == 360, len(frames)
    encode(frames, drop_schedule(len(frames)), HERE / "male_side_vfr_drop.mp4")
    remux_vfr_mkv(HERE / "male_side_vfr_drop.mp4", HERE / "male_side_vfr_drop.mkv")
    encode(frames, rate_change_schedule(len(frames)), HERE / "male_side_vfr_60to30.mp4")


if __name__ == "__main__":
    main()
