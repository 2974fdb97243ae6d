"""Virtual pinhole cameras that turn 3-D lab keypoints into 2-D pixel tracks with known answers.

The lab frame is z UP (x forward along the runner's travel, y left, metres). Pixels have x to the right and
y DOWN, origin at the image's top-left corner, principal point at the image centre, square pixels, no lens
distortion. A camera is aimed at ``target_m`` from ``position_m`` (world up = +z) and can then be misaligned by
``yaw_deg`` (about its down axis), ``pitch_deg`` (about its right axis) and ``roll_deg`` (about its optical
axis), right-hand rule in the camera frame (x right, y down, z along the optical axis).

Helpers make the tracks look like video: ``resample`` to a camera frame rate (30-240 fps), ``add_pixel_noise``
(Gaussian, seeded numpy Generator) and ``drop_frames`` (whole frames set to NaN with confidence 0).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from glutemed.core.series import KeypointSeries

FloatArray = NDArray[np.float64]
MIN_FPS_HZ = 30.0
MAX_FPS_HZ = 240.0


def _rot(axis: int, angle_deg: float) -> FloatArray:
    c, s = np.cos(np.radians(angle_deg)), np.sin(np.radians(angle_deg))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


@dataclass(frozen=True)
class VirtualCamera:
    position_m: tuple[float, float, float]
    target_m: tuple[float, float, float]
    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    focal_px: float = 1400.0
    width_px: int = 1920
    height_px: int = 1080

    @property
    def principal_point_px(self) -> tuple[float, float]:
        return self.width_px / 2.0, self.height_px / 2.0

    def world_to_camera(self) -> FloatArray:
        """Rotation whose rows are the camera's right, down and optical axes in lab coordinates."""
        forward = np.subtract(self.target_m, self.position_m).astype(np.float64)
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, [0.0, 0.0, 1.0])
        if np.linalg.norm(right) < 1e-9:
            raise ValueError("camera looks straight up or down; give a target off the vertical")
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        aim = np.vstack([right, down, forward])
        misalign = _rot(2, self.roll_deg) @ _rot(0, self.pitch_deg) @ _rot(1, self.yaw_deg)
        return np.asarray(misalign.T @ aim)

    def project(self, points_m: FloatArray) -> FloatArray:
        """Pixels (..., 2) of lab points (..., 3); points on or behind the camera plane give NaN."""
        cam = (
            np.asarray(points_m, dtype=np.float64) - np.asarray(self.position_m)
        ) @ self.world_to_camera().T
        depth = cam[..., 2]
        with np.errstate(invalid="ignore", divide="ignore"):
            safe = np.where(depth > 1e-6, depth, np.nan)
            u = self.focal_px * cam[..., 0] / safe + self.width_px / 2.0
            v = self.focal_px * cam[..., 1] / safe + self.height_px / 2.0
        return np.stack([u, v], axis=-1)

    def project_series(self, series: KeypointSeries) -> KeypointSeries:
        """Pixel keypoints seen by this camera; points outside the image become NaN with confidence 0."""
        if series.dims != 3 or series.units not in ("m", "mm"):
            raise ValueError(
                f"{series.source}: projection needs 3-D keypoints in m or mm, got {series.units}"
            )
        scale = 1e-3 if series.units == "mm" else 1.0
        px = self.project(series.positions * scale)
        inside = (
            np.all(np.isfinite(px), axis=2)
            & (px[..., 0] >= 0) & (px[..., 0] < self.width_px)
            & (px[..., 1] >= 0) & (px[..., 1] < self.height_px)
        )  # fmt: skip
        px[~inside] = np.nan
        conf = np.where(inside, series.confidence, 0.0)
        meta = {**series.meta, "camera": repr(self), "projected_from": series.source}
        return replace(series, positions=px, confidence=conf, units="pixel", meta=meta)


