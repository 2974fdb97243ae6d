"""The running-assessment report: one self-contained HTML page built from a ``glutemed.gait/v1`` result.

Two audiences from one template (``templates/gait_report.html.j2``, on the shared base and stylesheet of
:mod:`glutemed.reports.templating`): the **clinician report** (metrics against bands, SDDs, sources with their
verification tags, quality, curves, plots and stills) and the **runner summary** (plain words, no ids and no
statistics). Both open with the same summary: what was filmed, the three most important findings, three next
actions and what could not be seen. The verdicts are the analyzer's own (``contracts/gait_views``); nothing here
judges a value again. ``recordings`` are the analysed recordings in the result's order (anything with
``path``, ``engine`` and ``verdicts``); ``stills`` come from :func:`glutemed.reports.overlay.stance_stills`.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from glutemed.contracts.gait_result import read_gait_result
from glutemed.io.atomic import atomic_write_bytes
from glutemed.knowledge.loader import KnowledgeBase
from glutemed.reports import gait_details as details
from glutemed.reports import gait_summary as summary
from glutemed.reports.gait_details import RecordingLike
from glutemed.reports.gait_summary import VERDICT_WORDS
from glutemed.reports.overlay import Still
from glutemed.reports.templating import PageSize, render

Audience = Literal["clinician", "runner"]
__all__ = [
    "VERDICT_WORDS",
    "RecordingLike",
    "html_to_pdf",
    "render_gait_report",
    "write_gait_pdf",
    "write_gait_report",
]


def _pose_notes(result: dict[str, Any]) -> str:
    """The pose stage's quality notes as HTML paragraphs (the template shows the same notes)."""
    return "".join(
        f'<p class="note"><strong>{html.escape(n["name"])}</strong>: {html.escape(n["note"])}</p>'
        for n in details.pose_notes(result)
    )


def gait_context(
    result: dict[str, Any],
    recordings: Sequence[RecordingLike],
    kb: KnowledgeBase,
    stills: Sequence[Still] | None = None,
    *,
    audience: Audience = "clinician",
) -> dict[str, Any]:
    """Everything the template shows, as plain data (strings, numbers, lists, dicts and SVG ``Markup``)."""
    if audience not in ("clinician", "runner"):
        raise ValueError(f"audience must be 'clinician' or 'runner', not {audience!r}")
    if len(recordings) != len(result["recordings"]):
        raise ValueError("recordings must be the ones the result was built from, in the same order")
    parsed = read_gait_result(result, "gait result")
    runner = audience == "runner"
    cards = summary.finding_cards(parsed, kb, runner=runner)
    gaps = summary.gaps(parsed, kb)
    sources = details.Sources(kb)
    context: dict[str, Any] = {
        "audience": audience,
        "filmed": summary.filmed(parsed),
        "cards": cards,
        "any_fault": any(c.verdict in ("flagged", "borderline") for c in cards),
        "actions": summary.next_actions(parsed, kb, cards, gaps),
        "gaps": gaps,
        "stills": details.still_views(stills or [], parsed, kb, runner=runner),
        "version": parsed.glutemed_version,
        "schema": parsed.schema_,
    }
    if runner:
        return context
    # evaluated in reading order so that the sources are numbered as they first appear
    context["per_leg"] = details.per_leg_rows(parsed, kb)
    context["metrics"] = details.metric_rows(parsed, kb, sources)
    context["curves"] = details.curve_figures(recordings, kb, sources)
    context["plots"] = details.plot_figures(parsed, recordings, kb)
    context["advice"] = details.filming_advice(parsed, sources)
    context["pose_notes"] = details.pose_notes(result)
    context["meanings"] = details.meanings(parsed, kb, sources)
    context["recordings"] = details.recordings_table(parsed)
    context["sources"] = sources.listing()
    return context


def render_gait_report(
    result: dict[str, Any],
    recordings: Sequence[RecordingLike],
    kb: KnowledgeBase,
    stills: Sequence[Still] | None = None,
    *,
    audience: Audience = "clinician",
    page_size: PageSize = "A4",
) -> str:
    """The clinician report or the runner summary as one self-contained HTML document."""
    context = gait_context(result, recordings, kb, stills, audience=audience)
    return render("gait_report.html.j2", page_size=page_size, **context)


def write_gait_report(
    result: dict[str, Any],
    recordings: Sequence[RecordingLike],
    kb: KnowledgeBase,
    path: Path,
    stills: Sequence[Still] | None = None,
    *,
    audience: Audience = "clinician",
    page_size: PageSize = "A4",
) -> Path:
    """Render and write the report; it appears all at once (temporary name, then rename) or not at all."""
    text = render_gait_report(result, recordings, kb, stills, audience=audience, page_size=page_size)
    return atomic_write_bytes(Path(path), text.encode("utf-8"))


def html_to_pdf(html_text: str) -> bytes:
    """A page as PDF bytes (WeasyPrint renders the inline SVG and PNG); b"" when it produced nothing.

    WeasyPrint warns about every CSS rule meant for screens (``@media (max-width: ...)``) and every SVG
    presentation property it skips; those are expected here (one stylesheet serves screen and print), so only
    its errors reach the log.
    """
    import logging

    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    return bytes(HTML(string=html_text).write_pdf() or b"")


def write_gait_pdf(html_text: str, path: Path) -> Path:
    """The report as PDF; written atomically like the HTML."""
    pdf = html_to_pdf(html_text)
    if not pdf:
        raise OSError(f"{path}: WeasyPrint produced no PDF")
    return atomic_write_bytes(Path(path), pdf)
