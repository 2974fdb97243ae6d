"""One template system for every page glutemed writes (gait, assessment, program, load, referral).

Jinja2 with autoescaping on for every template, a strict undefined (a missing value is an error, not an empty
string), and one stylesheet (``templates/glutemed.css``) inlined into each page so that a report is a single
self-contained file. The web app renders the same templates.
"""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

PageSize = Literal["A4", "Letter"]
Audience = Literal["clinician", "runner"]


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("glutemed.reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2", "html.j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    return env


def format_number(value: float | int | None, digits: int = 1, unit: str = "") -> str:
    """A number for people: fixed digits, an en dash for missing, the unit after a space."""
    if value is None:
        return "–"
    text = f"{value:.{digits}f}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".strip()


def render(template: str, /, *, page_size: PageSize = "A4", **context: Any) -> str:
    """Render ``template`` (a file in ``reports/templates``) with the shared base and stylesheet."""
    return environment().get_template(template).render(page_size=page_size, **context)