@dataclass(frozen=True)
class Lens:
    """Misalignment and optics shared by the camera factories."""

    yaw_deg: float = 0.0
    pitch_deg: float = 0.0
    roll_deg: float = 0.0
    focal_px: float = 1400.0
    width_px: int = 1920
    height_px: int = 1080


def _camera(position: FloatArray, target: FloatArray, lens: Lens) -> VirtualCamera:
    pos = (float(position[0]), float(position[1]), float(position[2]))
    tgt = (float(target[0]), float(target[1]), float(target[2]))
    return VirtualCamera(
        pos, tgt, lens.yaw_deg, lens.pitch_deg, lens.roll_deg, lens.focal_px, lens.width_px, lens.height_px
    )


def rear_camera(
    target_m: FloatArray, *, distance_m: float = 4.0, height_m: float | None = None, lens: Lens | None = None
) -> VirtualCamera:
    """Camera ``distance_m`` behind the runner (towards -x), at ``height_m`` (default: target height)."""
    t = np.asarray(target_m, dtype=np.float64)
    pos = np.array([t[0] - distance_m, t[1], t[2] if height_m is None else height_m])
    return _camera(pos, t, lens or Lens())


def side_camera(
    target_m: FloatArray,
    *,
    side: str = "left",
    distance_m: float = 4.0,
    height_m: float | None = None,
    lens: Lens | None = None,
) -> VirtualCamera:
    """Camera ``distance_m`` to the runner's ``side`` ("left" = +y, "right" = -y), looking at the target."""
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    t = np.asarray(target_m, dtype=np.float64)
    y = t[1] + (distance_m if side == "left" else -distance_m)
    pos = np.array([t[0], y, t[2] if height_m is None else height_m])
    return _camera(pos, t, lens or Lens())


def resample(series: KeypointSeries, fps_hz: float, *, start_s: float | None = None) -> KeypointSeries:
    """Linear resampling to ``fps_hz`` (30-240 fps); a sample next to a missing source sample is missing."""
    if not MIN_FPS_HZ <= fps_hz <= MAX_FPS_HZ:
        raise ValueError(f"fps_hz must lie in {MIN_FPS_HZ:g}-{MAX_FPS_HZ:g}, got {fps_hz}")
    t0 = series.times_s[0] if start_s is None else start_s
    times = np.arange(t0, series.times_s[-1] + 1e-9, 1.0 / fps_hz)
    flat = series.positions.reshape(series.n_frames, -1)
    out = np.empty((times.size, flat.shape[1]))
    for c in range(flat.shape[1]):
        ok = np.isfinite(flat[:, c])
        out[:, c] = np.interp(times, series.times_s[ok], flat[ok, c]) if ok.sum() >= 2 else np.nan
        bad = np.interp(times, series.times_s, (~ok).astype(np.float64)) > 0
        out[bad, c] = np.nan
    pos = out.reshape(times.size, *series.positions.shape[1:])
    conf = np.stack(
        [np.interp(times, series.times_s, series.confidence[:, k]) for k in range(len(series.names))], axis=1
    )
    conf[~np.all(np.isfinite(pos), axis=2)] = 0.0
    return replace(series, times_s=times, positions=pos, confidence=conf)


def add_pixel_noise(series: KeypointSeries, sigma_px: float, rng: np.random.Generator) -> KeypointSeries:
    """Independent Gaussian noise of ``sigma_px`` on every coordinate."""
    noise = rng.normal(0.0, sigma_px, size=series.positions.shape)
    return series.with_positions(series.positions + noise)


def drop_frames(series: KeypointSeries, fraction: float, rng: np.random.Generator) -> KeypointSeries:
    """Blank a random ``fraction`` of frames (all keypoints NaN, confidence 0), as a pose model that misses."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"fraction must lie in [0, 1), got {fraction}")
    n_drop = round(fraction * series.n_frames)
    frames = rng.choice(series.n_frames, size=n_drop, replace=False)
    pos = series.positions.copy()
    conf = series.confidence.copy()
    pos[frames] = np.nan
    conf[frames] = 0.0
    return series.with_positions(pos, conf)
