"""The referral sheet: one printable page (HTML, and PDF through WeasyPrint) for a runner whose program stopped.

A red-flag answer stops the program. The runner still leaves with something useful: a page naming each red flag
raised, why it needs a clinician, how urgently, and what to bring to the appointment, with the sources. Built from
f-strings like the handout; every piece of text goes through ``html.escape``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glutemed.reports.gait_html import _atomic_write, write_gait_pdf

if TYPE_CHECKING:  # the service type is for mypy only; reports depend on core and the knowledge base
    from glutemed.services.assessment import AssessmentResult

URGENCY_ORDER = ("emergency", "same-day", "within-days", "before-training")
_CSS = """
body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:900px;padding:0 .8rem;color:#1f2937;font-size:9.5pt}
h1{margin:0 0 .1rem;color:#991b1b;font-size:1.35rem}h2{margin:.6rem 0 .2rem;font-size:1rem}
.lead{border-left:5px solid #dc2626;background:#fef2f2;padding:.35rem .8rem;margin:.4rem 0}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #d1d5db;padding:.25rem .4rem;vertical-align:top;
text-align:left}th{background:#f3f4f6}tr{break-inside:avoid}
.u{display:inline-block;padding:.05rem .4rem;border-radius:.5rem;font-weight:600}
.u-emergency{background:#991b1b;color:#fff}.u-same-day{background:#fee2e2;color:#991b1b}
.u-within-days{background:#fef3c7;color:#92400e}.u-before-training{background:#e5e7eb;color:#374151}
.note{color:#4b5563;font-size:8pt}ul{margin:0;padding-left:1.1rem}p{margin:.25rem 0}
@page{size:A4;margin:1cm}@media print{body{margin:0;max-width:none}}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _list(items: Iterable[str]) -> str:
    inner = "".join(f"<li>{_e(item)}</li>" for item in items)
    return f"<ul>{inner}</ul>" if inner else ""


def _row(item: dict[str, Any]) -> str:
    return (
        f"<tr><td><strong>{_e(item['name'])}</strong></td>"
        f'<td><span class="u u-{_e(item["urgency"])}">{_e(item["urgency_words"])}</span></td>'
        f"<td>{_e(item['why_refer'])}</td><td>{_list(item['bring'])}</td></tr>"
    )


def _sources(items: list[dict[str, Any]]) -> str:
    cited = list(dict.fromkeys(c for item in items for c in item["citations"]))
    return f'<p class="note">Sources: {_e("; ".join(cited))}</p>' if cited else ""


def render_referral(
    referral: dict[str, Any], assessment: AssessmentResult, *, today: dt.date | None = None
) -> str:
    """The sheet as one HTML document. ``referral`` is :func:`glutemed.services.program.referral_to_json`."""
    who = assessment.intake.name or "the runner"
    runner = assessment.intake.runner
    items = sorted(referral["referral"], key=lambda i: URGENCY_ORDER.index(i["urgency"]))
    most = items[0]["urgency_words"] if items else "See a doctor or physiotherapist before training."
    pain = ", ".join(assessment.intake.symptoms.regions) or "none reported"
    date = (today or dt.date.today()).isoformat()
    body = (
        "<h1>Please see a clinician before training</h1>"
        f'<p class="note">For {_e(who)} ({runner.age_years:g} years, {_e(runner.sex)}); written {date} by '
        "glutemed from the runner's own answers.</p>"
        f'<p class="lead"><strong>{_e(most)}</strong> Some answers are red flags: signs that the pain may come '
        "from something exercise cannot treat. No exercise program was made. Most red flags turn out to be "
        "harmless, but each needs a clinician to check it first.</p>"
        + "<table><tr><th>Red flag</th><th>How urgently</th><th>Why a clinician</th><th>Bring</th></tr>"
        + "".join(_row(item) for item in items)
        + "</table>"
        + "<h2>For the clinician</h2>"
        f"<p>Pain areas: {_e(pain)}; pain at rest {assessment.intake.symptoms.pain_rest_0_10:g}/10, "
        f"running {assessment.intake.symptoms.pain_running_0_10:g}/10, at night "
        f"{assessment.intake.symptoms.pain_night_0_10:g}/10, for "
        f"{assessment.intake.symptoms.duration_weeks:g} weeks. Red-flag answers: "
        f"{_e(', '.join(a.replace('_', ' ') for a in assessment.intake.red_flags.answered_yes) or 'none')}.</p>"
        '<p class="note">Red flags raise suspicion; on their own most have little proven diagnostic accuracy '
        "(IFOMPT framework, Finucane 2020). glutemed is a screening aid, not a diagnosis. Once a clinician has "
        "cleared training, run <code>glutemed program</code> again with the red-flag answers updated.</p>"
        + _sources(items)
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e('Referral — ' + who)}</title><style>{_CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def write_referral_html(referral: dict[str, Any], assessment: AssessmentResult, path: Path) -> Path:
    """Render and write the sheet atomically (temporary name, then rename)."""
    return _atomic_write(Path(path), render_referral(referral, assessment).encode("utf-8"))


def write_referral_pdf(referral: dict[str, Any], assessment: AssessmentResult, path: Path) -> Path:
    """The sheet as PDF through WeasyPrint, written atomically like the HTML."""
    return write_gait_pdf(render_referral(referral, assessment), Path(path))
