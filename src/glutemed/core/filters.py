"""Clean-up of keypoint tracks before any angle is measured.

- ``fill_gaps``: bridge short runs of missing samples (interpolation), never long ones.
- ``lowpass``: zero-lag Butterworth filter (forward and backward), applied to each unbroken stretch of data;
  ``lowpass_signal`` does the same to one derived 1-D signal (an angle track).
- ``repair_left_right``: undo the pose model's occasional left/right label swaps.
- ``estimate_camera_roll_deg``: how far a rear or front camera is rolled about its optical axis.

Every function takes the series positionally, options keyword-only, and returns a new object.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.interpolate import CubicSpline
from scipy.signal import butter, filtfilt

from glutemed.core.series import FloatArray, KeypointSeries, SeriesError

FillMethod = Literal["linear", "cubic"]
FILLED_CONFIDENCE_FACTOR = 0.5  # a filled sample keeps half the confidence of its weaker neighbour
MAX_DEFAULT_CUTOFF_HZ = 10.0
DEFAULT_CUTOFF_FPS_FRACTION = 0.2


# ---------------------------------------------------------------------------------------------- gap filling


def _nan_runs(missing: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """Start (inclusive) and stop (exclusive) of every run of True in a 1-D mask."""
    padded = np.concatenate(([False], missing, [False])).astype(np.int8)
    edges = np.diff(padded)
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def fill_gaps(
    series: KeypointSeries,
    /,
    *,
    max_gap_s: float,
    method: FillMethod = "linear",
    confidence_factor: float = FILLED_CONFIDENCE_FACTOR,
) -> KeypointSeries:
    """Interpolate interior gaps lasting at most ``max_gap_s``; leave longer gaps and the ends missing.

    A gap's length is the time the track is missing: from the last sample before it to the first one after,
    less one frame interval. A filled sample gets ``confidence_factor`` times the lower confidence of the two
    samples around the gap, so later steps can see it was not measured.
    """
    if max_gap_s < 0:
        raise SeriesError(f"{series.source or 'series'}: max_gap_s must be >= 0, got {max_gap_s}")
    t = series.times_s
    pos = series.positions.copy()
    conf = series.confidence.copy()
    frame_s = float(np.median(np.diff(t)))
    for k in range(len(series.names)):
        missing = ~np.all(np.isfinite(pos[:, k, :]), axis=1)
        if not missing.any() or missing.all():
            continue
        valid = np.flatnonzero(~missing)
        for start, stop in _nan_runs(missing):
            if start == 0 or stop == t.size:
                continue
            if t[stop] - t[start - 1] - frame_s > max_gap_s + 1e-9:
                continue
            idx = np.arange(start, stop)
            for d in range(series.dims):
                if method == "cubic" and valid.size >= 4:
                    pos[idx, k, d] = CubicSpline(t[valid], pos[valid, k, d])(t[idx])
                else:
                    pos[idx, k, d] = np.interp(t[idx], t[valid], pos[valid, k, d])
            conf[idx, k] = confidence_factor * min(conf[start - 1, k], conf[stop, k])
    return series.with_positions(pos, conf)


# ------------------------------------------------------------------------------------------------ low-pass


def default_cutoff_hz(fps_hz: float) -> float:
    """A cut-off suited to running keypoints: 10 Hz, lowered to 20 % of the frame rate for slow cameras."""
    return float(min(MAX_DEFAULT_CUTOFF_HZ, DEFAULT_CUTOFF_FPS_FRACTION * fps_hz))


def _filter_column(x: FloatArray, b: FloatArray, a: FloatArray) -> FloatArray:
    """Filter every finite stretch of ``x`` on its own; stretches too short to pad stay as they are."""
    out = x.copy()
    min_len = 3 * max(a.size, b.size)
    for start, stop in _nan_runs(np.isfinite(x)):
        n = stop - start
        if n > min_len:
            out[start:stop] = filtfilt(b, a, x[start:stop], padlen=min(min_len, n - 1))
    return out


def _butter_ba(fps_hz: float, cutoff_hz: float, order: int, source: str) -> tuple[FloatArray, FloatArray]:
    nyquist_hz = fps_hz / 2.0
    if not 0 < cutoff_hz < nyquist_hz:
        raise SeriesError(
            f"{source}: cutoff {cutoff_hz} Hz must lie between 0 and the Nyquist frequency {nyquist_hz:.1f} Hz"
        )
    b, a = butter(order, cutoff_hz / nyquist_hz)
    return np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64)


def lowpass(series: KeypointSeries, /, *, cutoff_hz: float, order: int = 4) -> KeypointSeries:
    """Zero-lag Butterworth low-pass (``filtfilt``: the effective order doubles, the phase lag cancels).

    Missing samples split a track into segments that are filtered separately, so NaN never spreads. The
    filter assumes an even frame rate and uses the series' median rate.
    """
    b64, a64 = _butter_ba(series.fps_hz, cutoff_hz, order, series.source or "series")
    pos = series.positions.copy()
    for k in range(pos.shape[1]):
        for d in range(pos.shape[2]):
            pos[:, k, d] = _filter_column(pos[:, k, d], b64, a64)
    return series.with_positions(pos)


def lowpass_signal(signal: FloatArray, /, *, fps_hz: float, cutoff_hz: float, order: int = 4) -> FloatArray:
    """The zero-lag Butterworth low-pass of ``lowpass`` applied to one 1-D signal sampled at ``fps_hz``."""
    b64, a64 = _butter_ba(fps_hz, cutoff_hz, order, "signal")
    return _filter_column(np.asarray(signal, dtype=np.float64), b64, a64)


# ---------------------------------------------------------------------------------------- left/right repair


def _side_pairs(names: tuple[str, ...]) -> list[tuple[int, int]]:
    pairs = []
    for i, name in enumerate(names):
        if name.startswith("left_") and "right_" + name[5:] in names:
            pairs.append((i, names.index("right_" + name[5:])))
    return pairs


def _assignment_costs(
    positions: FloatArray, left: list[int], right: list[int], swapped_prev: tuple[bool, bool]
) -> tuple[FloatArray, FloatArray, NDArray[np.int_]]:
    """For every frame t >= 1: summed displacement of the left/right pairs from the prediction out of frames
    t-1 and t-2 to frame t, keeping the labels and with them exchanged, and the number of pairs that counted.

    ``swapped_prev`` says whether frames t-1 and t-2 are taken with their labels exchanged; the prediction is
    constant-velocity (2 x frame t-1 - frame t-2) where frame t-2 is complete, else frame t-1.
    """
    order = left + right
    exchanged = positions.copy()
    exchanged[:, order] = positions[:, right + left]
    version = (positions, exchanged)
    prev1 = version[swapped_prev[0]][:-1]
    prev2 = version[swapped_prev[1]]
    prev2 = np.concatenate([prev2[:1], prev2[:-2]])  # row 0 (t = 1) has no frame t-2 and is not used
    complete = np.all(np.isfinite(positions), axis=(1, 2))
    use2 = np.concatenate([[False], complete[:-2]])
    pred = np.where(use2[:, None, None], 2.0 * prev1 - prev2, prev1)
    cur = positions[1:]
    ok = (
        np.all(np.isfinite(pred[:, left]), axis=2)
        & np.all(np.isfinite(pred[:, right]), axis=2)
        & np.all(np.isfinite(cur[:, left]), axis=2)
        & np.all(np.isfinite(cur[:, right]), axis=2)
    )

    def dist(a: FloatArray, b: FloatArray) -> FloatArray:
        return np.asarray(np.where(ok, np.linalg.norm(a - b, axis=2), 0.0).sum(axis=1), dtype=np.float64)

    keep = dist(cur[:, left], pred[:, left]) + dist(cur[:, right], pred[:, right])
    swap = dist(cur[:, right], pred[:, left]) + dist(cur[:, left], pred[:, right])
    return keep, swap, ok.sum(axis=1)


def detect_side_swaps(series: KeypointSeries, /, *, margin: float = 0.8) -> NDArray[np.bool_]:
    """Frames whose left/right labels are swapped relative to the first frame.

    Frame by frame, the labels of frame t are compared with the (already repaired) frame before, predicted
    forward with constant velocity where two earlier frames exist. The swapped assignment wins only when its
    summed displacement is below ``margin`` times that of the kept one, so near-ties (legs crossing in a side
    view) keep the labels the pose model gave. The displacements are computed for all frames at once for each
    of the four repair states of the two frames before; the frame-by-frame pass then only picks among them.
    """
    pairs = _side_pairs(series.names)
    left, right = [i for i, _ in pairs], [j for _, j in pairs]
    swapped = np.zeros(series.n_frames, dtype=bool)
    if not pairs or series.n_frames < 2:
        return swapped
    costs = {
        (s1, s2): _assignment_costs(series.positions, left, right, (s1, s2))
        for s1 in (False, True)
        for s2 in (False, True)
    }
    table = {key: (keep.tolist(), swap.tolist()) for key, (keep, swap, _) in costs.items()}
    used = costs[(False, False)][2].tolist()
    state = [False] * series.n_frames
    for t in range(1, series.n_frames):
        keep, swap = table[(state[t - 1], state[t - 2] if t >= 2 else False)]
        if used[t - 1] and swap[t - 1] < margin * keep[t - 1]:
            state[t] = True
    swapped[:] = state
    return swapped


def repair_left_right(series: KeypointSeries, /, *, margin: float = 0.8) -> KeypointSeries:
    """Exchange left and right keypoints in the frames where the labels were swapped (see detect_side_swaps)."""
    swapped = detect_side_swaps(series, margin=margin)
    return series.swap_sides(swapped) if swapped.any() else series


# -------------------------------------------------------------------------------------------- camera roll


def estimate_camera_roll_deg(series: KeypointSeries, /) -> float:
    """Median tilt of the hip and shoulder lines against the image horizontal, for rear or front views.

    Sign: positive when the line through the hips (and shoulders) rises towards the image's right-hand
    side, i.e. the picture content is turned anticlockwise on screen (equivalently, the camera is rolled
    clockwise about its optical axis as seen from behind it). Pelvic obliquity alternates from step to step,
    so its median over many frames is close to the constant tilt of the camera. Works for pixel (y down)
    and other 2-D units (y up); for 3-D data, which has a true vertical, it returns 0. Returns NaN when no
    frame has both hips or both shoulders.
    """
    if series.dims == 3:
        return 0.0
    y_up = -1.0 if series.units == "pixel" else 1.0
    angles: list[FloatArray] = []
    for left, right in (("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")):
        if not series.has(left, right):
            continue
        a, b = series.xyz(left), series.xyz(right)
        dx = b[:, 0] - a[:, 0]
        dy = (b[:, 1] - a[:, 1]) * y_up
        flip = np.where(dx < 0, -1.0, 1.0)  # measure the line from its image-left end to its image-right end
        ang = np.degrees(np.arctan2(dy * flip, dx * flip))
        angles.append(ang[np.isfinite(ang)])
    pooled = np.concatenate(angles) if angles else np.empty(0)
    return float(np.median(pooled)) if pooled.size else float("nan")
