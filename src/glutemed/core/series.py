"""KeypointSeries: the one time-series container every gait step reads and returns.

Positions are an array of shape (frames, keypoints, dims) with dims 2 (image x, y) or 3 (x, y, z); missing
samples are NaN. Confidence is (frames, keypoints) in 0..1 (1.0 for motion capture). Times are real timestamps in
seconds, so variable-frame-rate video keeps its true timing. Methods return new objects; nothing mutates in place.

Coordinate conventions (documented in docs/architecture.md):
- "pixel" units: x to the right of the image, y DOWN the image (as video frames and pose models give them).
- "m" / "mm" units: a right-handed lab frame with z UP.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Units = Literal["pixel", "m", "mm", "normalized"]

# Canonical keypoint names shared by every reader and pose backend.
KEYPOINTS: tuple[str, ...] = (
    "nose",
    "left_shoulder",
    "right_shoulder",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
    "left_heel",
    "right_heel",
    "left_toe",
    "right_toe",
)


class SeriesError(ValueError):
    """The data cannot form a valid keypoint series."""


@dataclass(frozen=True)
class KeypointSeries:
    times_s: FloatArray
    positions: FloatArray
    confidence: FloatArray
    names: tuple[str, ...]
    units: Units = "pixel"
    source: str = ""
    meta: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        t, p, c = self.times_s, self.positions, self.confidence
        if t.ndim != 1 or t.size < 2:
            raise SeriesError(f"{self.source or 'series'}: needs at least 2 frames, got {t.size}")
        if p.ndim != 3 or p.shape[0] != t.size or p.shape[1] != len(self.names) or p.shape[2] not in (2, 3):
            raise SeriesError(
                f"{self.source or 'series'}: positions shape {p.shape} does not match "
                f"{t.size} frames x {len(self.names)} keypoints x 2|3 dims"
            )
        if c.shape != p.shape[:2]:
            raise SeriesError(f"{self.source or 'series'}: confidence shape {c.shape} != {p.shape[:2]}")
        if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
            raise SeriesError(f"{self.source or 'series'}: timestamps must be finite and strictly increasing")
        if len(set(self.names)) != len(self.names):
            raise SeriesError(f"{self.source or 'series'}: duplicate keypoint names")

    # -- construction ------------------------------------------------------------------------------------
    @classmethod
    def from_arrays(
        cls,
        positions: FloatArray,
        names: tuple[str, ...] | list[str],
        *,
        fps_hz: float | None = None,
        times_s: FloatArray | None = None,
        confidence: FloatArray | None = None,
        units: Units = "pixel",
        source: str = "",
    ) -> KeypointSeries:
        pos = np.asarray(positions, dtype=np.float64)
        if times_s is None:
            if fps_hz is None or fps_hz <= 0:
                raise SeriesError(f"{source or 'series'}: give fps_hz > 0 or times_s")
            times_s = np.arange(pos.shape[0], dtype=np.float64) / fps_hz
        conf = (
            np.where(np.all(np.isfinite(pos), axis=2), 1.0, 0.0)
            if confidence is None
            else np.asarray(confidence, dtype=np.float64)
        )
        return cls(np.asarray(times_s, dtype=np.float64), pos, conf, tuple(names), units, source)

    # -- properties --------------------------------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return int(self.times_s.size)

    @property
    def dims(self) -> int:
        return int(self.positions.shape[2])

    @property
    def fps_hz(self) -> float:
        """Median frame rate; robust to the odd dropped or duplicated frame."""
        return float(1.0 / np.median(np.diff(self.times_s)))

    @property
    def duration_s(self) -> float:
        return float(self.times_s[-1] - self.times_s[0])

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise SeriesError(f"{self.source or 'series'}: no keypoint named {name!r}") from None

    def has(self, *names: str) -> bool:
        return all(n in self.names for n in names)

    def xyz(self, name: str) -> FloatArray:
        """Positions of one keypoint, shape (frames, dims)."""
        return self.positions[:, self.index(name), :]

    def conf(self, name: str) -> FloatArray:
        return self.confidence[:, self.index(name)]

    # -- transformations ---------------------------------------------------------------------------------
    def with_positions(self, positions: FloatArray, confidence: FloatArray | None = None) -> KeypointSeries:
        return replace(
            self, positions=positions, confidence=self.confidence if confidence is None else confidence
        )

    def select(self, names: tuple[str, ...] | list[str]) -> KeypointSeries:
        idx = [self.index(n) for n in names]
        return replace(
            self, positions=self.positions[:, idx, :], confidence=self.confidence[:, idx], names=tuple(names)
        )

    def slice_frames(self, start: int, stop: int) -> KeypointSeries:
        return replace(
            self,
            times_s=self.times_s[start:stop],
            positions=self.positions[start:stop],
            confidence=self.confidence[start:stop],
        )

    def swap_sides(self, frames: NDArray[np.bool_]) -> KeypointSeries:
        """Exchange left_* and right_* keypoints in the given frames (for left/right label repair)."""
        pos = self.positions.copy()
        conf = self.confidence.copy()
        for i, name in enumerate(self.names):
            if name.startswith("left_"):
                other = "right_" + name[5:]
                if other in self.names:
                    j = self.names.index(other)
                    pos[frames, i], pos[frames, j] = self.positions[frames, j], self.positions[frames, i]
                    conf[frames, i], conf[frames, j] = self.confidence[frames, j], self.confidence[frames, i]
        return self.with_positions(pos, conf)
