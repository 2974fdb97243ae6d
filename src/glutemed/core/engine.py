"""GaitEngine: keypoint tracks in, per-stance metrics, per-leg summary and data quality out.

In the gaitmap style: ``__init__`` only stores parameters (all defaulted), ``analyze`` does the work and
returns ``self``, results are attributes ending in ``_``. The chain is

    [known camera roll removed] -> [uneven frame times put on an even grid (core.timing)]
    -> gap fill -> left/right repair -> zero-lag low-pass -> view (given or detected)
    -> [side view: direction of travel (core.facing)] -> events -> per-stance metrics -> per-leg summary
    -> quality

A side view whose direction of travel cannot be decided (``facing_`` undetermined) still gives its stances,
step times and cadence (they need only the stride period), but its direction-dependent metrics
(``stance_metrics.DIRECTION_DEPENDENT_METRICS``: knee angles at strike and in stance, shank angle, contact
time, ...) are NaN: they are never measured from a guessed direction.

Pelvic obliquity gets a second low-pass at three times the step frequency before its stance peak is taken
(``obliquity_cutoff_hz_``; see ``glutemed.core.stance_metrics``).

Fault verdicts are a separate step (``glutemed.core.faults.evaluate``) because their rules come from the
knowledge base through the services layer. 3-D input (lab frame, z up) is projected orthographically onto the
requested view, or the rear view when none is given.
"""

from __future__ import annotations

from glutemed.core.events import GaitEvents, detect_events
from glutemed.core.facing import FacingDecision, decide_facing
from glutemed.core.filters import (
    FillMethod,
    default_cutoff_hz,
    estimate_camera_roll_deg,
    fill_gaps,
    lowpass,
    repair_left_right,
)
from glutemed.core.level import derotate
from glutemed.core.quality import QualityReport, assess_quality
from glutemed.core.series import KeypointSeries, SeriesError
from glutemed.core.stance_metrics import DIRECTION_DEPENDENT_METRICS, GaitMetrics, compute_stance_metrics
from glutemed.core.summary import GaitSummary, summarize
from glutemed.core.timing import is_uneven, to_even_grid
from glutemed.core.view import View, ViewDetection, detect_view, project_to_view

# Shoulders are optional: without them the trunk-lean metrics are missing (NaN), nothing else.
REQUIRED = (
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)


class GaitEngine:
    """Running gait analysis of one keypoint series from one view."""

    view_: View
    view_detection_: ViewDetection | None
    facing_: FacingDecision | None  # side view: direction of travel and its cues; None for rear/front views
    withheld_: dict[str, str]  # metric -> why this recording does not measure it (undetermined direction)
    series_: KeypointSeries
    events_: GaitEvents
    stances_: GaitMetrics
    summary_: GaitSummary
    quality_: QualityReport
    camera_roll_deg_: float  # estimated from the body, after any known roll was removed
    roll_corrected_deg_: float | None  # the known roll removed first (None: none given, or 3-D input)
    # frames of uneven (variable-rate) input that were put on an even grid; None when the input was even
    resampled_from_frames_: int | None
    unfiltered_: KeypointSeries  # after gap filling and left/right repair, before the low-pass
    cutoff_hz_: float
    obliquity_cutoff_hz_: float

    def __init__(
        self,
        *,
        max_gap_s: float = 0.1,
        fill_method: FillMethod = "linear",
        repair_sides: bool = True,
        swap_margin: float = 0.8,
        cutoff_hz: float | None = None,
        filter_order: int = 4,
        obliquity_cutoff_hz: float | None = None,
        camera_roll_deg: float | None = None,
    ) -> None:
        self.max_gap_s = max_gap_s
        self.fill_method = fill_method
        self.repair_sides = repair_sides
        self.swap_margin = swap_margin
        self.cutoff_hz = cutoff_hz
        self.filter_order = filter_order
        # None: from the cadence (stance_metrics.default_obliquity_cutoff_hz); NaN: no extra obliquity filter
        self.obliquity_cutoff_hz = obliquity_cutoff_hz
        # a known camera roll (deg, glutemed.core.level sign) removed from 2-D keypoints first; None = unknown
        self.camera_roll_deg = camera_roll_deg

    def _clean(self, series: KeypointSeries) -> KeypointSeries:
        missing = [n for n in REQUIRED if n not in series.names]
        if missing:
            raise SeriesError(f"{series.source or 'series'}: missing keypoints {', '.join(missing)}")
        cleaned = fill_gaps(series, max_gap_s=self.max_gap_s, method=self.fill_method)
        if self.repair_sides:
            cleaned = repair_left_right(cleaned, margin=self.swap_margin)
        self.unfiltered_ = cleaned
        self.cutoff_hz_ = self.cutoff_hz if self.cutoff_hz is not None else default_cutoff_hz(series.fps_hz)
        return lowpass(cleaned, cutoff_hz=self.cutoff_hz_, order=self.filter_order)

    def analyze(
        self, series: KeypointSeries, *, view: View | None = None, scale_m_per_unit: float | None = None
    ) -> GaitEngine:
        """Run the whole chain on ``series``; ``view`` skips detection, ``scale_m_per_unit`` enables cm."""
        self.roll_corrected_deg_ = None
        if series.dims == 3:
            view = view or View.REAR
            series = project_to_view(series, view)
        elif self.camera_roll_deg is not None:
            series = derotate(series, self.camera_roll_deg)
            self.roll_corrected_deg_ = self.camera_roll_deg
        self.resampled_from_frames_ = None
        if is_uneven(series.times_s):
            self.resampled_from_frames_ = series.n_frames
            series = to_even_grid(series, max_gap_s=self.max_gap_s)
        cleaned = self._clean(series)
        if view is None:
            self.view_detection_ = detect_view(cleaned)
            self.view_ = self.view_detection_.view
        else:
            self.view_detection_, self.view_ = None, view
        self.series_ = cleaned
        self.camera_roll_deg_ = float("nan") if self.view_ is View.SIDE else estimate_camera_roll_deg(cleaned)
        self.facing_ = decide_facing(cleaned) if self.view_ is View.SIDE else None
        # events need a direction to tell stance from swing; an undetermined one keeps +x for the stride
        # timing only, and the direction-dependent metrics are withheld below
        forward = self.facing_.sign_or(1.0) if self.facing_ is not None else 1.0
        self.events_ = detect_events(cleaned, view=self.view_, forward_sign=forward)
        self.withheld_ = {}
        if self.facing_ is not None and not self.facing_.decided:
            why = f"direction of travel could not be decided: {self.facing_.reason}"
            self.withheld_ = dict.fromkeys(DIRECTION_DEPENDENT_METRICS, why)
        self.stances_ = compute_stance_metrics(
            cleaned,
            self.events_,
            view=self.view_,
            scale_m_per_unit=scale_m_per_unit,
            obliquity_cutoff_hz=self.obliquity_cutoff_hz,
            unfiltered=self.unfiltered_,
            keypoint_cutoff_hz=self.cutoff_hz_,
            filter_order=self.filter_order,
            forward_sign=None if self.facing_ is not None and not self.facing_.decided else forward,
        )
        self.obliquity_cutoff_hz_ = self.stances_.obliquity_cutoff_hz
        self.summary_ = summarize(self.stances_)
        self.quality_ = assess_quality(
            series, n_stances=self.summary_.n_stances, camera_roll_deg=self.camera_roll_deg_
        )
        return self
