"""Per-stance rise of a noisy angle, read from a fit of the leg's own average stance shape.

Taking the highest sample of each stance and subtracting the sample at strike uses two noisy numbers, and the
maximum of a noisy segment is biased upwards: with hip keypoints ~54 px apart, 2 px of pixel noise tilts the
hip line by ~3 deg per frame, of the size of a typical pelvic drop. Every stance of one leg has nearly the same
shape, so the engine first builds that leg's template, the median over its stances of the time-normalised
angle minus its value at strike, and then fits each stance as ``offset + gain * template`` by least squares.
The fitted curve uses every sample of the stance, and its rise (largest value above the fitted value at
strike) replaces the raw peak. This is ensemble averaging, the usual way gait analysis tames noise, applied to
the shape only: the size of each stance's drop is still its own. On the Fukuchi 2017 validation trial the median
absolute pelvic-drop error against motion capture falls from 1.22 to 0.46 deg at 30 fps with 2 px noise and
rises from 0.21 to 0.37 deg on noise-free tracks, where real stance-to-stance shape changes are smoothed
(docs/validation.md). With fewer than ``MIN_TEMPLATE_STANCES`` usable stances there is no template and the
caller keeps the raw peak.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from glutemed.core.series import FloatArray

TEMPLATE_POINTS = 21  # samples per time-normalised stance; odd so that the middle one is midstance
MIN_TEMPLATE_STANCES = 5  # project choice, below the 7 stances needed for any verdict


@dataclass(frozen=True)
class StanceRise:
    """One stance's fitted curve, relative to its fitted value at strike (signal units)."""

    peak: float  # largest rise above the value at strike, >= 0
    midstance: float  # value halfway between strike and toe off
    gain: float  # the stance's template scale (1 = the leg's median stance)


def _segment(signal: FloatArray, times_s: FloatArray, start_s: float, end_s: float) -> FloatArray | None:
    ok = np.isfinite(signal)
    if ok.sum() < 2 or not (np.isfinite(start_s) and np.isfinite(end_s)) or end_s <= start_s:
        return None
    tau = np.linspace(start_s, end_s, TEMPLATE_POINTS)
    seg = np.interp(tau, times_s[ok], signal[ok], left=np.nan, right=np.nan)
    # a stance that lies across a long gap has no samples of its own; interpolation would invent its shape
    inside = ok & (times_s >= start_s) & (times_s <= end_s)
    if not np.isfinite(seg).all() or inside.sum() < 3:
        return None
    return np.asarray(seg, dtype=np.float64)


def fit_stance_rises(
    signal: FloatArray, times_s: FloatArray, windows_s: Sequence[tuple[float, float]]
) -> list[StanceRise | None]:
    """Template-fitted rise for each (strike, toe off) window of one leg; None where no fit is possible."""
    segs = [_segment(signal, times_s, a, b) for a, b in windows_s]
    usable = [s for s in segs if s is not None]
    if len(usable) < MIN_TEMPLATE_STANCES:
        return [None] * len(segs)
    stacked = np.stack(usable)
    template = np.median(stacked - stacked[:, :1], axis=0)
    design = np.column_stack([np.ones(TEMPLATE_POINTS), template])
    out: list[StanceRise | None] = []
    for seg in segs:
        if seg is None:
            out.append(None)
            continue
        (_, gain), *_ = np.linalg.lstsq(design, seg, rcond=None)
        curve = gain * (template - template[0])
        out.append(
            StanceRise(
                peak=float(curve.max()),
                midstance=float(curve[TEMPLATE_POINTS // 2]),
                gain=float(gain),
            )
        )
    return out
