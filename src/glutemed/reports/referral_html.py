"""The referral sheet: one printable page (HTML, and PDF through WeasyPrint) for a runner whose program stopped.

A red-flag answer stops the program. The runner still leaves with something useful: a page naming each red flag
raised, why it needs a clinician, how urgently, and what to bring to the appointment, with the sources. Two
versions from one template (``templates/referral_sheet.html.j2`` on the shared base page): the runner's, and the
clinician's, which says the same things to the clinician.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glutemed.io.atomic import atomic_write_bytes
from glutemed.reports.gait_html import write_gait_pdf
from glutemed.reports.templating import Audience, PageSize, render

if TYPE_CHECKING:  # the service type is for mypy only; reports depend on core and the knowledge base
    from glutemed.services.assessment import AssessmentResult

URGENCY_ORDER = ("emergency", "same-day", "within-days", "before-training")


def render_referral(
    referral: dict[str, Any],
    assessment: AssessmentResult,
    *,
    today: dt.date | None = None,
    audience: Audience = "runner",
    page_size: PageSize = "A4",
) -> str:
    """The sheet as one HTML document. ``referral`` is :func:`glutemed.services.program.referral_to_json`."""
    intake = assessment.intake
    items = sorted(referral["referral"], key=lambda i: URGENCY_ORDER.index(i["urgency"]))
    most = items[0]["urgency_words"] if items else "See a doctor or physiotherapist before training."
    return render(
        "referral_sheet.html.j2",
        page_size=page_size,
        audience=audience,
        who=intake.name or "the runner",
        age=f"{intake.runner.age_years:g}",
        sex=intake.runner.sex,
        date=(today or dt.date.today()).isoformat(),
        most=most,
        items=items,
        pain=", ".join(r.replace("-", " ") for r in intake.symptoms.regions) or "none reported",
        symptoms=intake.symptoms,
        answers=", ".join(a.replace("_", " ") for a in intake.red_flags.answered_yes) or "none",
        sources=list(dict.fromkeys(c for item in items for c in item["citations"])),
    )


def write_referral_html(
    referral: dict[str, Any], assessment: AssessmentResult, path: Path, *, audience: Audience = "runner"
) -> Path:
    """Render and write the sheet atomically (temporary name, then rename)."""
    text = render_referral(referral, assessment, audience=audience)
    return atomic_write_bytes(Path(path), text.encode("utf-8"))


def write_referral_pdf(
    referral: dict[str, Any], assessment: AssessmentResult, path: Path, *, audience: Audience = "runner"
) -> Path:
    """The sheet as PDF through WeasyPrint, written atomically like the HTML."""
    return write_gait_pdf(render_referral(referral, assessment, audience=audience), Path(path))
