"""Camera roll correction: turn 2-D keypoints back by a known roll so the image horizontal is level again.

Pelvic drop is measured from its value at foot strike, so a constant roll of the camera cancels out of it, and
hip adduction and the knee's frontal-plane projection angle are angles between body segments, which a roll does
not change either. Absolute angles do change: lateral trunk lean against the vertical, the pelvic obliquity
plotted over time and the side of the midline a foot lands on. When the roll is known (a phone's level app,
or ``glutemed level`` measuring straight edges in a still frame), ``derotate`` removes it before analysis.

Sign (the same as ``glutemed.core.filters.estimate_camera_roll_deg``): a positive roll makes a level line rise
towards the image's right-hand side, i.e. the picture content looks turned anticlockwise.
"""

from __future__ import annotations

import numpy as np

from glutemed.core.series import KeypointSeries, SeriesError


def derotate(series: KeypointSeries, roll_deg: float, /) -> KeypointSeries:
    """``series`` with its 2-D points turned by ``-roll_deg`` about their overall median point.

    A zero or non-finite roll returns the series unchanged; 3-D series have a true vertical and are refused.
    """
    if not np.isfinite(roll_deg) or roll_deg == 0.0:
        return series
    if series.dims != 2:
        raise SeriesError(f"{series.source or 'series'}: a camera roll applies to 2-D image keypoints only")
    y_up = -1.0 if series.units == "pixel" else 1.0
    pos = series.positions
    centre = np.nanmedian(pos.reshape(-1, 2), axis=0)
    x = pos[..., 0] - centre[0]
    y = (pos[..., 1] - centre[1]) * y_up
    a = np.radians(-roll_deg)
    cos_a, sin_a = np.cos(a), np.sin(a)
    out = np.empty_like(pos)
    out[..., 0] = centre[0] + cos_a * x - sin_a * y
    out[..., 1] = centre[1] + (sin_a * x + cos_a * y) * y_up
    meta = dict(series.meta) | {"roll_corrected_deg": f"{roll_deg:.3f}"}
    return KeypointSeries(
        series.times_s, out, series.confidence, series.names, series.units, series.source, meta
    )
