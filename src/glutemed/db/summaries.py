"""The small per-row summaries kept next to an assessment's and a load report's JSON documents.

They are read off the stored documents once, when the row is added (:func:`glutemed.db.records.add_assessment`,
:func:`~glutemed.db.records.add_load_report`) and by migration 0003 for older rows, so a page that lists many
runners (the clinician dashboard) reads a few small columns instead of decoding whole gait results. Nothing
here judges anything: the verdicts are the analyzer's own (``faults[].verdict`` of ``glutemed.gait/v1``), the
stop and red flags are the assessment's own, the spike dates the load report's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

SHOWN_VERDICTS = ("flagged", "borderline")
NOT_JUDGED = "not-enough-data"


def fault_verdicts(gait_result: dict[str, Any] | None, *, all_verdicts: bool = False) -> list[dict[str, str]]:
    """The analyzer's verdict per fault and leg, in its order: flagged and borderline only unless ``all_verdicts``.

    Each item is ``{"fault_id", "name", "side", "verdict"}`` (the fault's id stands in for a missing name).
    """
    if not gait_result:
        return []
    out = []
    for fault in gait_result.get("faults") or []:
        verdict = str(fault.get("verdict", ""))
        if all_verdicts or verdict in SHOWN_VERDICTS:
            out.append(
                {
                    "fault_id": str(fault.get("fault_id", "")),
                    "name": str(fault.get("name") or fault.get("fault_id", "")),
                    "side": str(fault.get("side", "")),
                    "verdict": verdict,
                }
            )
    return out


@dataclass(frozen=True)
class AssessmentSummary:
    """What the dashboard shows of one assessment; the gait part is None when the row has no gait result."""

    shown_verdicts: list[dict[str, str]] | None  # flagged and borderline, as :func:`fault_verdicts`
    flagged_count: int | None
    borderline_count: int | None
    not_judged_count: int | None  # faults the analyzer could not judge (too few stances, a missing view)
    stopped: bool | None  # None: no assessment document (gait analysed, no intake yet)
    red_flags: list[str] | None

    def columns(self) -> dict[str, Any]:
        """The :class:`~glutemed.db.models.Assessment` column values, by column name."""
        return {
            "summary_verdicts": self.shown_verdicts,
            "summary_flagged": self.flagged_count,
            "summary_borderline": self.borderline_count,
            "summary_not_judged": self.not_judged_count,
            "summary_stopped": self.stopped,
            "summary_red_flags": self.red_flags,
        }


def assessment_summary(
    gait_result: dict[str, Any] | None, assessment: dict[str, Any] | None
) -> AssessmentSummary:
    shown: list[dict[str, str]] | None = None
    counts: list[int | None] = [None, None, None]
    if gait_result is not None:
        every = fault_verdicts(gait_result, all_verdicts=True)
        shown = [v for v in every if v["verdict"] in SHOWN_VERDICTS]
        counts = [sum(v["verdict"] == name for v in every) for name in ("flagged", "borderline", NOT_JUDGED)]
    stopped = None if assessment is None else bool(assessment.get("stopped"))
    red_flags = None if assessment is None else [str(f) for f in assessment.get("red_flags") or []]
    return AssessmentSummary(shown, counts[0], counts[1], counts[2], stopped, red_flags)


def last_spike_day(load: dict[str, Any] | None) -> dt.date | None:
    """The newest day among the load report's own session spikes (``judgement.session_spikes[].date``)."""
    if not load:
        return None
    spikes = (load.get("judgement") or {}).get("session_spikes") or []
    days = [dt.date.fromisoformat(str(spike["date"])[:10]) for spike in spikes if spike.get("date")]
    return max(days) if days else None
