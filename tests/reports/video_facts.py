"""What a written video holds, read back with OpenCV: its codec, frame count and frame size (tests' helper)."""

from __future__ import annotations

from pathlib import Path

import cv2


def video_facts(path: Path) -> tuple[str, int, tuple[int, int]]:
    """The FourCC codec, the number of frames that decode, and (width, height) in pixels of the video at ``path``."""
    cap = cv2.VideoCapture(str(path))
    try:
        assert cap.isOpened(), f"{path}: OpenCV cannot open it"
        code = int(cap.get(cv2.CAP_PROP_FOURCC))
        size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        frames = 0
        while cap.read()[0]:
            frames += 1
    finally:
        cap.release()
    return "".join(chr((code >> 8 * i) & 0xFF) for i in range(4)), frames, size
